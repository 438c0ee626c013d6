// The line reader of keepalived 2.2.7's configuration parser (lib/parser.c read_line, decomment,
// check_definition, replace_param, add_seq, add_lst, check_include, alloc_strvec_r), in TypeScript and
// without file system access: it turns configuration text into the word lines keepalived's keyword
// parser sees, one at a time, each with the file and line it came from.
//
// What it does, as keepalived does it:
//   * `!` and `#` start a comment anywhere outside double quotes; `\!` and `\#` are literal.
//   * `$NAME=value` defines NAME (a value ending in `\` continues on the next lines); `$NAME` and
//     `${NAME}` are replaced anywhere on later lines, recursively; an undefined name stays as written.
//     `$NAME` must be followed by a blank, `,`, `)` or the end of the line to count. Built in:
//     $_PWD, $_INSTANCE, ${_RANDOM [min [max]]}, $_HASH (#), $_BANG (!).
//   * `~SEQ(var, [start,] [step,] end) text` and `~LST(...)` repeat a line.
//   * `@id line` keeps the line only when id is the configuration id (keepalived's -i, by default the
//     short host name), `@^id line` only when it is not.
//   * `include GLOB` (and includer, includem, includew, includeb, includea) reads other files, relative
//     to the including file's directory.
//   * `{` and `}` outside double quotes become lines of their own; words are split on blanks, and a
//     double-quoted string is one word.
// Lines longer than keepalived's 1023-character buffer are not split as keepalived would split them.

export interface SourceText {
  /** The file's name as it should appear in messages. */
  file: string;
  text: string;
}

export interface ConfigLine {
  words: string[];
  file: string;
  line: number;
}

export type Severity = 'error' | 'warning';

export interface ReaderIssue {
  file: string;
  line: number;
  message: string;
  hint: string;
  severity: Severity;
}

export interface ReaderOptions {
  /**
   * Resolves an include: the files that `pattern` (a glob, relative to the directory of `fromFile`) matches,
   * in the order keepalived's glob(3) would give them (sorted). Without it, an include is an error.
   */
  readInclude?: (pattern: string, fromFile: string) => SourceText[];
  /** Definitions in force before the first line, as if `$NAME=value` lines stood at the top. */
  vars?: Record<string, string>;
  /** keepalived's configuration id (-i, by default the short host name) for `@id` lines and $_INSTANCE. */
  configId?: string;
  /** ${_RANDOM min max}; keepalived uses random(). Default: min, so that parsing is repeatable. */
  random?: (min: number, max: number) => number;
}

const INCLUDE_R = 1;
const INCLUDE_M = 2;
const INCLUDE_W = 4;
const INCLUDE_B = 8;
const MAX_INCLUDE_DEPTH = 32;
const MAX_EXPANSIONS = 10_000;

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isSpace = (c: string | undefined) => c !== undefined && ' \t\f\n\r\v'.includes(c);
const isAlpha = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const spanBlanks = (s: string, from: number) => {
  let i = from;
  while (isBlank(s[i])) i++;
  return i;
};
const trimEndBlanks = (s: string) => s.replace(/[ \t]+$/, '');

interface Definition {
  name: string;
  value: string;
  multiline: boolean;
  /** Built-in definitions computed on use. */
  fn?: (params: string | undefined) => string;
  maxParams: number;
}

interface Seq {
  kind: 'seq';
  variable: string;
  next: number;
  step: number;
  last: number;
  hex: boolean;
  text: string;
}

interface Lst {
  kind: 'lst';
  params: string[];
  values: string[][];
  index: number;
  text: string;
}

interface OpenFile {
  file: string;
  lines: string[];
  pos: number;
  lineNo: number;
  /** Listed in `files` once its first line is read (keepalived reads a glob's files one after the other). */
  listed: boolean;
}

/** A C strtol(s, &end, 0): returns the value and where parsing stopped. */
function strtol0(s: string, from: number): { value: number; end: number } {
  let i = from;
  while (isSpace(s[i])) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  while (i < s.length && digits.test(s[i]!)) i++;
  if (i === start) return { value: 0, end: from };
  return { value: sign * parseInt(s.slice(start, i), base), end: i };
}

export class KeepalivedReader {
  readonly issues: ReaderIssue[] = [];
  /** Every file read, the main one first. */
  readonly files: string[] = [];
  /** include_check from global_defs, applied to later includes (keepalived's include_check_set). */
  includeCheck = 0;

  private stack: OpenFile[] = [];
  private residue: string | null = null;
  private defs: Definition[] = [];
  private seqs: (Seq | Lst)[] = [];
  private multilineSeqDepth = 0;
  private nextPtr: string | null = null;
  private multilineStack: { ptr: string; seqDepth: number }[] = [];
  private multilineDef: Definition | null = null;
  private blockDepth = 0;
  private lastFile: string;
  private lastLine = 0;

  constructor(main: SourceText, private readonly opts: ReaderOptions = {}) {
    this.lastFile = main.file;
    this.open(main);
    const dirOf = (f: string) => (f.includes('/') ? f.slice(0, f.lastIndexOf('/')) || '/' : '.');
    this.builtin('_PWD', () => dirOf(this.where().file), 0);
    this.builtin('_INSTANCE', () => opts.configId ?? '', 0);
    this.builtin('_RANDOM', (params) => {
      const nums = (params ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
      const min = nums[0] ?? 0;
      const max = nums[1] ?? 32767;
      return String(opts.random ? opts.random(min, max) : min);
    }, 2);
    this.defs.push({ name: '_HASH', value: '#', multiline: false, maxParams: 0 });
    this.defs.push({ name: '_BANG', value: '!', multiline: false, maxParams: 0 });
    for (const [name, value] of Object.entries(opts.vars ?? {})) this.setDefinition(name, value);
  }

  /** Where the reader is: the file and line of the last physical line read. */
  where(): { file: string; line: number } {
    const top = this.stack[this.stack.length - 1];
    return top ? { file: top.file, line: top.lineNo } : { file: this.lastFile, line: this.lastLine };
  }

  report(message: string, hint: string, severity: Severity = 'error', at = this.where()): void {
    this.issues.push({ file: at.file, line: at.line, message, hint, severity });
  }

  /** The next non-empty word line, or null at the end of the configuration. */
  next(): ConfigLine | null {
    for (;;) {
      const buf = this.readLine();
      if (buf === null) {
        return null;
      }
      const words = this.splitWords(buf);
      if (words.length) return { words, ...this.where() };
    }
  }

  /** Called once the whole configuration has been read (keepalived's check after the last line). */
  finish(): void {
    if (this.blockDepth > 0) {
      this.report(`There are ${this.blockDepth} missing '}'s or extra '{'s`,
        "Close every block: count the '{' and '}' of the block that was opened last.", 'error', { file: this.lastFile, line: this.lastLine });
    }
  }

  private builtin(name: string, fn: (params: string | undefined) => string, maxParams: number) {
    this.defs.push({ name, value: '', multiline: false, fn, maxParams });
  }

  private open(src: SourceText) {
    const lines = src.text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    this.stack.push({ file: src.file, lines, pos: 0, lineNo: 0, listed: false });
  }

  private setDefinition(name: string, value: string) {
    const def = this.defs.find((d) => d.name === name);
    if (def) {
      def.value = value;
      def.multiline = false;
      def.fn = undefined;
    } else this.defs.push({ name, value, multiline: false, maxParams: 0 });
  }

  /** decomment(): comments, `\#`/`\!`, leading and trailing blanks; a trailing `\` is kept. */
  private decomment(input: string): string {
    let str = input.slice(spanBlanks(input, 0));
    let quote = false;
    let cont = false;
    let skip = -1;
    let p = 0;
    while (p < str.length) {
      const c = str[p]!;
      if (c === '"') {
        if (skip < 0) quote = !quote;
        p++;
        continue;
      }
      if (c === '\\') {
        if (p + 1 < str.length) {
          if (!quote && (str[p + 1] === '#' || str[p + 1] === '!')) {
            str = str.slice(0, p) + str.slice(p + 1);
            p++;
          } else p += 2;
          continue;
        }
        str = str.slice(0, p);
        cont = true;
        break;
      }
      if (!quote && skip < 0 && (c === '!' || c === '#')) skip = p;
      p++;
    }
    if (quote) {
      this.report(`Unterminated quote '${str}'`, 'Close the double-quoted string on the same line with a second ".');
    }
    if (skip >= 0) str = str.slice(0, skip);
    str = trimEndBlanks(str);
    if (cont) str += '\\';
    return str;
  }

  /** check_definition(): `$NAME=value`. */
  private checkDefinition(buf: string): Definition | null {
    if (buf[0] !== '$') return null;
    if (!isAlpha(buf[1]) && buf[1] !== '_') return null;
    let p = 2;
    for (; p < buf.length; p++) {
      if (buf[p] === '=') break;
      if (!isAlnum(buf[p]) && buf[p] !== '_') return null;
    }
    if (buf[p] !== '=') return null;
    const name = buf.slice(1, p);
    let def = this.defs.find((d) => d.name === name);
    if (def) def.fn = undefined;
    else {
      def = { name, value: '', multiline: false, maxParams: 0 };
      this.defs.push(def);
    }
    p = spanBlanks(buf, p + 1);
    let value = buf.slice(p);
    if (value.endsWith('\\')) {
      value = trimEndBlanks(value.slice(0, -1));
      def.value = value.length ? value + '\n' : '';
      def.multiline = true;
    } else {
      def.value = value;
      def.multiline = false;
    }
    return def;
  }

  /** find_definition() for a reference starting just after a `$`. */
  private findReference(buf: string, at: number): { def: Definition; length: number; params?: string } | null {
    let i = at;
    const braces = buf[i] === '{';
    if (braces) i++;
    if (!isAlpha(buf[i]) && buf[i] !== '_') return null;
    const nameStart = i;
    i++;
    while (i < buf.length && (isAlnum(buf[i]) || buf[i] === '_')) i++;
    const name = buf.slice(nameStart, i);
    let params: string | undefined;
    let end = i;
    if (braces) {
      let paramStart = -1;
      let paramEnd = -1;
      let q = i;
      while (q < buf.length && (buf[q] === ' ' || isDigit(buf[q]))) {
        if (buf[q] !== ' ') {
          if (paramStart < 0) paramStart = q;
          paramEnd = q;
        }
        q++;
      }
      if (paramStart >= 0 && paramEnd + 1 !== q) return null;
      if (buf[q] !== '}') return null;
      if (paramStart >= 0) params = buf.slice(paramStart, paramEnd + 1);
      end = q + 1;
    } else if (i < buf.length && !' \t,)'.includes(buf[i]!)) return null;
    const allowMultiline = end === buf.length && (braces ? params === undefined : true);
    const def = this.defs.find((d) => d.name === name && (allowMultiline || !d.multiline));
    if (!def) return null;
    if (params !== undefined && !def.maxParams) return null;
    return { def, length: end - (at - 1), params };
  }

  /** replace_param(): expands every reference; null when nothing was replaced. */
  private replaceParams(input: string): string | null {
    let buf = input;
    let cur = 0;
    let found = false;
    let multilinePtr = this.nextPtr;
    let nextPtr = this.nextPtr;
    let expansions = 0;
    while ((cur = buf.indexOf('$', cur)) >= 0 && cur + 1 < buf.length) {
      const ref = this.findReference(buf, cur + 1);
      if (!ref) {
        cur++;
        continue;
      }
      if (++expansions > MAX_EXPANSIONS) {
        this.report(`Definition $${ref.def.name} expands without end`,
          `A definition must not refer to itself: change $${ref.def.name}'s value.`);
        return null;
      }
      found = true;
      nextPtr = multilinePtr;
      if (ref.def.multiline && multilinePtr !== null) this.multilineStack.push({ ptr: multilinePtr, seqDepth: this.multilineSeqDepth });
      if (ref.def.multiline) this.multilineSeqDepth = this.seqs.length;
      const value = ref.def.fn ? ref.def.fn(ref.params) : ref.def.value;
      let replacing = value;
      if (ref.def.multiline) {
        const nl = value.indexOf('\n');
        replacing = nl >= 0 ? value.slice(0, nl) : value;
        nextPtr = nl >= 0 ? value.slice(nl + 1) : '';
        multilinePtr = nextPtr;
      }
      buf = buf.slice(0, cur) + replacing + buf.slice(cur + ref.length);
      if (value.slice(spanBlanks(value, 0)).startsWith('~')) break;
    }
    if (!found) return null;
    this.nextPtr = nextPtr;
    return buf;
  }

  private invalidSeq(buf: string, why = 'Invalid ~SEQ definition'): false {
    this.report(`${why} '${buf}'`, 'Write ~SEQ(var, end), ~SEQ(var, start, end) or ~SEQ(var, start, step, end) followed by the line to repeat.');
    return false;
  }

  /** add_seq(). */
  private addSeq(buf: string): boolean {
    let p = 4;
    let hex = false;
    if (buf[p] === 'x') {
      p++;
      hex = true;
    }
    p = spanBlanks(buf, p);
    if (buf[p++] !== '(') return false;
    p = spanBlanks(buf, p);
    const varStart = p;
    while (p < buf.length && !' \t,)'.includes(buf[p]!)) p++;
    const variable = buf.slice(varStart, p);
    p = spanBlanks(buf, p);
    if (p >= buf.length || buf[p] === ')' || p === varStart) return this.invalidSeq(buf);
    p = spanBlanks(buf, p + 1);
    const close = buf.indexOf(')', p);
    if (close < 0) return this.invalidSeq(buf);
    let params = buf.slice(p, close + 1);
    const savedNext = this.nextPtr;
    this.nextPtr = null;
    params = this.replaceParams(params) ?? params;
    if (this.nextPtr !== null) {
      this.nextPtr = savedNext;
      return this.invalidSeq(buf, '~SEQ parameter is multiline definition');
    }
    this.nextPtr = savedNext;
    const nums: number[] = [];
    let q = 0;
    for (;;) {
      const r = strtol0(params, q);
      nums.push(r.value);
      q = spanBlanks(params, r.end);
      if (params[q] === ')') break;
      if (params[q] !== ',' || nums.length === 3) return this.invalidSeq(buf);
      q++;
    }
    let start: number;
    let step: number;
    let end: number;
    if (nums.length === 1) {
      end = nums[0]!;
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else if (nums.length === 2) {
      [start, end] = nums as [number, number];
      step = start <= end ? 1 : -1;
    } else {
      [start, step, end] = nums as [number, number, number];
      if (!step || (start < end && step < 0) || (start > end && step > 0)) return this.invalidSeq(buf, 'Invalid ~SEQ values');
    }
    if (hex && (start < 0 || end < 0)) return this.invalidSeq(buf, '~SEQx is only valid for positive numbers');
    const text = buf.slice(spanBlanks(buf, close + 1));
    this.seqs.push({ kind: 'seq', variable, next: start, step, last: end, hex, text });
    return true;
  }

  /** add_lst(): ~LST(var, v1, v2) or ~LST({a, b}, {1, 2}, {3, 4}). */
  private addLst(buf: string): boolean {
    let p = spanBlanks(buf, 4);
    if (buf[p++] !== '(') return false;
    p = spanBlanks(buf, p);
    let endChar = ',';
    if (buf[p] === '{') {
      endChar = '}';
      p = spanBlanks(buf, p + 1);
    }
    const params: string[] = [];
    for (;;) {
      const start = p;
      while (p < buf.length && !' \t,}'.includes(buf[p]!)) p++;
      params.push(buf.slice(start, p));
      p = spanBlanks(buf, p);
      if (buf[p] === endChar) break;
      if (buf[p] !== ',') return false;
      p = spanBlanks(buf, p + 1);
    }
    if (buf[p] === '}') p = spanBlanks(buf, p + 1);
    if (buf[p++] !== ',') return false;
    p = spanBlanks(buf, p);
    const values: string[][] = [];
    for (;;) {
      let setEnd = ',';
      if (buf[p] === '{') {
        setEnd = '}';
        p = spanBlanks(buf, p + 1);
      }
      const set: string[] = [];
      for (;;) {
        const start = p;
        while (p < buf.length && !' \t,})'.includes(buf[p]!)) p++;
        set.push(buf.slice(start, p));
        p = spanBlanks(buf, p);
        if (buf[p] === setEnd || (buf[p] === ')' && setEnd === ',')) break;
        if (buf[p] !== ',') return false;
        p = spanBlanks(buf, p + 1);
        if (set.length > params.length - 1) {
          this.report(`~LST specification has too many values '${buf}'`, 'Give each set at most as many values as ~LST has variables.');
          return false;
        }
      }
      while (set.length < params.length) set.push('');
      values.push(set);
      if (buf[p] === '}' && setEnd === '}') p = spanBlanks(buf, p + 1);
      if (buf[p] === ')') break;
      if (buf[p] !== ',') return false;
      p = spanBlanks(buf, p + 1);
    }
    if (!params.length || !values.length) return false;
    const text = buf.slice(spanBlanks(buf, p + 1));
    this.seqs.push({ kind: 'lst', params, values, index: 0, text });
    return true;
  }

  /** The next line from the seq/lst on top, or null. */
  private nextSeqLine(): string {
    const seq = this.seqs[this.seqs.length - 1]!;
    if (seq.kind === 'seq') {
      this.setDefinition(seq.variable, seq.hex ? seq.next.toString(16) : String(seq.next));
      seq.next += seq.step;
      if ((seq.step > 0 && seq.next > seq.last) || (seq.step < 0 && seq.next < seq.last)) this.seqs.pop();
      return seq.text;
    }
    const set = seq.values[seq.index]!;
    seq.params.forEach((name, i) => this.setDefinition(name, set[i] ?? ''));
    if (++seq.index >= seq.values.length) this.seqs.pop();
    return seq.text;
  }

  /** check_include(): true when buf was an include line (and the files are opened). */
  private checkInclude(buf: string): boolean {
    if (!buf.startsWith('include') || buf.length <= 7) return false;
    let type = 0;
    let p: number;
    if (isSpace(buf[7])) p = 8;
    else if (isSpace(buf[8]) && 'rmwba'.includes(buf[7]!)) {
      p = 9;
      type = { r: INCLUDE_R, a: INCLUDE_R | INCLUDE_M | INCLUDE_B | INCLUDE_W, w: INCLUDE_R | INCLUDE_M | INCLUDE_W,
        m: INCLUDE_R | INCLUDE_M, b: INCLUDE_R | INCLUDE_B }[buf[7] as 'r' | 'a' | 'w' | 'm' | 'b'];
    } else return false;
    const pattern = buf.slice(spanBlanks(buf, p));
    const checks = type | this.includeCheck;
    const from = this.where().file;
    if (!this.opts.readInclude) {
      this.report(`include ${pattern}: this check cannot read other files`,
        'Put the included configuration into this file, or give the parser a readInclude function.');
      return true;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.report(`include ${pattern}: includes nested more than ${MAX_INCLUDE_DEPTH} deep`, 'A file probably includes itself: remove the include loop.');
      return true;
    }
    let found: SourceText[];
    try {
      found = this.opts.readInclude(pattern, from);
    } catch (e) {
      this.report(`Error reading config file(s) '${pattern}': ${(e as Error).message}`, 'Make the included file readable.',
        checks & INCLUDE_R ? 'error' : 'warning');
      return true;
    }
    if (!found.length) {
      const brace = /(^|[^\\])\{/.test(pattern);
      if (!/[*?[]/.test(pattern) || brace) {
        const bit = brace ? INCLUDE_B : INCLUDE_M;
        this.report(`Config files missing '${pattern}'.`, `Check the include path: it is relative to ${from.includes('/') ? 'the directory of ' : ''}${from}.`,
          checks & bit ? 'error' : 'warning');
      } else {
        this.report(`No config files matched '${pattern}'.`, 'Check the include pattern, or use plain `include` if no match is fine.',
          checks & INCLUDE_W ? 'error' : 'warning');
      }
      return true;
    }
    for (const f of [...found].reverse()) this.open(f); // the first match on top: it is read first
    return true;
  }

  /** One physical (non-empty, decommented) line from the include stack, or null at the end. */
  private physicalLine(): string | null {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return null;
      if (!top.listed) {
        top.listed = true;
        this.files.push(top.file);
      }
      if (top.pos >= top.lines.length) {
        this.lastFile = top.file;
        this.lastLine = top.lineNo;
        this.stack.pop();
        continue;
      }
      let raw = top.lines[top.pos++]!;
      top.lineNo++;
      raw = raw.replace(/[\r\n]+$/, '');
      if (!raw.length) {
        if (this.multilineDef) {
          if (!this.multilineDef.value.length) this.multilineDef.multiline = false;
          this.multilineDef = null;
        }
        continue;
      }
      const buf = this.decomment(raw);
      if (buf.length) return buf;
    }
  }

  /** read_line(): the next line to split into words, braces split off, or null at the end. */
  private readLine(): string | null {
    let buf = '';
    do {
      if (this.residue !== null) {
        buf = this.residue;
        this.residue = null;
      } else if (this.seqs.length && this.seqs.length > this.multilineSeqDepth) {
        buf = this.nextSeqLine();
      } else if (this.nextPtr !== null) {
        const nl = this.nextPtr.indexOf('\n');
        if (nl < 0) {
          buf = this.nextPtr;
          const popped = this.multilineStack.pop();
          if (popped) {
            this.nextPtr = popped.ptr;
            this.multilineSeqDepth = popped.seqDepth;
          } else {
            this.nextPtr = null;
            this.multilineSeqDepth = 0;
          }
        } else {
          buf = this.nextPtr.slice(0, nl);
          this.nextPtr = this.nextPtr.slice(nl + 1);
        }
      } else {
        const line = this.physicalLine();
        if (line === null) {
          if (this.multilineDef) this.multilineDef = null;
          return null;
        }
        buf = line;
      }

      if (this.multilineDef) {
        const def = this.multilineDef;
        let text = buf;
        if (text.endsWith('\\')) text = trimEndBlanks(text.slice(0, -1)) + '\n';
        else {
          this.multilineDef = null;
          if (!def.value.length) def.multiline = false;
        }
        if (text.length >= 2 || (text.length && !this.multilineDef)) def.value += text;
        buf = '';
        continue;
      }
      if (!buf.length) continue;

      let recheck: boolean;
      do {
        recheck = false;
        if (buf[0] === '@') {
          const reverse = buf[1] === '^';
          const ofs = reverse ? 2 : 1;
          const m = /[ \t]/.exec(buf.slice(ofs));
          if (!m) {
            buf = '';
            break;
          }
          const id = buf.slice(ofs, ofs + m.index);
          const mismatch = this.opts.configId === undefined || id !== this.opts.configId;
          if (mismatch !== reverse) {
            buf = '';
            break;
          }
          buf = buf.slice(spanBlanks(buf, ofs + m.index));
        }
        if (buf[0] === '$') {
          const def = this.checkDefinition(buf);
          if (def) {
            if (def.multiline) this.multilineDef = def;
            buf = '';
            break;
          }
        }
        if (buf.startsWith('~SEQ') || buf.startsWith('~LST')) {
          const ok = buf[1] === 'S' ? this.addSeq(buf) : this.addLst(buf);
          if (!ok && !this.issues.some((i) => i.message.endsWith(`'${buf}'`))) {
            this.report(`Invalid ${buf.slice(0, 4)} specification '${buf}'`,
              buf[1] === 'S' ? 'Write ~SEQ(var, start, end) followed by the line to repeat.' : 'Write ~LST(var, value1, value2, …) followed by the line to repeat.');
          }
          buf = '';
          break;
        }
        if (buf[0] === '~') break;
        if (buf.includes('$')) {
          const replaced = this.replaceParams(buf);
          if (replaced === null) break;
          buf = this.decomment(replaced);
          if (buf[0] === '@' || buf.includes('$')) recheck = true;
        }
      } while (recheck);
    } while (buf === '' || this.checkInclude(buf));

    // `{` and `}` outside double quotes become lines of their own.
    let p = -1;
    if (buf[0] === '{' || buf[0] === '}') p = 0;
    else {
      let q = 0;
      for (;;) {
        const m = /[{}"]/.exec(buf.slice(q));
        if (!m) break;
        const at = q + m.index;
        if (buf[at] !== '"') {
          p = at;
          break;
        }
        const close = buf.indexOf('"', at + 1);
        if (close < 0) break;
        q = close + 1;
      }
    }
    if (p >= 0) {
      const skip = p === 0 ? spanBlanks(buf, 1) : p;
      if (skip < buf.length) {
        this.residue = trimEndBlanks(buf.slice(skip));
        buf = buf.slice(0, skip);
      }
    }
    buf = trimEndBlanks(buf);
    if (buf === '{') this.blockDepth++;
    else if (buf === '}') {
      if (this.blockDepth-- < 1) {
        // keepalived also reports "Unknown keyword '}'" when this '}' is read at the top level; one message is enough.
        this.report("Extra '}' found", "Remove this '}': no block is open here.");
        this.blockDepth = 0;
      }
    }
    return buf;
  }

  /** alloc_strvec_r(): words split on blanks; a double-quoted string is one word without its quotes. */
  private splitWords(buf: string): string[] {
    const words: string[] = [];
    let i = 0;
    for (;;) {
      while (isSpace(buf[i])) i++;
      if (i >= buf.length) break;
      if (buf[i] === '"') {
        const close = buf.indexOf('"', i + 1);
        if (close < 0) {
          this.report(`Unmatched quote: '${buf}'`, 'Close the double-quoted string on the same line with a second ".');
          break;
        }
        words.push(buf.slice(i + 1, close));
        i = close + 1;
      } else {
        const start = i;
        while (i < buf.length && !isSpace(buf[i]) && buf[i] !== '"') i++;
        words.push(buf.slice(start, i));
      }
    }
    return words;
  }
}
