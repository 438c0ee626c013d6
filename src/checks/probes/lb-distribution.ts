// exp3 (tutorial 5.1): how one backend spreads requests over its servers, graded from HAProxy's own
// per-server session counters (summed over both HAProxy nodes), whatever the backend and servers are
// called. N requests for one URI, each on a new connection; the sorted per-server counts must match
// the expected ratio (1:1:1 for roundrobin, 3:1:1 for the tutorial's weights), whichever server holds
// which weight. One URI on purpose: a hash balancer (uri, source) puts all of them on one server.
import type { HttpRequest } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { Text, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { describeServer, serverDeltas, serverRows } from './server-counters.js';
import { fail, pass, seen } from './util.js';

export const NEEDS_SERVER_COUNTERS = t(
  "graded from HAProxy's own per-server counters, which only the lab's containers expose",
  '由 HAProxy 自身的 server 计数器评判，只有实验环境中的容器能读取',
);

/** Counters moved for reasons other than our requests (a reload, other traffic): measure again. */
export class Disturbed extends Error {}

export async function measureAgain<T>(fn: () => Promise<T>, times = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof Disturbed) || i >= times - 1) throw e;
    }
  }
}

/** Requests on fresh connections, so the directors spread them over both HAProxy nodes. */
export function freshRequests(host: string, port: number, paths: string[]): HttpRequest[] {
  return paths.map((path) => ({ scheme: 'http', host, port, path, headers: { Connection: 'close' }, timeoutMs: 3000 }));
}

export const lbDistribution: ProbeImpl<ProbeOf<'lb-distribution'>> = {
  kind: 'lb-distribution',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async run(ctx, p) {
    const lab = ctx.lab!;
    const host = p.host ?? ctx.domains[0]!;
    const n = p.requests;
    const ratio = p.ratio;
    const ratioText = ratio.join(':');
    return measureAgain(async () => {
      const before = await serverRows(lab);
      const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, Array.from({ length: n }, () => p.path)));
      const after = await serverRows(lab);
      const d = serverDeltas(before, after);
      if ([...d.values()].some((x) => x < 0)) throw new Disturbed('counters went down (HAProxy reloaded meanwhile)');
      const bad = res.filter((r) => !r.ok || r.status >= 500);
      if (bad.length) {
        return fail(t(`GET ${p.path}: ${bad.length} of ${n} requests failed (${seen(bad[0]!).en})`, `GET ${p.path}：${n} 个请求中有 ${bad.length} 个失败（${seen(bad[0]!).zh}）`));
      }
      const total = [...d.values()].reduce((a, b) => a + b, 0);
      // A retried connection (a server closed an idle keep-alive one) can count twice; more than that is
      // traffic that was not ours, and the round is measured again.
      if (total > n + Math.max(1, Math.floor(n / 10))) throw new Disturbed(`servers counted ${total} sessions for ${n} requests`);
      if (d.size === 0) {
        return fail(t(`GET ${p.path} was answered (${seen(res[0]!).en}) but reached no backend server`, `GET ${p.path} 有应答（${seen(res[0]!).zh}），但没有到达任何 backend 的 server`));
      }
      const backends = [...new Set([...d.keys()].map((k) => after.get(k)!.pxname))];
      if (backends.length > 1) {
        return fail(t(`the requests for one URL were split over several backends (${backends.join(', ')})`, `同一个 URL 的请求被分到了多个 backend（${backends.join('、')}）`));
      }
      const be = backends[0]!;
      if (total < n) {
        return fail(t(`only ${total} of ${n} requests for ${p.path} reached a server of backend ${be}`, `${p.path} 的 ${n} 个请求中只有 ${total} 个到达了 backend ${be} 的 server`));
      }
      const servers = [...after.values()].filter((s) => s.pxname === be).map((s) => `${s.pxname}/${s.svname}`);
      const counts = servers.map((k) => ({ k, c: d.get(k) ?? 0 })).sort((a, b) => b.c - a.c);
      const shown = counts.map((x) => `${describeServer(after, x.k)}: ${x.c}`).join(', ');
      const width = Math.max(ratio.length, counts.length);
      const sum = ratio.reduce((a, b) => a + b, 0);
      const tol = Math.max(2, p.tolerance * n);
      const off: Text[] = [];
      for (let i = 0; i < width; i++) {
        const expected = ((ratio[i] ?? 0) / sum) * n;
        const got = counts[i]?.c ?? 0;
        if (Math.abs(got - expected) > tol) off.push(t(`${got} where about ${Math.round(expected)} was expected`, `实际 ${got}，应约为 ${Math.round(expected)}`));
      }
      if (counts.length < ratio.length || off.length) {
        const few = counts.length < ratio.length ? t(`; backend ${be} has ${counts.length} server(s), the ratio needs ${ratio.length}`, `；backend ${be} 只有 ${counts.length} 个 server，该比例需要 ${ratio.length} 个`) : t('', '');
        return fail(
          t(`${n} requests for ${p.path} were spread ${counts.map((x) => x.c).join(':')} over backend ${be}, expected about ${ratioText} (${shown})${few.en}`,
            `${p.path} 的 ${n} 个请求在 backend ${be} 上的分布为 ${counts.map((x) => x.c).join(':')}，应约为 ${ratioText}（${shown}）${few.zh}`),
        );
      }
      return pass(t(`${n} requests for ${p.path} were spread ${counts.map((x) => x.c).join(':')} over backend ${be}, about ${ratioText} (${shown})`, `${p.path} 的 ${n} 个请求在 backend ${be} 上的分布为 ${counts.map((x) => x.c).join(':')}，约为 ${ratioText}（${shown}）`));
    });
  },
};
