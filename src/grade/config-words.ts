// Splitting config lines into words the way each service does, just far enough to know which word a
// service takes as the directive. A scanner that compared raw text would be fooled by quoting
// (`"lua-load"`), escapes (`lua\x2dload`) or a keyword that only exists after environment
// expansion (`"${CMD}"`); these tokenisers undo the first two and flag the third.

export interface Word {
  text: string;
  /** HAProxy: the word contains `$NAME`/`${NAME}` that HAProxy expands from the environment. */
  expands: boolean;
}

/**
 * One line of haproxy.cfg as HAProxy 2.x reads it (src/tools.c parse_line): `#` starts a comment
 * outside quotes, `\` escapes the next character (`\xNN` a byte, `\r \n \t` control characters),
 * single quotes take everything literally, double quotes expand environment variables.
 */
export function haproxyWords(line: string): Word[] {
  const out: Word[] = [];
  let cur = '';
  let has = false;
  let expands = false;
  let quote: '"' | "'" | undefined;
  const push = () => {
    if (has) out.push({ text: cur, expands });
    cur = '';
    has = false;
    expands = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      const n = line[++i]!;
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 1, i + 3))) {
        cur += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else cur += n === 'r' ? '\r' : n === 'n' ? '\n' : n === 't' ? '\t' : n;
      has = true;
      continue;
    }
    if (c === '$' && /[A-Za-z_{]/.test(line[i + 1] ?? '')) expands = true;
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t') {
      push();
      continue;
    }
    cur += c;
    has = true;
  }
  push();
  return out;
}

export interface Statement {
  line: number;
  words: string[];
}

/**
 * nginx.conf as nginx reads it (ngx_conf_file.c): statements end at `;` or open a block at `{`, `}`
 * closes one; `#` comments run to the end of the line; '…' and "…" quote, `\` escapes.
 * Returns every statement with the line its directive name is on.
 */
export function nginxStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let words: string[] = [];
  let cur = '';
  let has = false;
  let line = 1;
  let startLine = 1;
  let wordLine = 1;
  const word = () => {
    if (has) {
      if (words.length === 0) startLine = wordLine;
      words.push(cur);
    }
    cur = '';
    has = false;
  };
  const end = () => {
    word();
    if (words.length) out.push({ line: startLine, words });
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (c === '#' && !has) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      if (!has) wordLine = line;
      has = true;
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === '\n') line++;
        if (text[i] === '\\' && i + 1 < text.length) i++;
        cur += text[i];
      }
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      if (!has) wordLine = line;
      cur += text[++i];
      has = true;
      continue;
    }
    if (c === ';' || c === '{' || c === '}') {
      end();
      continue;
    }
    if (/\s/.test(c)) {
      word();
      continue;
    }
    if (!has) wordLine = line;
    cur += c;
    has = true;
  }
  end();
  return out;
}

/**
 * One line of keepalived.conf (keepalived's parser.c): `#` and `!` start comments, words are split
 * on blanks, `"…"` quotes, and `{`/`}` are words of their own (a block may open on the same line)
 * except in a `${NAME}` parameter reference.
 */
export function keepalivedWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  const push = () => {
    if (has) out.push(cur);
    cur = '';
    has = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      has = true;
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i];
      continue;
    }
    if (c === '#' || c === '!') break;
    // `${NAME}` is a parameter reference inside a word, not a block.
    if (c === '$' && line[i + 1] === '{' && line.indexOf('}', i) > 0) {
      const close = line.indexOf('}', i);
      cur += line.slice(i, close + 1);
      has = true;
      i = close;
      continue;
    }
    if (c === '{' || c === '}') {
      push();
      out.push(c);
      continue;
    }
    if (/\s/.test(c)) {
      push();
      continue;
    }
    cur += c;
    has = true;
  }
  push();
  return out;
}
