// Just enough of haproxy.cfg to know what the student declared: sections, the ports a proxy binds,
// its default_backend (own or inherited from the last `defaults`), and the runtime sockets in global.
// Grading is behavioural; these facts only say what the behaviour should be compared with.

const SECTION = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers',
  'program', 'http-errors', 'ring', 'cache', 'log-forward', 'fcgi-app', 'crt-store', 'traces',
]);

export interface CfgLine {
  line: number;
  words: string[];
}

export interface CfgSection {
  type: string;
  name: string;
  line: number;
  body: CfgLine[];
}

/** Splits a line into words, dropping the comment; quotes group words (no escapes needed here). */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
      continue;
    }
    if (ch === '#') break;
    if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += ch;
    has = true;
  }
  if (has || cur) out.push(cur);
  return out;
}

export function parseSections(text: string): CfgSection[] {
  const sections: CfgSection[] = [];
  let cur: CfgSection | undefined;
  text.split('\n').forEach((raw, i) => {
    const w = words(raw);
    if (w.length === 0) return;
    if (SECTION.has(w[0]!)) {
      cur = { type: w[0]!, name: w[1] ?? '', line: i + 1, body: [] };
      sections.push(cur);
      return;
    }
    cur?.body.push({ line: i + 1, words: w });
  });
  return sections;
}

/** Ports of a proxy's `bind` lines: "*:80", ":80", "0.0.0.0:80,:8080", "ipv4@:443", "[::]:443". */
export function boundPorts(s: CfgSection): number[] {
  const ports: number[] = [];
  for (const l of s.body) {
    if (l.words[0] !== 'bind' || !l.words[1]) continue;
    for (const addr of l.words[1].split(',')) {
      const m = /:(\d+)(?:-(\d+))?$/.exec(addr);
      if (!m) continue;
      const lo = Number(m[1]);
      const hi = m[2] ? Number(m[2]) : lo;
      for (let p = lo; p <= hi && p - lo < 1000; p++) ports.push(p);
    }
  }
  return ports;
}

export interface Frontend {
  name: string;
  type: string;
  line: number;
  ports: number[];
  /** From the proxy itself, else the last `defaults` above it; undefined when none. */
  defaultBackend?: string;
}

export function frontends(text: string): Frontend[] {
  const out: Frontend[] = [];
  let inherited: string | undefined;
  for (const s of parseSections(text)) {
    const own = s.body.filter((l) => l.words[0] === 'default_backend').pop()?.words[1];
    if (s.type === 'defaults') inherited = own;
    if (s.type !== 'frontend' && s.type !== 'listen') continue;
    out.push({ name: s.name, type: s.type, line: s.line, ports: boundPorts(s), defaultBackend: own ?? inherited });
  }
  return out;
}

export function frontendOn(text: string, port: number): Frontend | undefined {
  return frontends(text).find((f) => f.ports.includes(port));
}

/** `stats socket <addr>` lines of global: unix paths or ipv4@host:port. */
export function statsSockets(text: string): string[] {
  const out: string[] = [];
  for (const s of parseSections(text)) {
    if (s.type !== 'global') continue;
    for (const l of s.body) if (l.words[0] === 'stats' && l.words[1] === 'socket' && l.words[2]) out.push(l.words[2]);
  }
  return out;
}
