// The tutorial's known pitfalls on today's software (../shared/tutorial/errata.md), found in a
// student's haproxy.cfg, nginx conf.d files or keepalived.conf. `lab apply` adds the matching one to
// a validation error as a hint; `lab validate` keeps them out of reference solutions; `lab guide`
// can warn about them before the student applies.
//
// Severity: "error" — the tool rejects the file; "warning" — it loads, but the lab misbehaves;
// "info" — it works here, but the snippet is outdated or only works by luck.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { walkFiles } from '../util/files.js';
import { MAX_TEXT_BYTES } from '../util/text.js';

export type ConfigKind = 'haproxy' | 'nginx' | 'keepalived';
export type PitfallSeverity = 'error' | 'warning' | 'info';

export interface Pitfall {
  /** Row of the errata table. */
  errata: number;
  /** 1-based line in the file. */
  line: number;
  message: string;
  /** The fix, concrete enough to type. */
  fix: string;
  severity: PitfallSeverity;
}

export interface PitfallContext {
  /** Texts of the other files loaded with this one (e.g. the rest of conf.d), for definitions. */
  siblings?: string[];
}

/** Which tool reads the file, from its name (and content when the name says nothing). */
export function configKindOf(file: string, text = ''): ConfigKind | undefined {
  const base = path.basename(file).toLowerCase();
  const parts = file.split(/[\\/]/);
  if (base.startsWith('keepalived') || parts.includes('keepalived')) return 'keepalived';
  if (base.endsWith('.cfg') || parts.includes('haproxy')) return 'haproxy';
  if (base.endsWith('.conf') || parts.includes('nginx')) return 'nginx';
  if (/^\s*(frontend|backend|listen)\s/m.test(text)) return 'haproxy';
  if (/\bserver\s*\{|\blocation\s/.test(text)) return 'nginx';
  return undefined;
}

interface Line {
  no: number;
  /** Without the comment, trimmed. */
  code: string;
  words: string[];
}

function codeLines(text: string): Line[] {
  return text.split(/\r?\n/).map((raw, i) => {
    const code = raw.replace(/(^|\s)#.*$/, '').trim();
    return { no: i + 1, code, words: code.split(/\s+/).filter(Boolean) };
  });
}

const HAPROXY_SECTIONS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'cache', 'program', 'http-errors', 'ring', 'mailers']);

interface Section {
  kind: string;
  name: string;
  line: number;
  lines: Line[];
}

function haproxySections(lines: Line[]): Section[] {
  const out: Section[] = [];
  for (const l of lines) {
    if (!l.words.length) continue;
    if (HAPROXY_SECTIONS.has(l.words[0]!)) out.push({ kind: l.words[0]!, name: l.words[1] ?? '', line: l.no, lines: [] });
    else out[out.length - 1]?.lines.push(l);
  }
  return out;
}

function bindsPort(l: Line, port: number): boolean {
  return l.words[0] === 'bind' && l.words.slice(1).some((w) => new RegExp(`^(\\*|[\\d.]*|\\[[^\\]]*\\]|[a-z0-9.-]*):${port}$`, 'i').test(w));
}

function haproxyPitfalls(text: string): Pitfall[] {
  const found: Pitfall[] = [];
  const sections = haproxySections(codeLines(text));
  const defaultsForwardfor = sections.some((s) => s.kind === 'defaults' && s.lines.some((l) => l.code.startsWith('option forwardfor')));
  const anySslBind = sections.some((s) => s.lines.some((l) => l.words[0] === 'bind' && l.words.includes('ssl')));
  const setsProto = /X-Forwarded-Proto/i.test(text);

  for (const s of sections) {
    const proxy = s.kind === 'frontend' || s.kind === 'backend' || s.kind === 'listen' || s.kind === 'defaults';
    for (const l of s.lines) {
      const [kw, ...rest] = l.words;
      if (proxy && kw === 'block') {
        found.push({
          errata: 1,
          line: l.no,
          severity: 'error',
          message: "the 'block' directive was removed in HAProxy 2.1 (tutorial 5.3.2); haproxy -c rejects it",
          fix: `write \`http-request deny ${rest.join(' ') || 'if <condition>'}\` instead: same syntax`,
        });
      }
      if (s.kind === 'global' && kw === 'log' && rest[0] && !/^(stdout|stderr|global|ring@.*|fd@.*)$/.test(rest[0])) {
        found.push({
          errata: 6,
          line: l.no,
          severity: 'warning',
          message: `\`log ${rest[0]}\` sends logs to a syslog that nothing reads in the lab's containers: they vanish`,
          fix: 'log to stdout, where `lab logs haproxy1` shows it: `log stdout format raw local0 info`',
        });
      }
      if (s.kind === 'global' && kw === 'daemon') {
        found.push({
          errata: 7,
          line: l.no,
          severity: 'info',
          message: '`daemon` forks HAProxy into the background; in a container PID 1 would exit, and there is no systemctl',
          fix: 'harmless here (lab runs HAProxy in the foreground with -W -db and reloads it with `lab apply`); remove it for containers elsewhere',
        });
      }
      if (s.kind === 'global' && kw === 'stats' && rest[0] === 'socket' && rest[1] === '/var/lib/haproxy/stats') {
        found.push({
          errata: 5,
          line: l.no,
          severity: 'info',
          message: 'the tutorial opens the socket at /var/lib/haproxy/stats but its socat examples use /var/run/haproxy.sock',
          fix: 'use one path everywhere, e.g. `stats socket /var/run/haproxy.sock mode 660 level admin`',
        });
      }
      if (kw === 'option' && rest[0] === 'httpchk' && rest.length >= 3 && /^[A-Z]+$/.test(rest[1]!)) {
        found.push({
          errata: 12,
          line: l.no,
          severity: 'info',
          message: `\`option httpchk ${rest.slice(1).join(' ')}\` is the old form (still accepted by 2.6)`,
          fix: `\`option httpchk\` + \`http-check send meth ${rest[1]} uri ${rest[2]}\``,
        });
      }
    }
    if (s.kind === 'frontend' || s.kind === 'listen') {
      const routes = s.lines.some((l) => l.words[0] === 'use_backend' || l.words[0] === 'default_backend');
      const http80 = s.lines.find((l) => bindsPort(l, 80));
      if (http80 && routes && anySslBind && !s.lines.some((l) => l.code.includes('redirect'))) {
        found.push({
          errata: 10,
          line: http80.no,
          severity: 'info',
          message: `frontend ${s.name} serves plain HTTP for every domain: with nginx's redirect gone, nothing sends HTTP clients to HTTPS`,
          fix: '`http-request redirect scheme https unless { ssl_fc }` in this frontend (or say in a comment that plain HTTP is intended)',
        });
      }
      if (routes && !defaultsForwardfor && !s.lines.some((l) => l.code.startsWith('option forwardfor')) && s.lines.some((l) => l.words[0] === 'bind')) {
        found.push({
          errata: 9,
          line: s.line,
          severity: 'info',
          message: `frontend ${s.name} does not add X-Forwarded-For: the app only sees HAProxy's address`,
          fix: '`option forwardfor` in the frontend (or in defaults)',
        });
      }
      const sslBind = s.lines.find((l) => l.words[0] === 'bind' && l.words.includes('ssl'));
      if (sslBind && routes && !setsProto) {
        found.push({
          errata: 8,
          line: sslBind.no,
          severity: 'info',
          message: 'HAProxy terminates TLS here but never tells the app: behind it nginx only sees http',
          fix: '`http-request set-header X-Forwarded-Proto https if { ssl_fc }`',
        });
      }
    }
  }
  return found;
}

function nginxPitfalls(text: string, ctx: PitfallContext): Pitfall[] {
  const found: Pitfall[] = [];
  const lines = codeLines(text);
  const all = [text, ...(ctx.siblings ?? [])].join('\n');
  const formats = new Set([...all.matchAll(/(?:^|[\s;{}])log_format\s+([\w-]+)/gm)].map((m) => m[1]!));
  formats.add('combined');
  const terminatesTls = lines.some((l) => l.words[0] === 'listen' && l.words.some((w) => w.replace(/;$/, '') === 'ssl'));
  const realIp = /\b(real_ip_header|set_real_ip_from)\b/.test(all);

  for (const l of lines) {
    const [kw, ...rest] = l.words.map((w) => w.replace(/;$/, ''));
    if (kw === 'access_log' && rest[0] !== 'off' && rest[1] && !rest[1].includes('=') && !formats.has(rest[1])) {
      found.push({
        errata: 2,
        line: l.no,
        severity: 'error',
        message: `access_log uses the log format "${rest[1]}", which nginx does not ship and no file here defines`,
        fix:
          rest[1] === 'json_combined'
            ? "define it in the http context (e.g. conf.d/00-log-format.conf): `log_format json_combined escape=json '{…}';`, or use `combined`"
            : `define \`log_format ${rest[1]} …;\` in the http context, or use \`combined\``,
      });
    }
    if (kw === 'ssl_stapling' && rest[0] === 'on') {
      found.push({
        errata: 3,
        line: l.no,
        severity: 'warning',
        message: 'ssl_stapling needs an issuer with an OCSP responder; with the lab CA nginx warns "ssl_stapling ignored" and it never works',
        fix: 'remove `ssl_stapling` (and `ssl_stapling_verify`) for self-signed certificates',
      });
    }
    if (kw === 'proxy_set_header' && /^x-forwarded-proto$/i.test(rest[0] ?? '') && rest[1] === '$scheme' && !terminatesTls) {
      found.push({
        errata: 8,
        line: l.no,
        severity: 'warning',
        message: 'behind HAProxy, nginx receives plain HTTP: $scheme is "http" even for HTTPS requests, so the app is told the wrong protocol',
        fix: 'pass on what HAProxy said: `proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;` (HAProxy sets it with `http-request set-header X-Forwarded-Proto https if { ssl_fc }`)',
      });
    }
    if (kw === 'proxy_set_header' && /^x-real-ip$/i.test(rest[0] ?? '') && rest[1] === '$remote_addr' && !terminatesTls && !realIp) {
      found.push({
        errata: 9,
        line: l.no,
        severity: 'info',
        message: "behind HAProxy, $remote_addr is HAProxy's address, not the client's",
        fix: '`option forwardfor` in HAProxy, and in nginx `real_ip_header X-Forwarded-For;` + `set_real_ip_from <haproxy subnet>;`',
      });
    }
    if (kw === 'return' && /^30[1278]$/.test(rest[0] ?? '') && /^https:/.test(rest[1] ?? '') && !terminatesTls) {
      found.push({
        errata: 10,
        line: l.no,
        severity: 'warning',
        message: 'nginx redirects to HTTPS, but HAProxy terminates TLS and forwards plain HTTP: every HTTPS request is redirected again (a redirect loop)',
        fix: 'remove this redirect server block; redirect at HAProxy instead (`http-request redirect scheme https unless { ssl_fc }`)',
      });
    }
  }

  // A server block with only `location /api/` (and static files) answers 404 for GET /.
  const server = lines.find((l) => /^server\s*\{/.test(l.code));
  const locations = lines.filter((l) => l.words[0] === 'location');
  const hasApi = locations.some((l) => l.words.includes('/api/'));
  const hasRoot = locations.some((l) => l.words[1] === '/' || (l.words[1] === '=' && l.words[2] === '/'));
  if (server && hasApi && !hasRoot) {
    const apiLine = locations.find((l) => l.words.includes('/api/'))!;
    found.push({
      errata: 11,
      line: apiLine.no,
      severity: 'info',
      message: 'only /api/ (and static files) are proxied: GET / answers 404',
      fix: 'add a `location / { … }` block, or probe /api/… paths',
    });
  }
  return found;
}

function keepalivedPitfalls(text: string): Pitfall[] {
  return codeLines(text)
    .filter((l) => l.words[0] === 'virtual_server')
    .map((l) => ({
      errata: 13,
      line: l.no,
      severity: 'info' as const,
      message: 'virtual_server needs the kernel\'s IPVS (ip_vs); keepalived -t accepts it, but without the module keepalived loops on "Can\'t initialize ipvs"',
      fix: 'load ip_vs on the host (`modprobe ip_vs`), or forward layer 4 another way (this lab falls back to nftables)',
    }));
}

/** The errata pitfalls in one config file, in line order. */
export function findPitfalls(file: string, text: string, ctx: PitfallContext = {}): Pitfall[] {
  const kind = configKindOf(file, text);
  const found = kind === 'haproxy' ? haproxyPitfalls(text) : kind === 'nginx' ? nginxPitfalls(text, ctx) : kind === 'keepalived' ? keepalivedPitfalls(text) : [];
  return found.sort((a, b) => a.line - b.line || a.errata - b.errata);
}

/** The pitfalls of every config file in a workspace, with the workspace-relative file. */
export function findWorkspacePitfalls(workspaceDir: string): (Pitfall & { file: string })[] {
  const files = walkFiles(workspaceDir).filter(
    (f) =>
      !f.split(path.sep).includes('.backups') &&
      !f.split(path.sep).includes('certs') &&
      configKindOf(f) !== undefined &&
      // A huge file is no config (lab apply refuses it); scanning it would take minutes.
      statSync(path.join(workspaceDir, f)).size <= MAX_TEXT_BYTES,
  );
  const texts = new Map(files.map((f) => [f, readFileSync(path.join(workspaceDir, f), 'utf8')]));
  const out: (Pitfall & { file: string })[] = [];
  for (const [f, text] of texts) {
    const siblings = [...texts].filter(([g]) => g !== f && path.dirname(g) === path.dirname(f)).map(([, t]) => t);
    out.push(...findPitfalls(f, text, { siblings }).map((p) => ({ ...p, file: f.split(path.sep).join('/') })));
  }
  return out;
}

/** Signatures of the tools' own messages for the pitfalls that make a config invalid. */
const ERROR_SIGNATURES: { errata: number; re: RegExp; message: string; fix: string }[] = [
  {
    errata: 1,
    re: /'block' directive is not supported/i,
    message: "the 'block' directive was removed in HAProxy 2.1 (tutorial 5.3.2)",
    fix: 'write `http-request deny if <condition>` instead: same syntax',
  },
  {
    errata: 2,
    re: /unknown log format/i,
    message: 'the log format is not built into nginx',
    fix: "define it in the http context (e.g. conf.d/00-log-format.conf): `log_format json_combined escape=json '{…}';`, or use `combined`",
  },
];

/**
 * The pitfall that explains a validator's error: by the tool's message first, then by the line it
 * blamed. Undefined when the error is not a known pitfall.
 */
export function pitfallForError(toolOutput: string, pitfalls: Pitfall[], line?: number): Pitfall | undefined {
  for (const sig of ERROR_SIGNATURES) {
    if (!sig.re.test(toolOutput)) continue;
    const match = pitfalls.filter((p) => p.errata === sig.errata);
    return match.find((p) => p.line === line) ?? match[0] ?? { errata: sig.errata, line: line ?? 0, message: sig.message, fix: sig.fix, severity: 'error' };
  }
  if (line === undefined) return undefined;
  return pitfalls.find((p) => p.line === line && p.severity === 'error') ?? pitfalls.find((p) => p.line === line);
}
