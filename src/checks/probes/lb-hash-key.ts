// exp8 (tutorial 5.1.6 url_param, 5.1.7 hdr): a backend that hashes one request key. The grader sends
// `keys` random key values, each `repeat` times on new connections, every request with a path of its
// own (so hashing the URI cannot pass) and the key in a query parameter or a header (so hashing the
// client's address sends every key to one server). Which server answered each request is what the app
// saw (`peer`: the Nginx that forwarded it); HAProxy's per-server counters say the requests all reached
// one backend. Same key → one server every time; different keys → at least two servers.
import { defineProbe } from './define.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { Disturbed, freshRequests, measureAgain, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { appView, nginxAddresses, ownerOf, token } from './node-ops.js';
import { serverDeltas, serverRows } from './server-counters.js';
import { fail, pass } from './util.js';

type Params = ProbeOf<'lb-hash-key'>;

export interface HashKeyObservations {
  by: 'query' | 'header';
  name: string;
  path: string;
  /** Backends whose servers counted the requests, with the count. */
  backends: Record<string, number>;
  sent: number;
  /** Per key: the Nginx node that answered each request (null: not the app's answer, with `error`). */
  keys: { value: string; answers: { nginx: string | null; error?: string }[] }[];
}

export const MESSAGES = {
  failed: (n: number, total: number, what: string) => t(`${n} of ${total} requests failed or were not the app's answer (${what})`, `${total} 个请求中有 ${n} 个失败或不是应用的应答（${what}）`),
  noBackend: (path: string) => t(`the requests under ${path} reached no backend server`, `${path} 下的请求没有到达任何 backend 的 server`),
  split: (list: string) => t(`the requests under one prefix were split over several backends (${list})`, `同一前缀下的请求被分到了多个 backend（${list}）`),
  fewReached: (got: number, n: number, be: string) => t(`only ${got} of ${n} requests reached a server of backend ${be}`, `${n} 个请求中只有 ${got} 个到达了 backend ${be} 的 server`),
  unknownPeer: () =>
    t("the app's answers do not say which Nginx forwarded them (peer), so the servers cannot be told apart", '应用的应答中看不出是哪个 Nginx 转发的（peer），无法区分 server'),
  notSticky: (what: string, n: number, total: number, ex: string) =>
    t(`the same ${what} should always reach the same server, but ${n} of ${total} values were spread (e.g. ${ex})`,
      `同一个 ${what} 应总是到达同一个 server，但 ${total} 个值中有 ${n} 个被分散了（例如 ${ex}）`),
  oneServer: (what: string, total: number, nginx: string) =>
    t(`each ${what} stayed on one server, but all ${total} different values went to ${nginx}: the hash does not look at the ${what}`,
      `每个 ${what} 都固定在一个 server，但 ${total} 个不同的值全都到了 ${nginx}：哈希并没有看这个 ${what}`),
  passed: (what: string, total: number, repeat: number, used: number) =>
    t(`${total} different values of ${what}, each sent ${repeat} times with a different path: each stayed on one server, together they used ${used}`,
      `${what} 的 ${total} 个不同取值各发送 ${repeat} 次（路径各不相同）：每个值都固定在同一个 server，合起来用到了 ${used} 个`),
};

export function decide(obs: HashKeyObservations): Outcome {
  const out = (o: Outcome): Outcome => ({ ...o, observed: obs });
  const what = obs.by === 'query' ? `URL parameter ${obs.name}` : `header ${obs.name}`;
  const answers = obs.keys.flatMap((k) => k.answers);
  const bad = answers.filter((a) => a.error);
  if (bad.length) return out(fail(MESSAGES.failed(bad.length, answers.length, bad[0]!.error!)));
  const backends = Object.entries(obs.backends);
  if (backends.length === 0) return out(fail(MESSAGES.noBackend(obs.path)));
  if (backends.length > 1) return out(fail(MESSAGES.split(backends.map(([b, n]) => `${b}: ${n}`).join(', '))));
  const [be, counted] = backends[0]!;
  if (counted < obs.sent) return out(fail(MESSAGES.fewReached(counted, obs.sent, be)));
  if (answers.some((a) => !a.nginx)) return out(fail(MESSAGES.unknownPeer()));
  const spread = obs.keys.filter((k) => new Set(k.answers.map((a) => a.nginx)).size > 1);
  if (spread.length) {
    const ex = spread[0]!;
    return out(fail(MESSAGES.notSticky(what, spread.length, obs.keys.length, `${obs.name}=${ex.value} → ${ex.answers.map((a) => a.nginx).join(', ')}`)));
  }
  const used = new Set(obs.keys.map((k) => k.answers[0]!.nginx));
  if (used.size < 2) return out(fail(MESSAGES.oneServer(what, obs.keys.length, [...used][0]!)));
  return out(pass(MESSAGES.passed(what, obs.keys.length, obs.keys[0]?.answers.length ?? 0, used.size)));
}

async function observe(ctx: Parameters<ProbeImpl<Params>['run']>[0], p: Params): Promise<HashKeyObservations> {
  const lab = ctx.lab!;
  const host = p.host ?? ctx.domains[0]!;
  const prefix = p.path.endsWith('/') ? p.path : `${p.path}/`;
  const values = Array.from({ length: p.keys }, () => `u${token()}`);
  const plan = values.flatMap((value, i) => Array.from({ length: p.repeat }, (_, j) => ({ value, path: `${prefix}k${i + 1}-r${j + 1}-${token()}` })));
  const reqs = freshRequests(host, ctx.ports.http, plan.map((x) => (p.by === 'query' ? `${x.path}?${encodeURIComponent(p.name)}=${x.value}` : x.path)));
  if (p.by === 'header') reqs.forEach((r, i) => (r.headers = { ...r.headers, [p.name]: plan[i]!.value }));
  const nginx = await nginxAddresses(lab);
  const before = await serverRows(lab);
  const res = await ctx.edge.batch(reqs);
  const after = await serverRows(lab);
  const d = serverDeltas(before, after);
  if ([...d.values()].some((x) => x < 0)) throw new Disturbed('counters went down (a reload)');
  const backends: Record<string, number> = {};
  for (const [k, v] of d) backends[after.get(k)!.pxname] = (backends[after.get(k)!.pxname] ?? 0) + v;
  const total = Object.values(backends).reduce((a, b) => a + b, 0);
  if (total > plan.length + Math.max(1, Math.floor(plan.length / 10))) throw new Disturbed('other traffic');
  const keys = values.map((value) => ({ value, answers: [] as HashKeyObservations['keys'][number]['answers'] }));
  res.forEach((r, i) => {
    const v = appView(r);
    const k = keys[Math.floor(i / p.repeat)]!;
    k.answers.push(v ? { nginx: ownerOf(nginx, v.peer) } : { nginx: null, error: r.ok ? `${r.status}` : (r.error ?? 'no answer') });
  });
  return { by: p.by, name: p.name, path: p.path, backends, sent: plan.length, keys };
}

export const lbHashKey = defineProbe<Params, HashKeyObservations>({
  kind: 'lb-hash-key',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  observe: (ctx, p) => measureAgain(() => observe(ctx, p)),
  decide: (o) => decide(o),
});
