// Reading keepalived configuration from disk: the one place in src/forwarding that touches the file
// system. includes are resolved like keepalived's glob(3) call (GLOB_BRACE, results sorted by byte
// value, directories skipped), relative to the including file's directory.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseKeepalived, type ParseOptions, type ParsedKeepalived, type SourceText } from './keepalived-config.js';

/** {a,b} expansion (GLOB_BRACE), innermost first; `\{` is literal. */
function expandBraces(pattern: string): string[] {
  const m = /^(.*?)(?<!\\)\{([^{}]*)\}(.*)$/s.exec(pattern);
  if (!m) return [pattern];
  return m[2]!.split(',').flatMap((alt) => expandBraces(m[1]! + alt + m[3]!));
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) re += seg[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (s: string) => /[*?[]/.test(s);

/** The regular files an include pattern matches, sorted, relative paths resolved against `dir`. */
export function globFiles(pattern: string, dir: string): string[] {
  const results = new Set<string>();
  for (const p of expandBraces(pattern)) {
    const abs = path.isAbsolute(p);
    const segments = p.split('/').filter((s, i) => s !== '' || i === 0);
    let bases = [abs ? '/' : ''];
    segments.forEach((seg, i) => {
      if (abs && i === 0 && seg === '') return;
      const next: string[] = [];
      for (const base of bases) {
        const fsBase = path.resolve(dir, base || '.');
        if (!hasMagic(seg)) {
          next.push(base ? path.posix.join(base, seg) : seg);
          continue;
        }
        let names: string[] = [];
        try {
          names = readdirSync(fsBase);
        } catch {
          continue;
        }
        const re = segmentRegex(seg);
        for (const n of names) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(base ? path.posix.join(base, n) : n);
      }
      bases = next;
    });
    for (const b of bases) {
      try {
        if (statSync(path.resolve(dir, b)).isFile()) results.add(b);
      } catch {
        // no match
      }
    }
  }
  return [...results].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A readInclude for parseKeepalived that reads from disk. */
export function readIncludeFromDisk(pattern: string, fromFile: string): SourceText[] {
  const dir = path.dirname(fromFile);
  return globFiles(pattern, dir).map((f) => {
    const file = path.isAbsolute(f) ? f : path.join(dir, f);
    return { file, text: readFileSync(file, 'utf8') };
  });
}

/** Parses a keepalived.conf file and everything it includes. */
export function parseKeepalivedFile(file: string, opts: Omit<ParseOptions, 'file'> = {}): ParsedKeepalived {
  return parseKeepalived(readFileSync(file, 'utf8'), { readInclude: readIncludeFromDisk, ...opts, file });
}
