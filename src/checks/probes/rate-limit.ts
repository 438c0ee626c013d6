// exp5 (tutorial 5.3.3): a per-source rate limit. A burst of new connections from the client must be
// partly refused (reset, closed, or answered with an error instead of the app); right after, while the
// client is still limited, the office (another source address) must get through — so a limit on the
// frontend as a whole (fe_conn_rate, fe_req_rate) fails; then, one request every intervalMs, the client
// must be answered again within recoverWithinMs (whatever the window: conn_rate(3s), http_req_rate(10s)),
// and stay answered for `slow` requests in a row, so "refuse everything" fails. Through the VIP each
// connection alternates between the HAProxy nodes, so each node sees about half of the burst.
import type { HttpRequest } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome } from '../types.js';
import { defineProbe, early } from './define.js';
import { M } from './acl.messages.js';
import { freshRequests, sleep } from './server-counters.js';
import { brief, fail, pass, seen, type Brief } from './util.js';

export interface RateObs {
  origin: string;
  burst: Brief[];
  /** Right after the burst, at the same time: the office's requests and the client's. */
  during: { office: Brief[]; client: Brief[] } | null;
  /** One client request every intervalMs after the burst: ms after the burst, and the answer. */
  after: { ms: number; res: Brief }[];
  /** ms after the burst when the client was first answered again; null: not within recoverWithinMs. */
  recoveredAfterMs: number | null;
}

const limitedOf = (rs: Brief[]) => rs.filter((r) => !r.app);

function kinds(rs: Brief[]): string {
  const m = new Map<string, number>();
  for (const r of rs) m.set(seen(r).en, (m.get(seen(r).en) ?? 0) + 1);
  return [...m].map(([k, c]) => `${c} × ${k}`).join(', ');
}

export function decideRateLimit(o: RateObs, p: Pick<ProbeOf<'rate-limit'>, 'path' | 'burst' | 'minRefused' | 'slow' | 'intervalMs' | 'recoverWithinMs' | 'otherSource'>): Outcome {
  const limited = limitedOf(o.burst);
  const how = kinds(limited);
  if (limited.length < p.minRefused) {
    return fail(M.notLimited(p.burst, o.origin, p.path, o.burst.length - limited.length, limited.length, how, p.minRefused), M.trackHint);
  }
  if (p.otherSource && o.during) {
    const refused = o.during.office.find((r) => !r.app);
    if (refused) return fail(M.officeLimited(seen(refused)), M.perSourceHint);
    if (!o.during.client.some((r) => !r.app)) return fail(M.inconclusive);
  }
  if (o.recoveredAfterMs === null) {
    const last = o.after[o.after.length - 1];
    return fail(M.neverRecovered(limited.length, p.burst, p.recoverWithinMs, p.intervalMs, last ? seen(last.res) : { en: '?', zh: '?' }));
  }
  const tail = o.after.filter((a) => a.ms >= o.recoveredAfterMs!);
  const bad = tail.findIndex((a) => !a.res.app);
  if (bad >= 0) return fail(M.slowRefused(bad, p.slow, p.intervalMs, seen(tail[bad]!.res)));
  if (tail.length < p.slow) return fail(M.slowRefused(tail.length, p.slow, p.intervalMs, { en: 'no answer in time', zh: '超时' }));
  return pass(M.limitOk(p.burst, limited.length, how, o.during?.office.length ?? 0, o.recoveredAfterMs, p.slow, p.intervalMs));
}

export const rateLimit = defineProbe<ProbeOf<'rate-limit'>, RateObs>({
  kind: 'rate-limit',
  needs: 'lab',
  // A burst that trips the limit would make other probes' requests fail: run alone.
  traffic: 'exclusive',
  skipReason: M.needsOffice,
  async observe(ctx, p) {
    if (p.otherSource && (!ctx.office || !ctx.officeSources?.length)) return early(fail(M.noOffice));
    const host = p.host ?? ctx.domains[0]!;
    const one = (source?: string): HttpRequest => ({ ...freshRequests(host, ctx.ports.http, [p.path])[0]!, ...(source ? { source } : {}) });
    const burst = (await ctx.edge.batch(Array.from({ length: p.burst }, () => one()))).map(brief);
    const started = Date.now();
    const o: RateObs = { origin: ctx.edge.origin, burst, during: null, after: [], recoveredAfterMs: null };
    if (limitedOf(burst).length < p.minRefused) return o;
    if (p.otherSource) {
      // The office (its own and two extra addresses) and the client, at the same time, one request after another each.
      const office = ctx.officeSources!.slice(0, 3).map((s) => ({ ...one(s), group: 'office' }));
      const client = [one(), one()].map((r) => ({ ...r, group: 'client' }));
      const [a, b] = await Promise.all([ctx.office!.batch(office), ctx.edge.batch(client)]);
      o.during = { office: a.map(brief), client: b.map(brief) };
    }
    let good = 0;
    while (good < p.slow) {
      const ms = Date.now() - started;
      if (o.recoveredAfterMs === null && ms > p.recoverWithinMs) break;
      const [r] = await ctx.edge.batch([one()]);
      const res = brief(r!);
      o.after.push({ ms, res });
      if (res.app) {
        o.recoveredAfterMs ??= ms;
        good++;
      } else if (o.recoveredAfterMs !== null) break;
      await sleep(p.intervalMs);
    }
    // Keep the observation small: the polls before recovery are all alike.
    if (o.after.length > p.slow + 8) o.after = [...o.after.slice(0, 3), ...o.after.slice(-(p.slow + 4))];
    return o;
  },
  decide: decideRateLimit,
});
