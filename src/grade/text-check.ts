// Experiment files are hand-written configs: text, UTF-8. A NUL byte means a binary file (an
// executable or image renamed to haproxy.cfg); invalid UTF-8 means an editor saved it in GBK or
// Latin-1, which HAProxy and Nginx would read as garbage in exactly the strings (hostnames, paths,
// comments) the student cannot see on screen.
import type { SubmissionProblem } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function lineAt(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < buf.length; i++) if (buf[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that makes `buf` invalid UTF-8, or -1. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    // Decode the sequence alone: the decoder knows overlongs, surrogates and the >U+10FFFF range.
    try {
      utf8.decode(buf.subarray(i, i + n + 1));
    } catch {
      return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Says why `buf` is not a text config, or undefined when it is one. */
export function textProblem(file: string, buf: Buffer): SubmissionProblem | undefined {
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    return { file, line: lineAt(buf, nul), message: 'is a binary file (it contains NUL bytes), not a text config', hint: 'Hand in the config file itself, as plain text.' };
  }
  try {
    utf8.decode(buf);
    return undefined;
  } catch {
    const at = firstInvalidUtf8(buf);
    return {
      file,
      line: lineAt(buf, Math.max(at, 0)),
      message: `is not valid UTF-8 (byte 0x${(buf[Math.max(at, 0)] ?? 0).toString(16).padStart(2, '0')} at offset ${Math.max(at, 0)})`,
      hint: 'Save the file as UTF-8 in your editor (not GBK, Latin-1 or UTF-16).',
    };
  }
}
