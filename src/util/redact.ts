// The one place secrets are kept out of what lab prints. The binary's stdout and stderr pass through
// `redactStream` (cli/deps.ts installs it), so no message path can leak a password lab knows: not a
// grader's message quoting a login, not a listr2 title, not an error from a command that echoed it,
// not a --json document. Secrets are masked as plain strings, the way lab report masks them.
import { MASK } from '../report/mask.js';

const secrets = new Set<string>();

/** Remembers a secret for the rest of the process (short ones would mask noise, so under 4 is ignored). */
export function addSecret(s: string | undefined): void {
  if (s && s.length >= 4 && s !== MASK) secrets.add(s);
}

/** `text` with every known secret replaced by the mask. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret containing another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** The same for bytes, replaced as bytes: binary output (`lab exec … cat file.bin`) passes unchanged elsewhere. */
export function redactBytes(buf: Buffer): Buffer {
  let out = buf;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    const needle = Buffer.from(s, 'utf8');
    if (!out.includes(needle)) continue;
    const parts: Buffer[] = [];
    let from = 0;
    for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, from)) {
      parts.push(out.subarray(from, i), Buffer.from(MASK));
      from = i + needle.length;
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

const wrapped = new WeakSet<NodeJS.WriteStream>();

/** Makes every string or buffer written to `stream` pass `redact` first (once per stream). */
export function redactStream(stream: NodeJS.WriteStream): void {
  if (wrapped.has(stream)) return;
  wrapped.add(stream);
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (secrets.size === 0) return write(chunk, ...rest);
    if (typeof chunk === 'string') return write(redact(chunk), ...rest);
    if (chunk instanceof Uint8Array) return write(redactBytes(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)), ...rest);
    return write(chunk, ...rest);
  }) as NodeJS.WriteStream['write'];
}

/** For tests: forget every secret. */
export function forgetSecrets(): void {
  secrets.clear();
}
