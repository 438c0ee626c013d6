// exp4 (tutorial 5.2): the grader stops one Nginx container; HAProxy must mark that server DOWN on every
// node within `downWithinMs`, requests through the VIP must then keep succeeding with none of them sent
// to the dead server, and once the container runs again the server must be UP on every node within
// `restoreWithinMs` (so `rise 1000` fails). The container is always started again.
import type { ProbeOf } from '../schema.js';
import type { Outcome, Text } from '../types.js';
import { t } from '../types.js';
import { defineProbe, early } from './define.js';
import { backendServing, statesOf, type ServerState } from './health-checks-l7.js';
import { M } from './health.messages.js';
import { freshRequests, NEEDS_SERVER_COUNTERS, serverDeltas, serverRows, sleep } from './server-counters.js';
import { brief, fail, pass, seen, type Brief } from './util.js';

export interface FailoverObs {
  stopped: string;
  /** The backend that served the URL before the stop; null: the requests reached none. */
  backend: string | null;
  first: Brief[];
  /** Its server at the stopped Nginx's address; null: none. */
  target: ServerState | null;
  nodes: string[];
  /** ms after the stop until every node said DOWN; null: not within downWithinMs. */
  downAfterMs: number | null;
  /** Status per node at the last look before giving up (or when DOWN). */
  statusAtDown: Record<string, string>;
  /** Requests sent while waiting for DOWN, and how many failed. */
  during: { sent: number; failed: number };
  /** Once DOWN: the requests sent, the first failure, and sessions HAProxy counted on the dead server. */
  after: { sent: number; failed: number; firstFailure: Brief | null; toTarget: number } | null;
  /** ms after the restart until every node said UP again; null: not within restoreWithinMs. */
  upAfterMs: number | null;
  statusAtEnd: Record<string, string>;
}

const isDown = (st: Record<string, string>, nodes: number) => Object.keys(st).length === nodes && Object.values(st).every((x) => /^DOWN/.test(x));
const isUp = (st: Record<string, string>) => Object.keys(st).length > 0 && Object.values(st).every((x) => /^UP/.test(x));
const show = (st: Record<string, string>) => Object.entries(st).map(([n, s]) => `${n}: ${s || '?'}`).join(', ');

export function decideFailover(o: FailoverObs, p: Pick<ProbeOf<'health-failover'>, 'path' | 'downWithinMs' | 'requests' | 'restoreWithinMs'>): Outcome {
  if (!o.backend) return fail(M.noBackend(p.path, seen(o.first[0] ?? { ok: false, status: 0, redirects: 0, app: null })));
  if (!o.target) return fail(M.noServerAt(o.backend, p.path, o.stopped));
  const name = o.target.name;
  if (o.downAfterMs === null) return fail(M.notMarked(o.stopped, p.downWithinMs, name, show(o.statusAtDown)));
  const secs = (o.downAfterMs / 1000).toFixed(1);
  const problems: Text[] = [];
  if (o.after && o.after.failed) problems.push(M.failedAfter(o.after.failed, o.after.sent, seen(o.after.firstFailure!)));
  if (o.after && o.after.toTarget > 0) problems.push(M.stillSent(o.after.toTarget, name));
  if (problems.length) return fail(M.downBut(name, secs, t(problems.map((x) => x.en).join('; '), problems.map((x) => x.zh).join('；'))));
  if (o.upAfterMs === null) return fail(M.notBack(o.stopped, name, p.restoreWithinMs, show(o.statusAtEnd)));
  const before = o.during.failed ? M.failedBefore(o.during.failed, o.during.sent) : t('', '');
  return pass(M.failoverOk(o.stopped, name, secs, before, o.after?.sent ?? 0, (o.upAfterMs / 1000).toFixed(1)));
}

export const healthFailover = defineProbe<ProbeOf<'health-failover'>, FailoverObs>({
  kind: 'health-failover',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async observe(ctx, p) {
    const lab = ctx.lab!;
    const stats = ctx.stats!;
    const host = p.host ?? ctx.domains[0]!;
    const nginx = lab.nginx.find((n) => n.node === p.stop);
    if (!nginx) return early(fail(M.noNode(p.stop)));
    const info = await lab.runtime.inspectContainer(nginx.container);
    const ips = new Set(Object.values(info?.addresses ?? {}));
    const { backend, rows, res } = await backendServing(ctx, host, p.path);
    const target = backend ? (statesOf(rows, backend).find((s) => ips.has(s.addr.replace(/:\d+$/, ''))) ?? null) : null;
    const nodes = lab.haproxy.map((h) => h.node);
    const o: FailoverObs = {
      stopped: p.stop,
      backend,
      first: res,
      target,
      nodes,
      downAfterMs: null,
      statusAtDown: {},
      during: { sent: 0, failed: 0 },
      after: null,
      upAfterMs: null,
      statusAtEnd: {},
    };
    if (!target) return o;
    let restarted = false;
    try {
      await lab.runtime.stopContainer(nginx.container, 1);
      const stoppedAt = Date.now();
      while (Date.now() - stoppedAt < p.downWithinMs) {
        const [rs, snap] = await Promise.all([ctx.edge.batch(freshRequests(host, ctx.ports.http, [p.path])), serverRows(stats)]);
        o.during.sent++;
        if (!rs[0]!.ok || rs[0]!.status >= 500) o.during.failed++;
        o.statusAtDown = snap.get(target.key)?.status ?? {};
        if (isDown(o.statusAtDown, nodes.length)) {
          o.downAfterMs = Date.now() - stoppedAt;
          break;
        }
        await sleep(300);
      }
      if (o.downAfterMs !== null) {
        const before = await serverRows(stats);
        const res = (await ctx.edge.batch(freshRequests(host, ctx.ports.http, Array.from({ length: p.requests }, () => p.path)))).map(brief);
        const after = await serverRows(stats);
        const bad = res.filter((r) => !r.ok || r.status >= 500);
        o.after = { sent: res.length, failed: bad.length, firstFailure: bad[0] ?? null, toTarget: serverDeltas(before, after).get(target.key) ?? 0 };
      }
      await lab.runtime.startContainer(nginx.container);
      restarted = true;
      const startedAt = Date.now();
      while (Date.now() - startedAt < p.restoreWithinMs) {
        o.statusAtEnd = (await serverRows(stats)).get(target.key)?.status ?? {};
        if (isUp(o.statusAtEnd)) {
          o.upAfterMs = Date.now() - startedAt;
          break;
        }
        await sleep(300);
      }
      return o;
    } finally {
      // Always restore the lab, also when the probe fails or times out.
      if (!restarted) await lab.runtime.startContainer(nginx.container).catch(() => undefined);
    }
  },
  decide: decideFailover,
});
