// exp4 (tutorial 5.2.2): the backend that serves a URL checks its servers over HTTP. Graded from
// HAProxy's own `show stat` (check_status L7OK, check_code 200 on every server, on every HAProxy node);
// the backend is found by the requests it counts, so its name does not matter.
import type { ProbeOf } from '../schema.js';
import type { Text, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { freshRequests, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { describeServer, serverDeltas, serverRows, type ServerRow } from './server-counters.js';
import { fail, listSome, pass, seen } from './util.js';

/** The backend that served `path` (by per-server counters), or a failed outcome. */
export async function backendServing(
  ctx: Parameters<ProbeImpl<unknown>['run']>[0],
  host: string,
  path: string,
): Promise<{ backend: string; rows: Map<string, ServerRow> } | { problem: Text }> {
  const lab = ctx.lab!;
  const before = await serverRows(lab);
  const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, [path, path, path]));
  const after = await serverRows(lab);
  const d = serverDeltas(before, after);
  const hit = [...d.entries()].filter(([, v]) => v > 0).map(([k]) => after.get(k)!.pxname);
  if (hit.length === 0) return { problem: t(`GET ${path} reached no backend server (${seen(res[0]!).en})`, `GET ${path} 没有到达任何 backend 的 server（${seen(res[0]!).zh}）`) };
  const counts = new Map<string, number>();
  for (const b of hit) counts.set(b, (counts.get(b) ?? 0) + 1);
  const backend = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  return { backend, rows: after };
}

export const healthChecksL7: ProbeImpl<ProbeOf<'health-checks-l7'>> = {
  kind: 'health-checks-l7',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async run(ctx, p) {
    const found = await backendServing(ctx, p.host ?? ctx.domains[0]!, p.path);
    if ('problem' in found) return fail(found.problem);
    const { backend, rows } = found;
    const servers = [...rows.entries()].filter(([, s]) => s.pxname === backend);
    if (servers.length < p.minServers) {
      return fail(t(`backend ${backend} (serving ${p.path}) has ${servers.length} server(s); expected at least ${p.minServers}`, `backend ${backend}（服务 ${p.path}）只有 ${servers.length} 个 server，应至少 ${p.minServers} 个`));
    }
    const problems: Text[] = [];
    for (const [k, s] of servers) {
      const states = Object.entries(s.checkStatus);
      const name = describeServer(rows, k);
      const none = states.filter(([, c]) => !c);
      const l4 = states.filter(([, c]) => /^L4OK/.test(c));
      const bad = states.filter(([, c]) => c && !/^L[47]OK/.test(c));
      if (none.length) problems.push(t(`${name}: no health check`, `${name}：没有健康检查`));
      else if (l4.length) problems.push(t(`${name}: ${l4[0]![1]}, a TCP check only (the port answers, but is the site healthy?)`, `${name}：${l4[0]![1]}，只是 TCP 检查（端口通了，但站点健康吗？）`));
      else if (bad.length) problems.push(t(`${name}: check ${bad[0]![1]} on ${bad[0]![0]}`, `${name}：在 ${bad[0]![0]} 上检查结果为 ${bad[0]![1]}`));
    }
    if (problems.length) return fail(t(`expected HTTP checks passing (L7OK) on every server of backend ${backend}; ${listSome(problems).en}`, `backend ${backend} 的每个 server 都应通过 HTTP 检查（L7OK）；${listSome(problems).zh}`));
    return pass(t(`the ${servers.length} servers of backend ${backend} pass HTTP health checks (L7OK) on ${ctx.lab!.haproxy.map((h) => h.node).join(' and ')}`, `backend ${backend} 的 ${servers.length} 个 server 在 ${ctx.lab!.haproxy.map((h) => h.node).join(' 和 ')} 上都通过了 HTTP 健康检查（L7OK）`));
  },
};
