// The course tutorial's known pitfalls on today's software (the catalogue at the end of this file,
// published as docs/errata.md), found in a student's haproxy.cfg, nginx conf.d files or keepalived.conf.
// `lab apply` adds the matching one to a validation error as a hint; `lab validate` keeps them out of
// reference solutions; `lab guide` can warn about them before the student applies.
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

// ---------------------------------------------------------------------------------------------------
// The catalogue: every pitfall lab knows, numbered as above, with what docs/errata.md says about it
// (`npm run docs` writes that file from here; a unit test fails when the two differ).

/** Where the catalogue is published in this repository; messages link to `${ERRATA_DOC}#<n>`. */
export const ERRATA_DOC = 'docs/errata.md';

/** `docs/errata.md#1`: the short link a message gives for an erratum. */
export function errataLink(errata: number): string {
  return `${ERRATA_DOC}#${errata}`;
}

export interface Bilingual {
  en: string;
  zh: string;
}

export interface Erratum {
  errata: number;
  /** The course tutorial's sections it comes from (ids of labs/tutorial-sections.yaml). */
  sections: string[];
  title: Bilingual;
  /** What the tutorial says (Markdown). */
  snippet: Bilingual;
  /** What really happens on today's software. */
  happens: Bilingual;
  fix: Bilingual;
  /** Reproduced with Debian bookworm's packages (HAProxy 2.6.12, nginx 1.22.1, keepalived 2.2.7); otherwise found by reading. */
  verified: boolean;
  /** What lab itself does about it, besides finding it in files. */
  lab?: Bilingual;
  /** Small files in which findPitfalls() reports it: the document says where lab looks, and a test keeps that true. */
  examples?: { file: string; text: string }[];
}

export const ERRATA: Erratum[] = [
  {
    errata: 1,
    sections: ['5.3.2'],
    title: { en: '`block` is gone since HAProxy 2.1', zh: '`block` 自 HAProxy 2.1 起已移除' },
    snippet: { en: '`block if is_admin !allowed_ip`', zh: '`block if is_admin !allowed_ip`' },
    happens: {
      en: "`haproxy -c` fails: \"The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.\"",
      zh: "`haproxy -c` 报错：\"The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.\"",
    },
    fix: { en: '`http-request deny if is_admin !allowed_ip`: the same condition', zh: '`http-request deny if is_admin !allowed_ip`：条件的写法完全相同' },
    verified: true,
    lab: { en: "exp5 asks for this ACL; the grader's config check names the fix when HAProxy refused the file.", zh: '实验 exp5 要求写这条 ACL；HAProxy 拒绝配置文件时，评分的配置检查会给出这个修正。' },
    examples: [{ file: 'haproxy/haproxy.cfg', text: 'frontend web\n    bind *:80\n    option forwardfor\n    acl is_admin path_beg /admin\n    block if is_admin\n    default_backend app\n' }],
  },
  {
    errata: 2,
    sections: ['实验二 Nginx 配置文件调整'],
    title: { en: 'nginx has no `json_combined` log format', zh: 'nginx 没有内置 `json_combined` 日志格式' },
    snippet: { en: '`access_log … json_combined;`', zh: '`access_log … json_combined;`' },
    happens: { en: '`nginx -t` fails: `unknown log format "json_combined"`; nginx only ships `combined`.', zh: '`nginx -t` 报错：`unknown log format "json_combined"`；nginx 只内置了 `combined`。' },
    fix: {
      en: "define it once in the `http` context, e.g. `log_format json_combined escape=json '{…}';` in conf.d/00-log-format.conf, or use `combined`",
      zh: "在 `http` 上下文中定义一次，例如在 conf.d/00-log-format.conf 中写 `log_format json_combined escape=json '{…}';`，或者改用 `combined`",
    },
    verified: true,
    lab: { en: "exp2's start files define it in conf.d/00-log-format.conf.", zh: 'exp2 的初始文件已在 conf.d/00-log-format.conf 中定义了它。' },
    examples: [{ file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10080;\n    access_log /var/log/nginx/a.log json_combined;\n    location / {\n        proxy_pass http://app;\n    }\n}\n' }],
  },
  {
    errata: 3,
    sections: ['实验二 修改前配置（示例）'],
    title: { en: '`ssl_stapling` with a self-signed certificate', zh: '自签名证书上的 `ssl_stapling`' },
    snippet: { en: '`ssl_stapling on;` in the server block before the change', zh: '修改前的 server 块中的 `ssl_stapling on;`' },
    happens: {
      en: 'nginx warns `"ssl_stapling" ignored, issuer certificate not found`: stapling needs a CA with an OCSP responder, which a self-signed CA (like the lab CA) does not have.',
      zh: 'nginx 警告 `"ssl_stapling" ignored, issuer certificate not found`：OCSP Stapling 需要带 OCSP 响应服务的 CA，自签名 CA（比如实验的 CA）没有。',
    },
    fix: { en: 'leave out `ssl_stapling` and `ssl_stapling_verify` for self-signed certificates', zh: '使用自签名证书时去掉 `ssl_stapling` 和 `ssl_stapling_verify`' },
    verified: true,
    lab: { en: "exp2's start files leave it out.", zh: 'exp2 的初始文件里已经去掉了它。' },
    examples: [{ file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10443 ssl;\n    ssl_stapling on;\n    location / {\n        proxy_pass http://app;\n    }\n}\n' }],
  },
  {
    errata: 4,
    sections: ['6.2', '6.4'],
    title: { en: 'two passwords for the stats page', zh: '统计页面的两个密码' },
    snippet: { en: '6.2 configures `stats auth admin:123456`, but 6.4 tests with `curl -u admin:StrongPassword123`', zh: '6.2 配置的是 `stats auth admin:123456`，6.4 却用 `curl -u admin:StrongPassword123` 测试' },
    happens: { en: 'the test command gets 401 Unauthorized.', zh: '测试命令得到 401 Unauthorized。' },
    fix: { en: 'the same credentials in the config and in the test', zh: '配置和测试使用同一组用户名和密码' },
    verified: false,
    lab: { en: "exp1's checks log in with admin:123456, as 6.2 configures.", zh: 'exp1 的检查按 6.2 的配置，用 admin:123456 登录。' },
  },
  {
    errata: 5,
    sections: ['6.2', 'Haproxy 独有的sock 操作'],
    title: { en: 'two paths for the runtime socket', zh: '运行时 socket 的两个路径' },
    snippet: { en: '6.2 opens `stats socket /var/lib/haproxy/stats`, but the socket section talks to `/var/run/haproxy.sock`', zh: '6.2 打开的是 `stats socket /var/lib/haproxy/stats`，socket 一节却连接 `/var/run/haproxy.sock`' },
    happens: { en: '`socat` to the other path finds no socket.', zh: '`socat` 连接另一个路径时找不到 socket。' },
    fix: { en: 'one path, used everywhere, e.g. `stats socket /var/run/haproxy.sock mode 660 level admin`', zh: '只用一个路径，处处一致，例如 `stats socket /var/run/haproxy.sock mode 660 level admin`' },
    verified: false,
    examples: [{ file: 'haproxy/haproxy.cfg', text: 'global\n    stats socket /var/lib/haproxy/stats mode 660 level admin\n' }],
  },
  {
    errata: 6,
    sections: ['6.2', '6.4'],
    title: { en: 'a syslog that nothing reads', zh: '没有人读取的 syslog' },
    snippet: { en: '6.2 `log /dev/log local0`; 6.4 `tail -f /var/log/messages`', zh: '6.2 的 `log /dev/log local0`；6.4 的 `tail -f /var/log/messages`' },
    happens: {
      en: 'in a container (and on Ubuntu without rsyslog rules) nothing reads /dev/log: the logs vanish; Ubuntu has no /var/log/messages either.',
      zh: '容器里（以及没有配置 rsyslog 规则的 Ubuntu 上）没有进程读取 /dev/log，日志就丢了；Ubuntu 也没有 /var/log/messages。',
    },
    fix: { en: 'in containers, log to stdout: `log stdout format raw local0`, and read it with `lab logs haproxy1` (or run a syslog sink)', zh: '在容器里把日志写到标准输出：`log stdout format raw local0`，用 `lab logs haproxy1` 查看（或者运行一个 syslog 接收端）' },
    verified: false,
    examples: [{ file: 'haproxy/haproxy.cfg', text: 'global\n    log /dev/log local0 info\n' }],
  },
  {
    errata: 7,
    sections: ['6.2', '6.4'],
    title: { en: '`daemon` and `systemctl` in a container', zh: '容器里的 `daemon` 与 `systemctl`' },
    snippet: { en: '`daemon` in `global`; `systemctl restart haproxy`, `systemctl status haproxy`', zh: '`global` 中的 `daemon`；`systemctl restart haproxy`、`systemctl status haproxy`' },
    happens: {
      en: 'in a container, a HAProxy that forks into the background leaves PID 1 and the container exits; there is no systemd to ask.',
      zh: '在容器里，转入后台的 HAProxy 会让 PID 1 退出，容器随之停止；也没有 systemd 可用。',
    },
    fix: {
      en: 'run it in the foreground (`haproxy -W -db -f …`) and reload with a signal to the master (`SIGUSR2`) after `haproxy -c`',
      zh: '在前台运行（`haproxy -W -db -f …`），先 `haproxy -c` 校验，再向 master 进程发信号（`SIGUSR2`）重载',
    },
    verified: false,
    lab: {
      en: "lab's HAProxy runs in the foreground in master-worker mode, so `daemon` is harmless here; `lab apply` validates and reloads, `lab status` and `lab logs` stand in for systemctl.",
      zh: 'lab 的 HAProxy 以 master-worker 模式在前台运行，所以这里的 `daemon` 无害；`lab apply` 负责校验和重载，`lab status`、`lab logs` 代替 systemctl。',
    },
    examples: [{ file: 'haproxy/haproxy.cfg', text: 'global\n    daemon\n' }],
  },
  {
    errata: 8,
    sections: ['实验二 Nginx 配置文件调整'],
    title: { en: '`X-Forwarded-Proto $scheme` behind HAProxy', zh: 'HAProxy 之后的 `X-Forwarded-Proto $scheme`' },
    snippet: { en: 'HAProxy terminates TLS now, and nginx keeps `proxy_set_header X-Forwarded-Proto $scheme;`', zh: 'TLS 改由 HAProxy 终止，nginx 仍保留 `proxy_set_header X-Forwarded-Proto $scheme;`' },
    happens: { en: 'the app is told `http` for HTTPS requests: behind HAProxy, nginx receives plain HTTP, so $scheme is `http`.', zh: 'HTTPS 请求也被告知为 `http`：在 HAProxy 之后 nginx 收到的是明文 HTTP，$scheme 总是 `http`。' },
    fix: {
      en: 'HAProxy: `http-request set-header X-Forwarded-Proto https if { ssl_fc }`; nginx: `proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;`',
      zh: 'HAProxy：`http-request set-header X-Forwarded-Proto https if { ssl_fc }`；nginx：`proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;`',
    },
    verified: false,
    lab: { en: "exp2's checks ask the app which protocol it was told.", zh: 'exp2 的检查会询问应用它被告知的协议。' },
    examples: [
      { file: 'haproxy/haproxy.cfg', text: 'frontend https-in\n    bind *:443 ssl crt /etc/haproxy/certs/\n    option forwardfor\n    default_backend app\n' },
      { file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10080;\n    location / {\n        proxy_set_header X-Forwarded-Proto $scheme;\n    }\n}\n' },
    ],
  },
  {
    errata: 9,
    sections: ['实验二 Nginx 配置文件调整'],
    title: { en: "the client's address behind HAProxy", zh: 'HAProxy 之后的客户端地址' },
    snippet: { en: 'nginx `proxy_set_header X-Real-IP $remote_addr;` behind HAProxy', zh: '在 HAProxy 之后，nginx 的 `proxy_set_header X-Real-IP $remote_addr;`' },
    happens: { en: "the app sees HAProxy's address, not the client's.", zh: '应用看到的是 HAProxy 的地址，而不是客户端的地址。' },
    fix: {
      en: 'HAProxy: `option forwardfor`; nginx: `real_ip_header X-Forwarded-For;` and `set_real_ip_from <HAProxy subnet>;`',
      zh: 'HAProxy：`option forwardfor`；nginx：`real_ip_header X-Forwarded-For;` 和 `set_real_ip_from <HAProxy 所在网段>;`',
    },
    verified: false,
    lab: {
      en: "lab's layer 4 (LVS-NAT, or nftables DNAT) keeps the client's address, so HAProxy sees it; exp2's checks ask the app what it was told.",
      zh: 'lab 的四层转发（LVS-NAT 或 nftables DNAT）保留了客户端地址，HAProxy 能看到它；exp2 的检查会询问应用得到的地址。',
    },
    examples: [
      { file: 'haproxy/haproxy.cfg', text: 'frontend http-in\n    bind *:80\n    default_backend app\n' },
      { file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10080;\n    location / {\n        proxy_set_header X-Real-IP $remote_addr;\n    }\n}\n' },
    ],
  },
  {
    errata: 10,
    sections: ['实验二 Nginx 配置文件调整', '实验二 HAProxy 配置文件示例'],
    title: { en: 'the HTTPS redirect', zh: 'HTTPS 跳转' },
    snippet: { en: "nginx's HTTP→HTTPS redirect (`return 301 https://…`) while HAProxy's `http-in` only routes", zh: 'nginx 的 HTTP→HTTPS 跳转（`return 301 https://…`），而 HAProxy 的 `http-in` 只做路由' },
    happens: {
      en: 'kept in nginx, the redirect loops: HTTPS requests reach nginx as plain HTTP and are redirected again; removed, plain HTTP is served for every domain and the site silently lost its redirect.',
      zh: '若 nginx 保留跳转，就会循环跳转：HTTPS 请求到 nginx 时已是明文 HTTP，又被跳转一次；若删掉，所有域名都以明文 HTTP 提供服务，网站悄悄失去了 HTTPS 跳转。',
    },
    fix: { en: 'redirect at HAProxy: `http-request redirect scheme https unless { ssl_fc }` in `http-in` (or say that plain HTTP is intended)', zh: '在 HAProxy 上跳转：在 `http-in` 中写 `http-request redirect scheme https unless { ssl_fc }`（或注明有意提供明文 HTTP）' },
    verified: false,
    lab: { en: "exp2's checks follow the redirects and fail on a loop.", zh: 'exp2 的检查会跟随跳转，出现循环即判为失败。' },
    examples: [
      {
        file: 'haproxy/haproxy.cfg',
        text: 'frontend http-in\n    bind *:80\n    option forwardfor\n    default_backend app\nfrontend https-in\n    bind *:443 ssl crt /etc/haproxy/certs/\n    option forwardfor\n    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n    default_backend app\n',
      },
      { file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10080;\n    return 301 https://$server_name$request_uri;\n}\n' },
    ],
  },
  {
    errata: 11,
    sections: ['实验二 修改后配置（示例）'],
    title: { en: 'only /api/ is proxied', zh: '只代理了 /api/' },
    snippet: { en: 'the server block after the change has only `location /api/` and a static-file regex', zh: '修改后的 server 块只有 `location /api/` 和一个静态文件的正则 location' },
    happens: { en: '`GET /` answers 404.', zh: '`GET /` 返回 404。' },
    fix: { en: 'add a `location /` block, or probe /api/… paths', zh: '加一个 `location /` 块，或者只探测 /api/… 路径' },
    verified: false,
    examples: [{ file: 'nginx/conf.d/a.conf', text: 'server {\n    listen 10080;\n    location /api/ {\n        proxy_pass http://app;\n    }\n}\n' }],
  },
  {
    errata: 12,
    sections: ['5.2.2'],
    title: { en: 'the old form of `option httpchk`', zh: '`option httpchk` 的旧写法' },
    snippet: { en: '`option httpchk GET /health`', zh: '`option httpchk GET /health`' },
    happens: { en: 'still accepted by HAProxy 2.6, but the current form sends the request with `http-check send`.', zh: 'HAProxy 2.6 仍然接受，但现在的写法是用 `http-check send` 发送检查请求。' },
    fix: { en: '`option httpchk` + `http-check send meth GET uri /health`; either works, the checks grade behaviour, not spelling', zh: '`option httpchk` + `http-check send meth GET uri /health`；两种都可以，检查看的是行为而不是写法' },
    verified: false,
    examples: [{ file: 'haproxy/haproxy.cfg', text: 'backend app\n    option httpchk GET /health\n    server a 127.0.0.1:8080 check\n' }],
  },
  {
    errata: 13,
    sections: ['3.1'],
    title: { en: 'IPVS needs a kernel module', zh: 'IPVS 需要内核模块' },
    snippet: { en: 'keepalived `virtual_server` blocks for the LVS tier', zh: 'LVS 层的 keepalived `virtual_server` 配置块' },
    happens: {
      en: 'on a kernel without `ip_vs`, keepalived loops on "IPVS: Can\'t initialize ipvs: Protocol not available" and `ipvsadm -Ln` fails the same way; `keepalived -t` still accepts the config.',
      zh: '在没有 `ip_vs` 模块的内核上，keepalived 反复报 "IPVS: Can\'t initialize ipvs: Protocol not available"，`ipvsadm -Ln` 也同样失败；`keepalived -t` 却照样接受这份配置。',
    },
    fix: { en: 'load `ip_vs` on the host (`modprobe ip_vs`; a container cannot load modules), or forward layer 4 another way and say so', zh: '在宿主机上加载 `ip_vs`（`modprobe ip_vs`；容器不能加载内核模块），或者换一种四层转发方式并加以说明' },
    verified: true,
    lab: { en: 'where the kernel has no IPVS, `lab up` forwards layer 4 with nftables DNAT in the directors; `lab doctor` says which mode is in use.', zh: '内核没有 IPVS 时，`lab up` 在调度节点上改用 nftables DNAT 做四层转发；`lab doctor` 会显示当前的模式。' },
    examples: [{ file: 'keepalived/keepalived.conf', text: 'virtual_server 10.0.0.1 80 {\n    lb_algo rr\n}\n' }],
  },
  {
    errata: 14,
    sections: ['6.2'],
    title: { en: '`maxconn 50000` and the file-descriptor limit', zh: '`maxconn 50000` 与文件描述符上限' },
    snippet: { en: '`maxconn 50000` in `global`', zh: '`global` 中的 `maxconn 50000`' },
    happens: {
      en: 'HAProxy needs about two file descriptors per connection; where the hard limit is lower (20000 for the course machines\' Docker engine), HAProxy 2.6 refuses to start ("Cannot raise FD limit"), and a container cannot raise the limit.',
      zh: 'HAProxy 每个连接大约需要两个文件描述符；硬上限更低时（课程机器上的 Docker 引擎为 20000），HAProxy 2.6 拒绝启动（"Cannot raise FD limit"），容器里也无法提高这个上限。',
    },
    fix: { en: 'a maxconn that fits the limit, or `no strict-limits`, so HAProxy warns and fits maxconn to the limit', zh: '把 maxconn 设在上限之内，或者加 `no strict-limits`，让 HAProxy 只给出警告并把 maxconn 调整到上限之内' },
    verified: true,
    lab: { en: "lab's HAProxy image loads `no strict-limits` after your haproxy.cfg, so the tutorial's value works.", zh: 'lab 的 HAProxy 镜像会在你的 haproxy.cfg 之后加载 `no strict-limits`，所以教程里的值也能用。' },
  },
  {
    errata: 15,
    sections: ['5.3.3'],
    title: { en: 'a stick-table that nothing fills', zh: '没有任何记录的 stick-table' },
    snippet: {
      en: '`stick-table … store conn_rate(3s)` and `tcp-request connection reject if { src_conn_rate gt 10 }`, without `track-sc0`',
      zh: '`stick-table … store conn_rate(3s)` 加 `tcp-request connection reject if { src_conn_rate gt 10 }`，但没有 `track-sc0`',
    },
    happens: { en: 'nothing is ever stored in the table, so the limit never triggers.', zh: '表里什么也不会记录，限速永远不会触发。' },
    fix: { en: '`tcp-request connection track-sc0 src`, then `tcp-request connection reject if { sc0_conn_rate gt 10 }`', zh: '先 `tcp-request connection track-sc0 src`，再 `tcp-request connection reject if { sc0_conn_rate gt 10 }`' },
    verified: true,
    lab: { en: "exp5's rate-limit check says so when no connection was refused.", zh: '没有连接被拒绝时，exp5 的限速检查会指出这一点。' },
  },
];
