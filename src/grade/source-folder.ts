// A submission folder, read without following a single symlink: entries come from lstat, files are
// opened with O_NOFOLLOW and their size checked on the open descriptor, so a link swapped in between
// listing and reading fails instead of reading /etc/shadow. Symlinks, devices, FIFOs and sockets are
// listed as what they are (and so are files with more than one name: hard links); intake refuses them.
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { collect, SourceError, TooLargeError, type Entry, type EntryKind, type EntrySource } from './entries.js';

function kindOf(st: import('node:fs').Stats): EntryKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  // A file with another name elsewhere on this machine (a hard link made by extracting an archive, say)
  // may be any file of the teacher's: its content would end up in validator messages and results.
  if (st.isFile()) return st.nlink > 1 ? 'hardlink' : 'file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** Folders whose content is never an experiment file and may be huge: listed once, not walked. */
export const SKIPPED_DIRS = new Set(['.git', 'node_modules', '__MACOSX']);

export function folderSource(root: string): EntrySource {
  return {
    async list(maxEntries) {
      const entries: Entry[] = [];
      let truncated = false;
      const walk = async (rel: string): Promise<void> => {
        const names = (await fsp.readdir(path.join(root, rel))).sort();
        for (const n of names) {
          if (entries.length >= maxEntries) {
            truncated = true;
            return;
          }
          const r = rel ? `${rel}/${n}` : n;
          const st = await fsp.lstat(path.join(root, r));
          const kind = kindOf(st);
          const e: Entry = { name: kind === 'dir' ? `${r}/` : r, kind, size: st.size };
          if (kind === 'symlink') e.target = await fsp.readlink(path.join(root, r)).catch(() => '?');
          entries.push(e);
          if (kind === 'dir' && !SKIPPED_DIRS.has(n)) await walk(r);
          if (truncated) return;
        }
      };
      try {
        await walk('');
      } catch (e) {
        throw new SourceError(`cannot read the folder: ${(e as Error).message}`);
      }
      return { entries, truncated };
    },

    async read(names, maxBytes) {
      const out = new Map<string, Buffer>();
      for (const name of names) {
        const full = path.join(root, name);
        let fh: fsp.FileHandle;
        try {
          fh = await fsp.open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        } catch (e) {
          throw new SourceError(`cannot open ${name}: ${(e as Error).message}`);
        }
        try {
          const st = await fh.stat();
          // O_NONBLOCK above keeps a FIFO swapped in after listing from hanging the open; refuse it here.
          if (!st.isFile()) throw new SourceError(`${name} is no longer a regular file`);
          if (st.nlink > 1) throw new SourceError(`${name} is now a hard link`);
          if (st.size > maxBytes) throw new TooLargeError(name, maxBytes);
          out.set(name, await collect(fh.createReadStream({ autoClose: false }), name, maxBytes));
        } finally {
          await fh.close();
        }
      }
      return out;
    },

    async close() {},
  };
}
