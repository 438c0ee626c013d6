// exp5 (tutorial 5.3.3): a per-source connection-rate limit. A burst of new connections from the client
// must be partly refused (reset, closed, or answered with an error instead of the app); then, once the
// rate window has passed, a slow sequence (one request every intervalMs) must be answered by the app
// every time, so "refuse everything" does not pass. Through the VIP each connection alternates between
// the HAProxy nodes, so each node sees about half of the burst.
import type { ProbeOf } from '../schema.js';
import type { ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { freshRequests } from './lb-distribution.js';
import { appAnswer, fail, pass, seen } from './util.js';
import { sleep } from '../../util/sleep.js';


export const rateLimit: ProbeImpl<ProbeOf<'rate-limit'>> = {
  kind: 'rate-limit',
  needs: 'any',
  // A burst that trips the limit would make other probes' requests fail: run alone.
  traffic: 'exclusive',
  async run(ctx, p) {
    const host = p.host ?? ctx.domains[0]!;
    const burst = await ctx.edge.batch(freshRequests(host, ctx.ports.http, Array.from({ length: p.burst }, () => p.path)));
    const limited = burst.filter((r) => !appAnswer(r));
    const kinds = new Map<string, number>();
    for (const r of limited) kinds.set(seen(r).en, (kinds.get(seen(r).en) ?? 0) + 1);
    const how = [...kinds].map(([k, c]) => `${c} × ${k}`).join(', ');
    if (limited.length < p.minRefused) {
      return fail(
        t(`a burst of ${p.burst} new connections from ${ctx.edge.origin} to ${p.path}: ${burst.length - limited.length} answered by the app, ${limited.length ? `only ${limited.length} not (${how})` : 'none refused'}; expected the connection-rate limit to refuse at least ${p.minRefused}`,
          `从 ${ctx.edge.origin} 向 ${p.path} 突发 ${p.burst} 个新连接：${burst.length - limited.length} 个由应用应答，${limited.length ? `只有 ${limited.length} 个没有（${how}）` : '没有一个被拒绝'}；连接速率限制应至少拒绝 ${p.minRefused} 个`),
        t('A stick-table only counts what is tracked: without `tcp-request connection track-sc0 src` the rate stays 0 (the tutorial\'s snippet lacks this line).',
          'stick-table 只统计被跟踪的连接：没有 `tcp-request connection track-sc0 src`，速率永远是 0（教程的片段缺了这一行）。'),
      );
    }
    await sleep(p.waitMs);
    for (let i = 0; i < p.slow; i++) {
      if (i > 0) await sleep(p.intervalMs);
      const [r] = await ctx.edge.batch(freshRequests(host, ctx.ports.http, [p.path]));
      if (!appAnswer(r!)) {
        return fail(
          t(`the burst was limited (${limited.length} of ${p.burst} refused), but ${p.waitMs / 1000} s later request ${i + 1} of a slow sequence (one every ${p.intervalMs / 1000} s) got ${seen(r!).en}; the limit should only stop bursts`,
            `突发被限制了（${p.burst} 个中拒绝 ${limited.length} 个），但 ${p.waitMs / 1000} 秒后慢速序列（每 ${p.intervalMs / 1000} 秒一个）的第 ${i + 1} 个请求得到${seen(r!).zh}；限速应只拦住突发流量`),
        );
      }
    }
    return pass(
      t(`a burst of ${p.burst} new connections: ${limited.length} refused (${how}); afterwards ${p.slow} requests ${p.intervalMs / 1000} s apart all reached the app`,
        `突发 ${p.burst} 个新连接：拒绝 ${limited.length} 个；之后每隔 ${p.intervalMs / 1000} 秒一个的 ${p.slow} 个请求都到达了应用`),
    );
  },
};
