// exp8 (tutorial 5.1.3): leastconn sends a new request to the server with the fewest connections. The
// grader holds `hold` slow requests open (`${path}slow?ms=holdMs`, each on its own connection, so the
// directors spread them over the HAProxy nodes), reads which servers hold them on each node (scur),
// then sends `requests` quick requests one after another (50 ms apart) on new connections. On every node where some
// but not all servers are busy, no quick request may reach a busy server; roundrobin (the default) and
// random send about a third of them there. Counted per node, from `show stat` through lab's master socket.
// `balance random(N)` keeps the least loaded of N draws: with two of three servers busy on a node it still
// reaches a busy one with (2/3)^N per request, so holds of two per node catch N up to about 6; a larger N
// balances as leastconn does, and passes.
import { defineProbe } from './define.js';
import type { ProbeOf } from '../schema.js';
import type { LabHandle, Outcome, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { Disturbed, measureAgain, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { appView, nodeServers, token, type NodeServer } from './node-ops.js';
import { sleep } from './server-counters.js';
import { fail, pass } from './util.js';
import { shq } from '../http.js';
import { runClientScript } from '../client-script.js';

type Params = ProbeOf<'lb-leastconn'>;

export interface LeastconnObservations {
  path: string;
  /** The backend the held requests reached (null: none did). */
  backend: string | null;
  /** Its servers, with addresses. */
  servers: { key: string; addr: string }[];
  holdsSeen: number;
  /** Per HAProxy node: servers busy with a held request (scur) before and after the quick requests, and where the quick ones went. */
  nodes: { node: string; busy: string[]; busyAfter: string[]; quick: Record<string, number>; full?: string[] }[];
  sent: number;
  failed: number;
  firstFailure?: string;
  /** Quick requests the backend's servers counted, over all nodes. */
  reached: number;
}

export const MESSAGES = {
  noHold: (path: string, n: number) =>
    t(`${n} slow requests for ${path}slow were held open, but no backend server counted them`, `对 ${path}slow 保持了 ${n} 个慢请求，但没有任何 backend 的 server 统计到它们`),
  failed: (n: number, total: number, what: string) => t(`${n} of ${total} quick requests failed (${what})`, `${total} 个快速请求中有 ${n} 个失败（${what}）`),
  fewReached: (got: number, n: number, be: string) => t(`only ${got} of ${n} quick requests reached a server of backend ${be}`, `${n} 个快速请求中只有 ${got} 个到达了 backend ${be} 的 server`),
  oneServer: (be: string, n: number) => t(`backend ${be} has ${n} server(s): leastconn needs a choice`, `backend ${be} 只有 ${n} 个 server：leastconn 需要有得选`),
  noneEvaluated: (be: string) =>
    t(`the held requests left no HAProxy node with some servers busy and some idle in backend ${be}; nothing to compare`,
      `保持的请求没能让任何一个 HAProxy 节点上的 backend ${be} 出现"部分 server 忙、部分空闲"的局面，无从比较`),
  toBusy: (node: string, busy: string[], hit: number, total: number) =>
    t(`on ${node}, while ${busy.join(' and ')} ${busy.length > 1 ? 'each ' : ''}held a slow request, ${hit} of the ${total} new requests there ` +
        `still went to ${busy.length > 1 ? 'them' : 'it'}; leastconn sends a new request to the server with the fewest connections`,
      `在 ${node} 上，${busy.join(' 和 ')} 正忙于慢请求时，该节点收到的 ${total} 个新请求中仍有 ${hit} 个被发给了${busy.length > 1 ? '它们' : '它'}；leastconn 会把新请求交给连接最少的 server`),
  full: (node: string, busy: string[]) =>
    t(`on ${node}, ${busy.join(' and ')} had reached ${busy.length > 1 ? 'their' : 'its'} session limit (maxconn): new requests avoided ` +
        `${busy.length > 1 ? 'them' : 'it'} because ${busy.length > 1 ? 'they were' : 'it was'} full, which any algorithm does; ` +
        'leastconn avoids a busier server long before it is full',
      `在 ${node} 上，${busy.join(' 和 ')} 已达到会话上限（maxconn）：新请求避开它们是因为已满，任何算法都会这样；leastconn 在 server 远未满时就会避开更忙的那个`),
  inconclusive: (total: number, chance: number) =>
    t(`all ${total} new requests on the judged nodes avoided the busy servers, but random balancing would do that by chance ${chance.toExponential(1)} of the time: too few to tell`,
      `被评判节点上的 ${total} 个新请求都避开了忙碌的 server，但随机算法也有 ${chance.toExponential(1)} 的概率做到：样本太少，无法判断`),
  passed: (be: string, nodes: string, total: number) =>
    t(`backend ${be}: while slow requests held ${nodes}, all ${total} new requests there went to idle servers`, `backend ${be}：慢请求占用 ${nodes} 期间，这些节点上的 ${total} 个新请求全部交给了空闲的 server`),
};

/** Below this chance of `balance random` avoiding the busy servers too, an all-idle result counts as leastconn. */
export const CONCLUSIVE = 1e-3;

/**
 * The chance that `balance random` (HAProxy's default of two draws, keeping the less loaded: the nearest
 * wrong algorithm) would also have sent none of the judged requests to a busy server: per request on a
 * node with b of n servers busy, it picks a busy one only when both draws are busy, (b/n)².
 */
export function randomWouldPass(obs: LeastconnObservations): number {
  const n = obs.servers.length;
  return obs.nodes
    .filter((x) => x.busy.length >= 1 && x.busy.length < n)
    .reduce((acc, x) => acc * (1 - (x.busy.length / n) ** 2) ** Object.values(x.quick).reduce((a, b) => a + b, 0), 1);
}

/** Whether an outcome says "too few judged requests" (then the probe measures again). */
export const isInconclusive = (o: Outcome) => (o as Outcome & { inconclusive?: boolean }).inconclusive === true;

export function decide(obs: LeastconnObservations): Outcome {
  const out = (o: Outcome): Outcome => ({ ...o, observed: obs });
  if (!obs.backend) return out(fail(MESSAGES.noHold(obs.path, obs.holdsSeen)));
  if (obs.failed) return out(fail(MESSAGES.failed(obs.failed, obs.sent, obs.firstFailure ?? '?')));
  if (obs.reached < obs.sent) return out(fail(MESSAGES.fewReached(obs.reached, obs.sent, obs.backend)));
  if (obs.servers.length < 2) return out(fail(MESSAGES.oneServer(obs.backend, obs.servers.length)));
  const judged = obs.nodes.filter((n) => n.busy.length >= 1 && n.busy.length < obs.servers.length);
  if (judged.length === 0) return out(fail(MESSAGES.noneEvaluated(obs.backend)));
  for (const n of judged) {
    const total = Object.values(n.quick).reduce((a, b) => a + b, 0);
    const hit = n.busy.reduce((a, k) => a + (n.quick[k] ?? 0), 0);
    if (hit > 0) return out(fail(MESSAGES.toBusy(n.node, n.busy, hit, total)));
  }
  const full = judged.find((n) => n.full?.length);
  if (full) return out(fail(MESSAGES.full(full.node, full.full!)));
  const total = judged.reduce((a, n) => a + Object.values(n.quick).reduce((x, y) => x + y, 0), 0);
  const chance = randomWouldPass(obs);
  if (chance > CONCLUSIVE) return { ...out(fail(MESSAGES.inconclusive(total, chance))), inconclusive: true } as Outcome;
  return out(pass(MESSAGES.passed(obs.backend, judged.map((n) => `${n.node}: ${n.busy.join(', ')}`).join('; '), total)));
}

const join = (p: string, leaf: string) => `${p.endsWith('/') ? p : `${p}/`}${leaf}`;

/**
 * The servers' counters once no session is left from an earlier measurement (a repeated attempt, or
 * `lab check` run again): its held requests were cut on the client's side, but HAProxy keeps their
 * server sessions until the app answers (holdMs). Left there, they would make every server of a node
 * busy, and nothing could be judged. Idle servers, the usual case, cost one read.
 */
async function startingPoint(lab: LabHandle, p: Params) {
  const deadline = Date.now() + p.holdMs + 5000;
  for (;;) {
    const now = await nodeServers(lab);
    const busy = Object.values(now).some((rows) => Object.values(rows).some((r) => r.scur > 0));
    if (!busy || Date.now() > deadline) return now;
    await sleep(500);
  }
}

async function observe(ctx: Parameters<ProbeImpl<Params>['run']>[0], p: Params): Promise<LeastconnObservations> {
  const lab = ctx.lab!;
  const host = p.host ?? ctx.domains[0]!;
  const obs: LeastconnObservations = { path: p.path, backend: null, servers: [], holdsSeen: 0, nodes: [], sent: p.requests, failed: 0, reached: 0 };
  const before = await startingPoint(lab, p);
  const dir = `/tmp/lab-hold-${token()}`;
  const url = `http://${host}${join(p.path, 'slow')}?ms=${p.holdMs}`;
  const curl = `curl -s -o /dev/null -m ${Math.ceil(p.holdMs / 1000) + 5} --connect-to ::${ctx.edgeAddress}: -H 'Connection: close' ${shq(url)}`;
  const script = `mkdir -p ${dir}; for i in $(seq 1 ${p.hold}); do ${curl} & echo $! >> ${dir}/pids; sleep 0.1; done; wait; rm -rf ${dir}\n`;
  const holds = runClientScript(lab.runtime, lab.client, script, p.holdMs + 15_000).catch(() => undefined);
  try {
    // Wait until the held requests show up as current sessions (scur) somewhere.
    let mid = before;
    const deadline = Date.now() + 8000;
    for (;;) {
      mid = await nodeServers(lab);
      // Counted as growth since before: sessions already there are not this attempt's holds.
      obs.holdsSeen = Object.entries(mid).reduce((a, [node, rows]) => a + Object.values(rows).reduce((b, r) => b + Math.max(0, r.scur - (before[node]?.[r.key]?.scur ?? 0)), 0), 0);
      if (obs.holdsSeen >= p.hold || Date.now() > deadline) break;
      await sleep(300);
    }
    // The backend the held requests went to: the one whose servers' current sessions grew the most
    // since before them. (Asking for the one backend with any session failed when a session of an
    // earlier check still lingered in another backend, seen in CI at load 16.)
    const grown = new Map<string, number>();
    for (const [node, rows] of Object.entries(mid)) {
      for (const r of Object.values(rows)) grown.set(r.pxname, (grown.get(r.pxname) ?? 0) + r.scur - (before[node]?.[r.key]?.scur ?? 0));
    }
    const [be, by] = [...grown.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (!be || by <= 0) return obs;
    obs.backend = be;
    const keys = [...new Set(Object.values(mid).flatMap((rows) => Object.values(rows).filter((r) => r.pxname === be).map((r) => r.key)))];
    obs.servers = keys.map((key) => ({ key, addr: Object.values(mid).map((rows) => rows[key]?.addr).find(Boolean) ?? '' }));
    const reqs = Array.from({ length: p.requests }, (_, i) => ({
      scheme: 'http' as const,
      host,
      port: ctx.ports.http,
      path: join(p.path, `lab-check-${i + 1}`),
      headers: { Connection: 'close' },
      timeoutMs: 5000,
      group: 'leastconn',
      // One after another, 50 ms apart: back to back, a request could reach HAProxy before it had released
      // the one before on the idle server, which then counted as busy as the held ones, and leastconn's tie
      // went to a held server (CI: "1 of the 36 new requests there still went to them" on the reference).
      gapMs: 50,
    }));
    const res = await ctx.edge.batch(reqs);
    const after = await nodeServers(lab);
    const bad = res.filter((r) => !appView(r));
    obs.failed = bad.length;
    if (bad[0]) obs.firstFailure = bad[0].ok ? `${bad[0].status}` : (bad[0].error ?? 'no answer');
    const scurBusy = (rows: Record<string, NodeServer>) => keys.filter((k) => (rows[k]?.scur ?? 0) > 0);
    for (const node of Object.keys(after)) {
      const quick: Record<string, number> = {};
      for (const k of keys) {
        const d = (after[node]![k]?.stot ?? 0) - (mid[node]?.[k]?.stot ?? 0);
        if (d < 0) throw new Disturbed('counters went down (a reload)');
        if (d) quick[k] = d;
      }
      // Busy servers at their own session limit (maxconn) are skipped by any algorithm.
      const full = scurBusy(mid[node] ?? {}).filter((k) => (mid[node]![k]!.slim ?? 0) > 0 && mid[node]![k]!.scur >= mid[node]![k]!.slim);
      obs.nodes.push({ node, busy: scurBusy(mid[node] ?? {}), busyAfter: scurBusy(after[node]!), quick, ...(full.length ? { full } : {}) });
    }
    obs.reached = obs.nodes.reduce((a, n) => a + Object.values(n.quick).reduce((x, y) => x + y, 0), 0);
    // A held request that ended early (a very slow machine) changes what "busy" means: measure again.
    if (obs.nodes.some((n) => n.busy.join() !== n.busyAfter.join())) throw new Disturbed('a held request ended during the quick requests');
    if (obs.reached > p.requests + Math.max(1, Math.floor(p.requests / 10))) throw new Disturbed('other traffic');
    return obs;
  } finally {
    await lab.runtime.exec(lab.client, ['sh', '-c', `[ -f ${dir}/pids ] && kill $(cat ${dir}/pids) 2>/dev/null; true`], { timeoutMs: 5000 }).catch(() => undefined);
    await holds;
  }
}

export const lbLeastconn = defineProbe<Params, LeastconnObservations>({
  kind: 'lb-leastconn',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async observe(ctx, p) {
    // An unlucky spread of the held requests can leave too few judged requests: measure again (twice at most).
    const measure = () => measureAgain(() => observe(ctx, p));
    let obs = await measure();
    for (let i = 0; i < 2 && isInconclusive(decide(obs)); i++) obs = await measure();
    return obs;
  },
  decide: (o) => {
    const { inconclusive: _i, ...outcome } = decide(o) as Outcome & { inconclusive?: boolean };
    return outcome;
  },
});
