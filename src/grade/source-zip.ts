// A .zip submission through yauzl, which reads the central directory lazily and streams one entry at
// a time (never the whole archive into memory). Names are decoded by us (decodeStrings: false, then
// yauzl's own decoder for CP437/UTF-8 and the Info-ZIP Unicode path field) so that a bad name
// becomes a precise problem from entry-path.ts instead of yauzl aborting the whole archive.
// Entry kinds come from the Unix mode in the external attributes (zip -y stores symlinks that way).
// yauzl checks every entry's real size against its declared one (validateEntrySizes), and we cap
// the bytes read besides, so a header that lies about the size cannot smuggle a zip bomb through.
import yauzl from 'yauzl';
import { collect, SourceError, TooLargeError, type Entry, type EntryKind, type EntrySource } from './entries.js';

const S_IFMT = 0o170000;
const MODE_KIND: Record<number, EntryKind> = {
  0o120000: 'symlink',
  0o040000: 'dir',
  0o100000: 'file',
  0o020000: 'device',
  0o060000: 'device',
  0o010000: 'fifo',
  0o140000: 'socket',
};
/** versionMadeBy's high byte: 3 = Unix, 19 = OS X; only these carry a Unix mode. */
const UNIX_HOSTS = new Set([3, 19]);

function kindOf(e: yauzl.Entry, name: string): EntryKind {
  const host = e.versionMadeBy >> 8;
  const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
  if (UNIX_HOSTS.has(host) && mode !== 0) return MODE_KIND[mode] ?? 'other';
  return name.endsWith('/') || name.endsWith('\\') ? 'dir' : 'file';
}

export async function zipSource(file: string): Promise<EntrySource> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false });
  } catch (e) {
    throw new SourceError(`not a readable zip archive: ${(e as Error).message}`, 'Make the archive again with a zip tool, or hand in the folder itself.');
  }
  const byName = new Map<string, yauzl.Entry>();

  return {
    list(maxEntries) {
      return new Promise((resolve, reject) => {
        const entries: Entry[] = [];
        const onError = (err: Error) => {
          cleanup();
          reject(new SourceError(`the zip archive is corrupt: ${err.message}`, 'Make the archive again with a zip tool.'));
        };
        const onEnd = () => {
          cleanup();
          resolve({ entries, truncated: false });
        };
        const onEntry = (e: yauzl.Entry) => {
          if (entries.length >= maxEntries) {
            cleanup();
            resolve({ entries, truncated: true });
            return;
          }
          const name = yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, e.fileName as unknown as Buffer, e.extraFields, false);
          // Duplicate names keep the first entry for reading; intake reports the duplicate.
          if (!byName.has(name)) byName.set(name, e);
          entries.push({ name, kind: kindOf(e, name), size: e.uncompressedSize, encrypted: e.isEncrypted() });
          zip.readEntry();
        };
        const cleanup = () => {
          zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
        };
        zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
        zip.readEntry();
      });
    },

    async read(names, maxBytes) {
      const out = new Map<string, Buffer>();
      for (const name of names) {
        const e = byName.get(name);
        if (!e) throw new SourceError(`no entry ${name} in the zip archive`);
        let stream: import('node:stream').Readable;
        try {
          stream = await zip.openReadStreamPromise(e);
        } catch (err) {
          throw new SourceError(`cannot read ${name} from the zip archive: ${(err as Error).message}`, 'Make the archive again with a zip tool (no encryption, deflate or store).');
        }
        try {
          out.set(name, await collect(stream, name, maxBytes));
        } catch (err) {
          if (err instanceof TooLargeError) throw err;
          // yauzl's size validation: the header declared fewer (or more) bytes than the entry holds.
          if (/too (many|few) bytes in the stream/.test((err as Error).message)) {
            throw new SourceError(`${name} holds more or fewer bytes than the zip archive declares (a corrupt or crafted archive): ${(err as Error).message}`, 'Make the archive again with a zip tool.');
          }
          throw new SourceError(`cannot read ${name} from the zip archive: ${(err as Error).message}`, 'Make the archive again with a zip tool.');
        }
      }
      return out;
    },

    async close() {
      zip.close();
    },
  };
}
