// exp5 (tutorial 5.3.3): a per-source rate limit. A burst of new connections from the client must be
// partly refused (reset, closed, or answered with an error instead of the app); right after, the office
// (another network) and, in two rounds, neighbours of the client (other addresses in its own network)
// must get through while the client is still limited — so a limit on the frontend as a whole
// (fe_sess_rate, fe_req_rate), or on the client's network, fails; then, one request every intervalMs, the client
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
   * Right after the burst: the office's requests, then `rounds` rounds of a neighbour's requests
   * (other addresses in the client's network) and the client's, each round's in order. Observations
   * from before rounds (no `rounds`) asked the neighbours, the office, then the client, once; older
   * ones had no neighbours.
   */
  during: { neighbour?: { address: string; res: Brief }[]; office: Brief[]; client: Brief[]; rounds?: number } | null;
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

/**
 * What the requests right after the burst settle on their own: a fail when a neighbour or the office
 * was refused, or when the client was answered in some round (could not tell); undefined when the
 * client was refused in every round and everyone else got through.
 */
export function decideDuring(d: NonNullable<RateObs['during']>): Outcome | undefined {
  const lost = d.neighbour?.find((r) => r.res.errorCode === 'source');
  if (lost) return fail(M.noNeighbour(lost.address));
  const near = d.neighbour?.find((r) => !r.res.app);
  if (near) return fail(M.neighbourLimited(near.address, seen(near.res)), M.perSourceHint);
  const refused = d.office.find((r) => !r.app);
  if (refused) return fail(M.officeLimited(seen(refused)), M.perSourceHint);
  const rounds = d.rounds ?? 1;
  const per = Math.ceil(d.client.length / rounds);
  for (let r = 0; r < rounds; r++) {
    if (!d.client.slice(r * per, (r + 1) * per).some((c) => !c.app)) return fail(M.inconclusive);
  }
  return undefined;
}

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
    const settled = decideDuring(o.during);
    if (settled) return settled;
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
      // The office (its own and two extra addresses) first, then the client's network: two rounds of
      // two neighbours (other addresses in the client's network, which sent nothing in the burst) and
      // two client requests, in one curl process, one after another. Not at the same time: two
      // containers' execs start with a skew the grader cannot see, and when the office's came late
      // (seen at load 26) a limit on the frontend as a whole had already decayed, so the office got
      // through and a global limit passed as per-source. A client still refused after the office and
      // its neighbours were answered cannot be a frontend-wide rate, which only falls once the burst is
      // over; a client answered by then is "could not tell", never a pass.
      //
      // Why rounds, and nothing between a neighbour and the client but themselves: a frontend rate
      // applied to the client network only (`src client_net` and fe_sess_rate) sits near its
      // threshold as it decays, and every answered request adds one session to it. When the office
      // was asked between the neighbours and the client (seen once at load 25), its three sessions
      // pushed a decayed rate back over the threshold and the client was refused after its neighbours
      // had got through. One session can still tip it once; tipping it in two rounds in a row, with
      // the rate decaying in between, would take a rate balanced on the threshold twice.
      const office = ctx.officeSources!.slice(0, 3).map((s) => ({ ...one(s), group: 'office' }));
      const a = await ctx.office!.batch(office);
      const near = ctx.clientNeighbours?.slice(0, 2) ?? [];
      const rounds = near.length ? 2 : 1;
      const seq: { who: 'neighbour' | 'client'; address?: string }[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const address of near) seq.push({ who: 'neighbour', address });
        seq.push({ who: 'client' }, { who: 'client' });
      }
      const b = await ctx.edge.batch(seq.map((x) => ({ ...one(x.address), group: 'during' })));
      o.during = {
        office: a.map(brief),
        neighbour: seq.flatMap((x, i) => (x.who === 'neighbour' ? [{ address: x.address!, res: brief(b[i]!) }] : [])),
        client: seq.flatMap((x, i) => (x.who === 'client' ? [brief(b[i]!)] : [])),
        rounds,
      };
      // Already decided (someone else was refused, or the client was not limited any more): no need to wait for recovery.
      if (decideDuring(o.during)) return o;
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
