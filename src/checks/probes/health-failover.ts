// exp4 (tutorial 5.2): the grader stops one Nginx container; HAProxy must mark that server DOWN on every
// node within `downWithinMs`, and requests through the VIP must then keep succeeding, none of them on
// the dead server. The container is started again and the probe waits for the server to come back UP,
// always, also when the check fails.
import type { ProbeOf } from '../schema.js';
import type { Text, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { backendServing } from './health-checks-l7.js';
import { freshRequests, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { describeServer, serverDeltas, serverRows, sleep } from './server-counters.js';
import { fail, pass, seen } from './util.js';

export const healthFailover: ProbeImpl<ProbeOf<'health-failover'>> = {
  kind: 'health-failover',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async run(ctx, p) {
    const lab = ctx.lab!;
    const host = p.host ?? ctx.domains[0]!;
    const nginx = lab.nginx.find((n) => n.node === p.stop);
    if (!nginx) return fail(t(`the lab has no running ${p.stop}`, `实验环境中没有运行中的 ${p.stop}`));
    const info = await lab.runtime.inspectContainer(nginx.container);
    const ips = new Set(Object.values(info?.addresses ?? {}));
    const found = await backendServing(ctx, host, p.path);
    if ('problem' in found) return fail(found.problem);
    const { backend, rows } = found;
    const target = [...rows.entries()].filter(([, s]) => s.pxname === backend && ips.has(s.addr.replace(/:\d+$/, ''))).map(([k]) => k);
    if (target.length === 0) {
      return fail(t(`backend ${backend} (serving ${p.path}) has no server at ${p.stop}'s address`, `backend ${backend}（服务 ${p.path}）中没有指向 ${p.stop} 地址的 server`));
    }
    const name = describeServer(rows, target[0]!);
    const isDown = (st: Record<string, string>) => Object.keys(st).length === lab.haproxy.length && Object.values(st).every((x) => /^DOWN/.test(x));
    const isUp = (st: Record<string, string>) => Object.values(st).every((x) => /^(UP|no check)/.test(x));
    let outcome: ReturnType<typeof pass> | undefined;
    try {
      await lab.runtime.stopContainer(nginx.container, 1);
      const stoppedAt = Date.now();
      let down = false;
      let status: Record<string, string> = {};
      let during = 0;
      let duringFailed = 0;
      while (Date.now() - stoppedAt < p.downWithinMs) {
        const [rs, snap] = await Promise.all([ctx.edge.batch(freshRequests(host, ctx.ports.http, [p.path])), serverRows(lab)]);
        during++;
        if (!rs[0]!.ok || rs[0]!.status >= 500) duringFailed++;
        status = snap.get(target[0]!)?.status ?? {};
        if (isDown(status)) {
          down = true;
          break;
        }
        await sleep(300);
      }
      if (!down) {
        const st = Object.entries(status).map(([n, s]) => `${n}: ${s || '?'}`).join(', ');
        outcome = fail(
          t(`stopped ${p.stop}; after ${Math.round(p.downWithinMs / 1000)} s HAProxy still did not mark ${name} DOWN (${st})`,
            `停止了 ${p.stop}；${Math.round(p.downWithinMs / 1000)} 秒后 HAProxy 仍未把 ${name} 标记为 DOWN（${st}）`),
        );
        return outcome;
      }
      const secs = ((Date.now() - stoppedAt) / 1000).toFixed(1);
      const before = await serverRows(lab);
      const res = await ctx.edge.batch(freshRequests(host, ctx.ports.http, Array.from({ length: p.requests }, () => p.path)));
      const after = await serverRows(lab);
      const d = serverDeltas(before, after);
      const bad = res.filter((r) => !r.ok || r.status >= 500);
      const problems: Text[] = [];
      if (bad.length) problems.push(t(`${bad.length} of ${p.requests} requests failed (${seen(bad[0]!).en})`, `${p.requests} 个请求中有 ${bad.length} 个失败（${seen(bad[0]!).zh}）`));
      if ((d.get(target[0]!) ?? 0) > 0) problems.push(t(`${d.get(target[0]!)} requests were still sent to ${name}`, `仍有 ${d.get(target[0]!)} 个请求被发往 ${name}`));
      if (problems.length) {
        outcome = fail(t(`${name} was marked DOWN after ${secs} s, but then ${problems.map((x) => x.en).join('; ')}`, `${name} 在 ${secs} 秒后被标记为 DOWN，但随后${problems.map((x) => x.zh).join('；')}`));
        return outcome;
      }
      const note = duringFailed ? t(` (${duringFailed} of ${during} requests failed before that)`, `（在此之前 ${during} 个请求中有 ${duringFailed} 个失败）`) : t('', '');
      outcome = pass(
        t(`stopped ${p.stop}: HAProxy marked ${name} DOWN after ${secs} s${note.en}, and ${p.requests} requests then all succeeded on the other servers`,
          `停止 ${p.stop} 后，HAProxy 在 ${secs} 秒内把 ${name} 标记为 DOWN${note.zh}，随后的 ${p.requests} 个请求全部由其他 server 成功处理`),
      );
      return outcome;
    } finally {
      // Always restore the lab: start the container and wait (bounded) until HAProxy sees it UP again.
      await lab.runtime.startContainer(nginx.container).catch(() => undefined);
      const deadline = Date.now() + p.restoreWithinMs;
      while (Date.now() < deadline) {
        const snap = await serverRows(lab).catch(() => undefined);
        const st = snap?.get(target[0]!)?.status;
        if (!st || isUp(st)) break;
        await sleep(300);
      }
    }
  },
};
