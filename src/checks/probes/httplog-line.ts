// exp6 (tutorial 5.4.2): `option httplog`, read in `lab logs`. Marker requests go through the VIP from
// the client; the line each one left in an HAProxy node's log is parsed as HAProxy's HTTP log format
// (`client:port [date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes … "request"`), with or
// without a syslog header before it, and its fields are compared with what really happened: the
// client's address (HAProxy sees it, errata 9), a frontend and a server `show stat` knows, the status
// the client got, and five timers.
import { defineProbe } from './define.js';
import { randomBytes } from 'node:crypto';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeImpl, Text } from '../types.js';
import { t } from '../types.js';
import { freshRequests } from './lb-distribution.js';
import { frontendsOf, logSince, serversOf } from './node-ops.js';
import { statRecords, sleep } from './server-counters.js';
import { fail, listSome, pass } from './util.js';

type Params = ProbeOf<'httplog-line'>;

export interface HttplogObservations {
  node: string;
  clientAddress: string | null;
  frontends: string[];
  servers: string[];
  /** Per marker request: what the client got, and the log line each node has for it (null: none). */
  sent: { marker: string; status: number; lines: Record<string, string | null> }[];
  /** Per node: a few other lines logged meanwhile that name the client's address (a log in another format). */
  other: Record<string, string[]>;
}

export interface HttpLogFields {
  client: string;
  frontend: string;
  backend: string;
  server: string;
  timers: number[];
  status: number;
  request: string;
}

const HTTPLOG =
  /(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+):(\d+) \[[^\]]+\] (\S+) ([^\s/]+)\/(\S+) (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/\+?(-?\d+) (-?\d{1,3}) \+?\d+ .*?"([^"]*)"/;

/** `option httplog clf`: the Common Log Format, then HAProxy's own fields (frontend, backend and server quoted). */
const HTTPLOG_CLF =
  /(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+) - - \[[^\]]+\] "([^"]*)" (-?\d{1,3}) \d+ "[^"]*" "[^"]*" (\d+) \d+ "([^"]*)" "([^"]*)" "([^"]*)" (-?\d+) (-?\d+) (-?\d+) (-?\d+) \+?(-?\d+) /;

/** The fields of an HAProxy HTTP log line (option httplog, or its CLF form), or null when the line is in another format. */
export function parseHttpLog(line: string): HttpLogFields | null {
  const c = HTTPLOG_CLF.exec(line);
  if (c) {
    const timers = [c[8], c[9], c[10], c[11], c[12]].map(Number);
    return { client: c[1]!, frontend: c[5]!.replace(/~$/, ''), backend: c[6]!, server: c[7]!, timers, status: Number(c[3]), request: c[2]! };
  }
  const m = HTTPLOG.exec(line);
  if (!m) return null;
  return {
    client: m[1]!,
    frontend: m[3]!.replace(/~$/, ''),
    backend: m[4]!,
    server: m[5]!,
    timers: [m[6], m[7], m[8], m[9], m[10]].map(Number),
    status: Number(m[11]),
    request: m[12]!,
  };
}

export const MESSAGES = {
  noneSent: () => t('no marker request got an answer through the VIP', '没有任何标记请求经 VIP 得到应答'),
  noLine: (node: string, n: number) =>
    t(`none of the ${n} marker requests left a line in \`lab logs ${node}\` (is there a \`log\` line, and \`log global\` in the proxies?)`,
      `${n} 个标记请求都没有在 \`lab logs ${node}\` 中留下日志行（是否配置了 \`log\`，代理中是否有 \`log global\`？）`),
  notHttp: (node: string, line: string) =>
    t(`the log line on ${node} is not HAProxy's HTTP format (\`option httplog\`): ${line}`, `${node} 上的日志行不是 HAProxy 的 HTTP 格式（\`option httplog\`）：${line}`),
  client: (got: string, want: string) => t(`client address ${got}, but the request came from ${want}`, `客户端地址为 ${got}，但请求来自 ${want}`),
  frontend: (got: string) => t(`frontend "${got}" is not a frontend HAProxy reports`, `frontend "${got}" 不是 HAProxy 报告的 frontend`),
  server: (got: string) => t(`backend/server "${got}" is not a server HAProxy reports`, `backend/server "${got}" 不是 HAProxy 报告的 server`),
  status: (got: number, want: number) => t(`status ${got}, but the client got ${want}`, `状态码为 ${got}，但客户端收到的是 ${want}`),
  timers: (got: string) => t(`timers ${got}: Ta (total time) is missing`, `计时字段 ${got}：缺少 Ta（总时间）`),
  fields: (node: string, line: string, list: Text) => t(`the log line on ${node} does not match the request: ${list.en} (${line})`, `${node} 上的日志行与请求不符：${list.zh}（${line}）`),
  passed: (node: string, f: HttpLogFields) =>
    t(`\`lab logs ${node}\` has an HTTP log line: client ${f.client}, frontend ${f.frontend}, ${f.backend}/${f.server}, status ${f.status}, timers ${f.timers.join('/')}`,
      `\`lab logs ${node}\` 中有 HTTP 日志行：客户端 ${f.client}，frontend ${f.frontend}，${f.backend}/${f.server}，状态 ${f.status}，计时 ${f.timers.join('/')}`),
};

const short = (s: string) => (s.length > 160 ? `${s.slice(0, 157)}…` : s);

/** What is wrong with one parsed line, given the request it logs. */
export function fieldProblems(f: HttpLogFields, sent: { status: number }, obs: Pick<HttplogObservations, 'clientAddress' | 'frontends' | 'servers'>): Text[] {
  const problems: Text[] = [];
  if (obs.clientAddress && f.client !== obs.clientAddress) problems.push(MESSAGES.client(f.client, obs.clientAddress));
  if (!obs.frontends.includes(f.frontend)) problems.push(MESSAGES.frontend(f.frontend));
  if (!obs.servers.includes(`${f.backend}/${f.server}`)) problems.push(MESSAGES.server(`${f.backend}/${f.server}`));
  if (f.status !== sent.status) problems.push(MESSAGES.status(f.status, sent.status));
  if (f.timers.length !== 5 || f.timers[4]! < 0) problems.push(MESSAGES.timers(f.timers.join('/')));
  return problems;
}

export function decide(obs: HttplogObservations): Outcome {
  const out = (o: Outcome): Outcome => ({ ...o, observed: obs });
  const answered = obs.sent.filter((s) => s.status > 0);
  if (answered.length === 0) return out(fail(MESSAGES.noneSent()));
  const found = answered.flatMap((s) => Object.entries(s.lines).filter(([, l]) => l).map(([node, l]) => ({ node, line: l!, sent: s })));
  const mine = found.filter((x) => x.node === obs.node);
  if (mine.length === 0) {
    const other = obs.other[obs.node]?.[0];
    return out(fail(other ? MESSAGES.notHttp(obs.node, short(other)) : MESSAGES.noLine(obs.node, answered.length)));
  }
  for (const x of found) {
    const f = parseHttpLog(x.line);
    if (!f) return out(fail(MESSAGES.notHttp(x.node, short(x.line))));
    const problems = fieldProblems(f, x.sent, obs);
    if (problems.length) return out(fail(MESSAGES.fields(x.node, short(x.line), listSome(problems))));
  }
  return out(pass(MESSAGES.passed(obs.node, parseHttpLog(mine[0]!.line)!)));
}

export const httplogLine = defineProbe<Params, HttplogObservations>({
  kind: 'httplog-line',
  needs: 'lab',
  traffic: 'traffic',
  skipReason: t("reads the HAProxy containers' logs; with --target this is graded on the lab only", '需要读取 HAProxy 容器的日志；使用 --target 时无法评判'),
  async observe(ctx, p) {
    const lab = ctx.lab!;
    const host = p.host ?? ctx.domains[0]!;
    const since = Math.floor(Date.now() / 1000) - 1;
    const markers = Array.from({ length: p.requests }, () => `${p.path}-${randomBytes(4).toString('hex')}`);
    const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, markers));
    const stats = await Promise.all(lab.haproxy.map((h) => statRecords(lab, h.container)));
    const obs: HttplogObservations = {
      node: p.node,
      clientAddress: ctx.clientAddress ?? null,
      frontends: [...new Set(stats.flatMap(frontendsOf))],
      servers: [...new Set(stats.flatMap((s) => serversOf(s).map((r) => r.key)))],
      sent: markers.map((marker, i) => ({ marker, status: res[i]!.ok ? res[i]!.status : 0, lines: {} })),
      other: {},
    };
    // HAProxy writes a line when its request ends; give the logs a moment to arrive.
    for (let i = 0; i < 10; i++) {
      const logs = await Promise.all(lab.haproxy.map(async (h) => [h.node, await logSince(lab, h.container, since)] as const));
      for (const s of obs.sent) for (const [node, text] of logs) s.lines[node] = text.split('\n').find((l) => l.includes(`${s.marker} `) || l.endsWith(s.marker)) ?? null;
      const client = obs.clientAddress;
      for (const [node, text] of logs) obs.other[node] = client ? text.split('\n').filter((l) => l.includes(`${client}:`) && !parseHttpLog(l) && !markers.some((m) => l.includes(m))).slice(0, 3) : [];
      const onNode = obs.sent.some((s) => s.lines[p.node]);
      if (onNode && obs.sent.every((s) => s.status === 0 || Object.values(s.lines).some(Boolean))) break;
      await sleep(300);
    }
    return obs;
  },
  decide: (o) => decide(o),
});
