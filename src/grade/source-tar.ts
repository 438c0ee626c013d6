// A .tar.gz / .tgz (or plain .tar) submission through node-tar's Parser, which only parses: it never
// writes to disk (that is tar's Unpack, which we do not use). The archive is read twice: once for the
// headers (contents skipped), once for the chosen entries' contents. We gunzip ourselves so we can
// count the unpacked bytes and stop a gzip bomb at `maxSourceBytes`, whatever the entries claim.
// strict: a malformed header is an error, not a warning the parser skips past.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { SourceError, TooLargeError, type Entry, type EntryKind, type EntrySource } from './entries.js';

const KINDS: Partial<Record<string, EntryKind>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'dir',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'device',
  BlockDevice: 'device',
  FIFO: 'fifo',
};

/** gzip's magic number: the content decides, not the file name. */
async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Feeds the (gunzipped) archive through a strict Parser, calling `onEntry` for each entry. */
async function parse(file: string, gz: boolean, maxUnpacked: number, onEntry: (e: ReadEntry) => void): Promise<void> {
  const parser = new Parser({ strict: true, onReadEntry: onEntry });
  const failed = new Promise<never>((_, reject) => parser.on('error', reject));
  failed.catch(() => {});
  const input = createReadStream(file);
  const stream = gz ? input.pipe(createGunzip()) : input;
  input.on('error', (e) => stream.destroy(e));
  let unpacked = 0;
  const done = once(parser, 'end');
  try {
    await Promise.race([
      failed,
      (async () => {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          unpacked += chunk.length;
          if (unpacked > maxUnpacked) throw new SourceError(`the archive unpacks to more than ${maxUnpacked} bytes`, 'Hand in only the experiment files (a few KiB of text).');
          if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), failed]);
        }
        parser.end();
        await done;
      })(),
    ]);
  } catch (e) {
    if (e instanceof SourceError || e instanceof TooLargeError) throw e;
    throw new SourceError(`not a readable tar archive: ${(e as Error).message}`, 'Make the archive again, e.g. tar czf alice.tar.gz -C workspace/exp2 .');
  } finally {
    stream.destroy();
    input.destroy();
  }
}

export async function tarSource(file: string, maxUnpacked: number): Promise<EntrySource> {
  const gz = await isGzip(file);
  return {
    async list(maxEntries) {
      const entries: Entry[] = [];
      let truncated = false;
      await parse(file, gz, maxUnpacked, (e) => {
        e.resume();
        if (entries.length >= maxEntries) {
          truncated = true;
          return;
        }
        const kind = KINDS[e.type] ?? 'other';
        entries.push({ name: e.path, kind, size: e.size, target: e.linkpath });
      });
      return { entries, truncated };
    },

    async read(names, maxBytes) {
      const wanted = new Set(names);
      const out = new Map<string, Buffer>();
      const pending: Promise<void>[] = [];
      let tooLarge: TooLargeError | undefined;
      await parse(file, gz, maxUnpacked, (e) => {
        // The first entry of a name wins, as in list(); intake refuses duplicates anyway.
        if (!wanted.has(e.path) || out.has(e.path) || KINDS[e.type] !== 'file') {
          e.resume();
          return;
        }
        wanted.delete(e.path);
        if (e.size > maxBytes) {
          tooLarge ??= new TooLargeError(e.path, maxBytes);
          e.resume();
          return;
        }
        const chunks: Buffer[] = [];
        let n = 0;
        e.on('data', (c: Buffer) => {
          n += c.length;
          if (n <= maxBytes) chunks.push(c);
        });
        pending.push(new Promise((resolve) => e.on('end', () => {
          if (n > maxBytes) tooLarge ??= new TooLargeError(e.path, maxBytes);
          else out.set(e.path, Buffer.concat(chunks));
          resolve();
        })));
      });
      await Promise.all(pending);
      if (tooLarge) throw tooLarge;
      for (const n of names) if (!out.has(n)) throw new SourceError(`no file ${n} in the tar archive`);
      return out;
    },

    async close() {},
  };
}
