// exp8 (tutorial 5.2.1 TCP checks with send/expect, 5.2.3 ssl-hello-chk): a health check that needs the
// server to *answer*, not just to accept a connection. The backend is found by the requests it counts;
// every server must pass a check of the expected kind (check_status L7OK for a tcp-check expect rule,
// L6OK for ssl-hello-chk; an HTTP check reports an HTTP status in check_code and is told apart). Then
// the grader freezes one Nginx (docker pause): the kernel still completes TCP handshakes for it, so a
// connect-only check keeps it UP, while a check that waits for an answer marks it DOWN. The container
// is always unpaused again, and the probe waits (bounded) for the server to come back UP.
import { defineProbe } from './define.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeImpl, Text } from '../types.js';
import { t } from '../types.js';
import { freshRequests, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { addressesOf, ipOf, nodeServers, type NodeServer } from './node-ops.js';
import { serverDeltas, serverRows, sleep } from './server-counters.js';
import { brief, fail, listSome, pass, seen } from './util.js';

type Params = ProbeOf<'health-check-answers'>;

export interface CheckAnswersObservations {
  path: string;
  scheme: 'http' | 'https';
  /** The backend that served the requests, or null (then `seen` says what came back). */
  backend: string | null;
  seen?: string;
  /** Of the requests sent, how many the app answered (absent in older observations). */
  answered?: number;
  /** Per server of that backend: address and, per HAProxy node, status/check columns of `show stat`. */
  servers: { key: string; addr: string; nodes: Record<string, Pick<NodeServer, 'status' | 'checkStatus' | 'checkCode'>> }[];
  /** The server at the frozen Nginx's address (null when the backend has none). */
  target: string | null;
  /** What happened while it was frozen; null when the grader did not freeze it (a precondition failed). */
  paused: { down: boolean; afterMs: number; statuses: Record<string, string> } | null;
}

export const MESSAGES = {
  noBackend: (path: string, scheme: string, what: string) =>
    t(`${scheme.toUpperCase()} requests for ${path} reached no backend server (${what})`, `${path} 的 ${scheme.toUpperCase()} 请求没有到达任何 backend 的 server（${what}）`),
  fewServers: (be: string, n: number, min: number) => t(`backend ${be} has ${n} server(s); expected at least ${min}`, `backend ${be} 只有 ${n} 个 server，应至少 ${min} 个`),
  noCheck: (s: string) => t(`${s}: no health check (add \`check\` to the server line)`, `${s}：没有健康检查（server 行要加 \`check\`）`),
  connectOnly: (s: string, st: string) =>
    t(`${s}: ${st}, a connect-only check: it passes as long as the port accepts connections, which even a frozen server does`,
      `${s}：${st}，只检查了能否建立连接：只要端口还接受连接就算通过，连一个僵死的服务器也能通过`),
  httpCheck: (s: string, code: string) =>
    t(`${s}: an HTTP check (HTTP status ${code}); this step asks for the TCP-level check itself`, `${s}：这是 HTTP 检查（HTTP 状态 ${code}）；本步骤要的是 TCP 层的检查本身`),
  wrongKind: (s: string, st: string, want: string) => t(`${s}: check result ${st}, expected ${want}`, `${s}：检查结果为 ${st}，应为 ${want}`),
  failing: (s: string, st: string, node: string) => t(`${s}: its check fails on ${node} (${st})`, `${s}：在 ${node} 上检查失败（${st}）`),
  badChecks: (be: string, want: string, list: Text) =>
    t(`expected every server of backend ${be} to pass a check that reads an answer (${want}); ${list.en}`, `backend ${be} 的每个 server 都应通过读取应答的检查（${want}）；${list.zh}`),
  notServed: (path: string, scheme: string, be: string, what: string) =>
    t(
      `${scheme.toUpperCase()} requests for ${path} went to backend ${be}, but the app answered none of them (${what}): the backend must still serve` +
        (scheme === 'https' ? ' (TLS passed through to Nginx on 10443, in mode tcp)' : ''),
      `${path} 的 ${scheme.toUpperCase()} 请求到了 backend ${be}，但应用一个也没有应答（${what}）：这个 backend 仍必须能正常服务` +
        (scheme === 'https' ? '（在 mode tcp 下把 TLS 透传到 Nginx 的 10443）' : ''),
    ),
  noTarget: (be: string, node: string) => t(`backend ${be} has no server at ${node}'s address`, `backend ${be} 中没有指向 ${node} 地址的 server`),
  stayedUp: (node: string, s: string, secs: number, st: string) =>
    t(`froze ${node} (its port still accepts connections, nothing answers): after ${secs} s HAProxy still had ${s} UP (${st})`,
      `冻结了 ${node}（端口仍接受连接，但没有任何应答）：${secs} 秒后 HAProxy 仍认为 ${s} 是 UP（${st}）`),
  passed: (be: string, n: number, want: string, node: string, s: string, secs: string) =>
    t(`the ${n} servers of backend ${be} pass ${want} checks, and with ${node} frozen HAProxy marked ${s} DOWN within ${secs} s`,
      `backend ${be} 的 ${n} 个 server 都通过了 ${want} 检查；冻结 ${node} 后 ${secs} 秒内 HAProxy 把 ${s} 标记为 DOWN`),
};

const list = (s: string) => s.replace(/ /g, '');

/** Whether the servers' checks are of the expected kind and pass; null when they are. */
export function checksProblem(obs: CheckAnswersObservations, p: Pick<Params, 'expect' | 'httpCheck' | 'minServers'>): Outcome | null {
  if (!obs.backend) return fail(MESSAGES.noBackend(obs.path, obs.scheme, obs.seen ?? '?'));
  if (obs.servers.length < p.minServers) return fail(MESSAGES.fewServers(obs.backend, obs.servers.length, p.minServers));
  const want = p.expect.join('/');
  const problems: Text[] = [];
  for (const s of obs.servers) {
    const name = s.addr ? `${s.key} (${s.addr})` : s.key;
    const nodes = Object.entries(s.nodes);
    const none = nodes.find(([, n]) => !n.checkStatus);
    const l4 = nodes.find(([, n]) => /^L4OK/.test(n.checkStatus));
    const http = nodes.find(([, n]) => /^L7/.test(n.checkStatus) && /^[1-5]\d\d$/.test(n.checkCode));
    const failing = nodes.find(([, n]) => n.checkStatus && !/OK/.test(n.checkStatus));
    const other = nodes.find(([, n]) => /OK/.test(n.checkStatus) && !p.expect.includes(n.checkStatus));
    if (none) problems.push(MESSAGES.noCheck(name));
    else if (l4 && !p.expect.includes('L4OK')) problems.push(MESSAGES.connectOnly(name, l4[1].checkStatus));
    else if (http && !p.httpCheck) problems.push(MESSAGES.httpCheck(name, http[1].checkCode));
    else if (failing) problems.push(MESSAGES.failing(name, failing[1].checkStatus, failing[0]));
    else if (other) problems.push(MESSAGES.wrongKind(name, other[1].checkStatus, want));
  }
  return problems.length ? fail(MESSAGES.badChecks(obs.backend, list(want), listSome(problems))) : null;
}

export function decide(obs: CheckAnswersObservations, p: Pick<Params, 'expect' | 'httpCheck' | 'minServers' | 'pause' | 'downWithinMs'>): Outcome {
  const out = (o: Outcome): Outcome => ({ ...o, observed: obs });
  const problem = checksProblem(obs, p);
  if (problem) return out(problem);
  // A check that reads the right answer on a backend that does not serve the site is not the lesson
  // (HAProxy terminating TLS and sending plain HTTP to 10443: Nginx's 400 to every request, L6OK still).
  if (obs.answered === 0) return out(fail(MESSAGES.notServed(obs.path, obs.scheme, obs.backend!, obs.seen ?? '?')));
  if (!obs.target) return out(fail(MESSAGES.noTarget(obs.backend!, p.pause)));
  if (!obs.paused || !obs.paused.down) {
    const st = Object.entries(obs.paused?.statuses ?? {}).map(([n, s]) => `${n}: ${s || '?'}`).join(', ');
    return out(fail(MESSAGES.stayedUp(p.pause, obs.target, Math.round(p.downWithinMs / 1000), st)));
  }
  return out(pass(MESSAGES.passed(obs.backend!, obs.servers.length, list(p.expect.join('/')), p.pause, obs.target, (obs.paused.afterMs / 1000).toFixed(1))));
}

async function observe(ctx: Parameters<ProbeImpl<Params>['run']>[0], p: Params): Promise<CheckAnswersObservations> {
  const lab = ctx.lab!;
  const host = p.host ?? ctx.domains[0]!;
  const port = p.scheme === 'http' ? ctx.ports.http : ctx.ports.https;
  const obs: CheckAnswersObservations = { path: p.path, scheme: p.scheme, backend: null, servers: [], target: null, paused: null };
  const before = await serverRows(lab);
  const res = await ctx.edge.batch(freshRequests(host, port, [p.path, p.path, p.path]).map((r) => ({ ...r, scheme: p.scheme })));
  const after = await serverRows(lab);
  const hits = new Map<string, number>();
  for (const [k, v] of serverDeltas(before, after)) if (v > 0) hits.set(after.get(k)!.pxname, (hits.get(after.get(k)!.pxname) ?? 0) + v);
  obs.seen = seen(brief(res[0]!)).en;
  obs.answered = res.filter((r) => brief(r).app).length;
  obs.backend = [...hits.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  if (!obs.backend) return obs;
  const perNode = await nodeServers(lab);
  const keys = [...new Set(Object.values(perNode).flatMap((rows) => Object.values(rows).filter((r) => r.pxname === obs.backend).map((r) => r.key)))];
  obs.servers = keys.map((key) => {
    const nodes: CheckAnswersObservations['servers'][number]['nodes'] = {};
    let addr = '';
    for (const [node, rows] of Object.entries(perNode)) {
      const r = rows[key];
      if (!r) continue;
      addr ||= r.addr;
      nodes[node] = { status: r.status, checkStatus: r.checkStatus, checkCode: r.checkCode };
    }
    return { key, addr, nodes };
  });
  if (checksProblem(obs, p)) return obs;
  const nginx = lab.nginx.find((n) => n.node === p.pause);
  if (!nginx) return obs;
  const ips = await addressesOf(lab, nginx.container);
  obs.target = obs.servers.find((s) => ips.includes(ipOf(s.addr)))?.key ?? null;
  if (!obs.target) return obs;
  const statusOf = async () => Object.fromEntries(Object.entries(await nodeServers(lab)).map(([n, rows]) => [n, rows[obs.target!]?.status ?? '']));
  const started = Date.now();
  let statuses: Record<string, string> = {};
  try {
    await lab.runtime.pauseContainer(nginx.container);
    while (Date.now() - started < p.downWithinMs) {
      statuses = await statusOf();
      if (Object.values(statuses).length === lab.haproxy.length && Object.values(statuses).every((s) => /^DOWN/.test(s))) {
        obs.paused = { down: true, afterMs: Date.now() - started, statuses };
        return obs;
      }
      await sleep(500);
    }
    obs.paused = { down: false, afterMs: Date.now() - started, statuses };
    return obs;
  } finally {
    await lab.runtime.unpauseContainer(nginx.container).catch(() => undefined);
    // Every server at that address, in every backend, must be back before the next check runs.
    const deadline = Date.now() + p.restoreWithinMs;
    while (Date.now() < deadline) {
      const rows = await nodeServers(lab).catch(() => ({}) as Record<string, Record<string, NodeServer>>);
      const there = Object.values(rows).flatMap((r) => Object.values(r).filter((x) => ips.includes(ipOf(x.addr))));
      if (there.length && there.every((x) => /^(UP|no check)/.test(x.status))) break;
      await sleep(500);
    }
  }
}

export const healthCheckAnswers = defineProbe<Params, CheckAnswersObservations>({
  kind: 'health-check-answers',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  observe: (ctx, p) => observe(ctx, p),
  decide: (o, p) => decide(o, p),
});
