// exp3 (tutorial 5.1.4, 5.1.5): hash balancing, graded from HAProxy's per-server session counters.
//  - by source: many requests from the client, each on a new connection and for a different URI,
//    all land on one server of a backend that has several servers UP to choose from;
//  - by uri: each of several URIs, asked a few times on new connections, lands on one server every
//    time, and the URIs together use at least two servers (counters are read between URIs).
import type { ProbeOf } from '../schema.js';
import type { Text, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { Disturbed, freshRequests, measureAgain, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { describeServer, serverDeltas, serverRows, type ServerRow } from './server-counters.js';
import { fail, pass, seen } from './util.js';

const join = (p: string, leaf: string) => `${p.endsWith('/') ? p : `${p}/`}${leaf}`;

function upServers(rows: Map<string, ServerRow>, backend: string): number {
  return [...rows.values()].filter((s) => s.pxname === backend && Object.values(s.status).some((x) => /^(UP|no check)/.test(x))).length;
}

export const lbSticky: ProbeImpl<ProbeOf<'lb-sticky'>> = {
  kind: 'lb-sticky',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async run(ctx, p) {
    const lab = ctx.lab!;
    const host = p.host ?? ctx.domains[0]!;
    return measureAgain(async () => {
      if (p.by === 'source') {
        const n = p.requests;
        const paths = Array.from({ length: n }, (_, i) => join(p.path, `client-${i + 1}`));
        const before = await serverRows(lab);
        const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, paths));
        const after = await serverRows(lab);
        const d = serverDeltas(before, after);
        if ([...d.values()].some((x) => x < 0)) throw new Disturbed('reload');
        const bad = res.filter((r) => !r.ok || r.status >= 500);
        if (bad.length) return fail(t(`${bad.length} of ${n} requests under ${p.path} failed (${seen(bad[0]!).en})`, `${p.path} 下的 ${n} 个请求中有 ${bad.length} 个失败（${seen(bad[0]!).zh}）`));
        const total = [...d.values()].reduce((a, b) => a + b, 0);
        if (total > n + Math.max(1, Math.floor(n / 10))) throw new Disturbed('other traffic');
        if (total < n) return fail(t(`only ${total} of ${n} requests under ${p.path} reached a backend server (${seen(res[0]!).en})`, `${p.path} 下的 ${n} 个请求中只有 ${total} 个到达了 backend 的 server（${seen(res[0]!).zh}）`));
        const hit = [...d.keys()];
        const backend = after.get(hit[0]!)!.pxname;
        if (hit.length > 1) {
          const shown = hit.map((k) => `${describeServer(after, k)}: ${d.get(k)}`).join(', ');
          return fail(t(`${n} connections from the one client, to different URIs, were spread over ${hit.length} servers (${shown}); expected all on one`, `同一客户端发起的 ${n} 个连接（URI 各不相同）被分到了 ${hit.length} 个 server（${shown}），应全部落在同一个 server`));
        }
        const up = upServers(after, backend);
        if (up < 2) return fail(t(`all ${n} requests went to ${describeServer(after, hit[0]!)}, but backend ${backend} has ${up} server(s) up: stickiness needs a choice`, `全部 ${n} 个请求都到了 ${describeServer(after, hit[0]!)}，但 backend ${backend} 只有 ${up} 个可用 server，谈不上会话保持`));
        return pass(t(`${n} connections from the client, to different URIs, all reached ${describeServer(after, hit[0]!)} of ${up} servers up`, `客户端的 ${n} 个连接（URI 各不相同）全部到达 ${describeServer(after, hit[0]!)}（共 ${up} 个可用 server）`));
      }
      // by uri
      const uris = Array.from({ length: p.uris }, (_, i) => join(p.path, `item-${i + 1}.html`));
      let snap = await serverRows(lab);
      const placed: { uri: string; servers: string[] }[] = [];
      const problems: Text[] = [];
      for (const uri of uris) {
        const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, Array.from({ length: p.repeat }, () => uri)));
        const next = await serverRows(lab);
        const d = serverDeltas(snap, next);
        snap = next;
        if ([...d.values()].some((x) => x < 0)) throw new Disturbed('reload');
        const bad = res.filter((r) => !r.ok || r.status >= 500);
        if (bad.length) return fail(t(`GET ${uri}: ${bad.length} of ${p.repeat} requests failed (${seen(bad[0]!).en})`, `GET ${uri}：${p.repeat} 个请求中有 ${bad.length} 个失败（${seen(bad[0]!).zh}）`));
        const total = [...d.values()].reduce((a, b) => a + b, 0);
        // One retried connection may count twice (see lb-distribution); more is traffic that was not ours.
        if (total > p.repeat + 1) throw new Disturbed('other traffic');
        if (total < p.repeat) return fail(t(`GET ${uri} was answered (${seen(res[0]!).en}) but only ${total} of ${p.repeat} requests reached a backend server`, `GET ${uri} 有应答（${seen(res[0]!).zh}），但 ${p.repeat} 个请求中只有 ${total} 个到达了 backend 的 server`));
        const servers = [...d.keys()];
        placed.push({ uri, servers });
        if (servers.length > 1) problems.push(t(`${uri} went to ${servers.length} servers (${servers.map((k) => `${describeServer(next, k)}: ${d.get(k)}`).join(', ')})`, `${uri} 被分到了 ${servers.length} 个 server（${servers.map((k) => `${describeServer(next, k)}: ${d.get(k)}`).join('、')}）`));
      }
      const backends = new Set(placed.flatMap((x) => x.servers.map((k) => snap.get(k)!.pxname)));
      if (backends.size > 1) return fail(t(`the URIs under ${p.path} reached several backends (${[...backends].join(', ')})`, `${p.path} 下的 URI 到达了多个 backend（${[...backends].join('、')}）`));
      if (problems.length) {
        return fail(t(`the same URI should always reach the same server; ${problems.slice(0, 2).map((x) => x.en).join('; ')}`, `同一 URI 应总是到达同一个 server；${problems.slice(0, 2).map((x) => x.zh).join('；')}`));
      }
      const used = new Set(placed.map((x) => x.servers[0]!));
      if (used.size < 2) {
        return fail(t(`each URI stayed on one server, but all ${p.uris} different URIs went to ${describeServer(snap, [...used][0]!)}: different URIs should spread`, `每个 URI 都固定在一个 server 上，但 ${p.uris} 个不同的 URI 全都到了 ${describeServer(snap, [...used][0]!)}：不同的 URI 应分散到多个 server`));
      }
      return pass(t(`each of ${p.uris} URIs, asked ${p.repeat} times, stayed on one server, and together they used ${used.size} servers`, `${p.uris} 个 URI 各请求 ${p.repeat} 次，每个都固定在同一个 server，合起来用到了 ${used.size} 个 server`));
    });
  },
};
