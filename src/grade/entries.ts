// The one shape every submission kind is read through: a list of entries (names and kinds, no
// contents), then the contents of just the entries intake chose. Listing first means every entry is
// judged before a single byte of content is read or written; reading only chosen entries means
// nothing else of an untrusted archive is ever decompressed.

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'socket' | 'submodule' | 'other';

export interface Entry {
  /** The name as the source gives it (unnormalised; see entry-path.ts). */
  name: string;
  kind: EntryKind;
  /** Declared size in bytes (files); the reader enforces the limit again while reading. */
  size: number;
  /** Where a symlink or hard link points, for the message. */
  target?: string;
  /** Zip: the entry is encrypted. */
  encrypted?: boolean;
}

export interface EntrySource {
  list(maxEntries: number): Promise<{ entries: Entry[]; truncated: boolean }>;
  /**
   * Reads the named entries (raw names from list()). Rejects with `TooLargeError` when one is
   * bigger than `maxBytes`, however large its declared size said it was.
   */
  read(names: string[], maxBytes: number): Promise<Map<string, Buffer>>;
  close(): Promise<void>;
}

/** An entry's content exceeded the limit while it was being read. */
export class TooLargeError extends Error {
  constructor(
    readonly entry: string,
    readonly limit: number,
  ) {
    super(`${entry} is larger than ${limit} bytes`);
  }
}

/** The source itself is unreadable or malformed (corrupt zip, truncated gzip, not a git repository…). */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Collects a stream into a Buffer, failing as soon as it passes `max` bytes. */
export async function collect(stream: AsyncIterable<Buffer | string>, entry: string, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    n += b.length;
    if (n > max) throw new TooLargeError(entry, max);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
