// Is this file text a config tool (or lab) should read? A config that is binary, not UTF-8 or huge is
// almost always an accident (a log, a dump or an image saved over it, an editor's wrong encoding), and
// feeding it to haproxy -c or nginx -t only echoes its bytes to the terminal. Callers check first and
// name the file, the line and the fix instead.

/** Config files students write are a few KiB; anything over this is not a config. */
export const MAX_TEXT_BYTES = 1024 * 1024;

export interface TextProblem {
  message: string;
  /** 1-based line of the first offending byte, when there is one. */
  line?: number;
  hint: string;
}

function lineOf(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (buf[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let n = 0;
    let min = 0;
    if (b < 0x80) n = 0;
    else if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    if (n && i + n >= buf.length) return i; // cut short at the end
    let cp = n === 0 ? b : b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (n && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * What is wrong with `buf` as a text file, or undefined. `nonEmpty`: an empty (or blank) file is a
 * problem too (a service's main config).
 */
export function textProblem(buf: Buffer, opts: { maxBytes?: number; nonEmpty?: boolean } = {}): TextProblem | undefined {
  const max = opts.maxBytes ?? MAX_TEXT_BYTES;
  if (buf.length > max) {
    return {
      message: `is ${(buf.length / 1024 / 1024).toFixed(1)} MiB; a config file over ${max / 1024 / 1024} MiB is not a config`,
      hint: 'It was probably overwritten by a log, a dump or a binary: restore it from your editor or workspace/.backups/ (or `lab reset`).',
    };
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    return {
      message: 'is a binary file (it contains NUL bytes), not text',
      line: lineOf(buf, nul),
      hint: 'Something not a config was saved over it: restore it from your editor or workspace/.backups/ (or `lab reset`).',
    };
  }
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) {
    return {
      message: `is not UTF-8 text (byte 0x${buf[bad]!.toString(16).padStart(2, '0')} at offset ${bad})`,
      line: lineOf(buf, bad),
      hint: "Save it as UTF-8 (your editor's encoding setting; `iconv -f latin1 -t utf-8` converts an old file).",
    };
  }
  if (opts.nonEmpty && buf.toString('utf8').trim() === '') {
    return { message: 'is empty', hint: 'Write the config (or restore it from workspace/.backups/, or `lab reset`).' };
  }
  return undefined;
}

/** `s` with control characters (a terminal's escape sequences among them) shown as \xNN: safe to print. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
