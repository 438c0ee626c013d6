// exp5 (tutorial 5.3.3): a per-source rate limit. A burst of new connections from the client must be
// partly refused (reset, closed, or answered with an error instead of the app); right after, a neighbour
// of the client (another address in its own network) and the office (another network) must get through
// and then the client still be limited — so a limit on the frontend as a whole (fe_sess_rate,
// fe_req_rate), or on the client's network, fails; then, one request every intervalMs, the client
// must be answered `slow` times in a row, a run that starts within recoverWithinMs (whatever the window:
// conn_rate(3s), http_req_rate(10s)), so "refuse everything" fails. Through the VIP each connection
// alternates between the HAProxy nodes, so each node sees about half of the burst, and the two nodes
// recover at slightly different times (hence a run, not the first answer).
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
  /**
   * Right after the burst, in this order: a neighbour's requests (another address in the client's
   * network; absent in older observations), the office's, then the client's.
   */
  during: { neighbour?: { address: string; res: Brief }[]; office: Brief[]; client: Brief[] } | null;
  /** One client request every intervalMs after the burst: ms after the burst, and the answer. */
  after: { ms: number; res: Brief }[];
}

/** Where the first run of `slow` answered requests in a row starts (index into `after`), or -1. */
export function firstRun(after: RateObs['after'], slow: number): number {
  let start = -1;
  for (let i = 0; i < after.length; i++) {
    if (!after[i]!.res.app) start = -1;
    else {
      if (start < 0) start = i;
      if (i - start + 1 >= slow) return start;
    }
  }
  return -1;
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
    const lost = o.during.neighbour?.find((r) => r.res.errorCode === 'source');
    if (lost) return fail(M.noNeighbour(lost.address));
    const near = o.during.neighbour?.find((r) => !r.res.app);
    if (near) return fail(M.neighbourLimited(near.address, seen(near.res)), M.perSourceHint);
    const refused = o.during.office.find((r) => !r.app);
    if (refused) return fail(M.officeLimited(seen(refused)), M.perSourceHint);
    if (!o.during.client.some((r) => !r.app)) return fail(M.inconclusive);
  }
  const run = firstRun(o.after, p.slow);
  if (run >= 0 && o.after[run]!.ms <= p.recoverWithinMs) {
    return pass(M.limitOk(p.burst, limited.length, how, o.during?.neighbour?.length ?? 0, o.during?.office.length ?? 0, o.after[run]!.ms, p.slow, p.intervalMs));
  }
  const answered = o.after.findIndex((a) => a.res.app);
  const last = o.after[o.after.length - 1];
  if (answered < 0 || run >= 0) return fail(M.neverRecovered(limited.length, p.burst, p.recoverWithinMs, p.intervalMs, last ? seen(last.res) : { en: '?', zh: '?' }));
  const refused = o.after.slice(answered).find((a) => !a.res.app)!;
  return fail(M.slowRefused(p.slow, p.intervalMs, seen(refused.res)));
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
    const o: RateObs = { origin: ctx.edge.origin, burst, during: null, after: [] };
    if (limitedOf(burst).length < p.minRefused) return o;
    if (p.otherSource) {
      // The office (its own and two extra addresses), then the client. In this order, not at the same
      // time: two containers' execs start with a skew the grader cannot see, and when the office's came
      // late (seen at load 26) a limit on the frontend as a whole had already decayed, so the office got
      // through and a global limit passed as per-source. Office first, client after: a client still
      // refused after the office was answered cannot be a frontend-wide rate (it only falls once the
      // burst is over); a client answered by then is "could not tell", never a pass.
      //
      // Before the office, a neighbour of the client (one of its extra addresses, same network): a
      // limit keyed on the client's network, or on the frontend's rate for that network, refuses it.
      const near = ctx.clientNeighbours?.slice(0, 2) ?? [];
      const n = near.length ? await ctx.edge.batch(near.map((s) => ({ ...one(s), group: 'neighbour' }))) : [];
      const office = ctx.officeSources!.slice(0, 3).map((s) => ({ ...one(s), group: 'office' }));
      const client = [one(), one()].map((r) => ({ ...r, group: 'client' }));
      const a = await ctx.office!.batch(office);
      const b = await ctx.edge.batch(client);
      o.during = { neighbour: near.map((address, i) => ({ address, res: brief(n[i]!) })), office: a.map(brief), client: b.map(brief) };
      // Already decided (the office was refused, or the client was not limited any more): no need to wait for recovery.
      if (o.during.neighbour!.some((r) => !r.res.app) || o.during.office.some((r) => !r.app) || !o.during.client.some((r) => !r.app)) return o;
    }
    // Until a run of `slow` answers in a row, or no run can start within recoverWithinMs any more.
    let run = 0;
    for (;;) {
      const ms = Date.now() - started;
      if (run === 0 && ms > p.recoverWithinMs) break;
      const [r] = await ctx.edge.batch([one()]);
      const res = brief(r!);
      o.after.push({ ms, res });
      run = res.app ? run + 1 : 0;
      if (run >= p.slow) break;
      await sleep(p.intervalMs);
    }
    // Keep the observation small: the polls before recovery are all alike.
    if (o.after.length > p.slow + 8) o.after = [...o.after.slice(0, 3), ...o.after.slice(-(p.slow + 4))];
    return o;
  },
  decide: decideRateLimit,
});
