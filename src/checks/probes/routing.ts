// Routing graded at HAProxy, whatever the backends are called: domain i is sent i+1 (or 2^i) requests
// and HAProxy's per-backend session counters (lab's master socket, or the stats page CSV with --target;
// summed over the HAProxy nodes) say which backend served which domains. No other probe sends traffic
// meanwhile (these probes are 'exclusive'). A domain whose HTTP answer is a redirect to HTTPS is graded
// where the redirect leads. HTTPS must also be terminated by HAProxy: its frontends count TLS sessions.
import type { Scheme } from '../http.js';
import { frontendOn } from '../haproxy-config.js';
import type { ProbeOf } from '../schema.js';
import { backendTotalsOf, decodeBinary, decodeLinear, frontendSslSessions } from '../stats.js';
import type { Outcome, ProbeContext, Text } from '../types.js';
import { t } from '../types.js';
import { defineProbe, early } from './define.js';
import { M } from './routing.messages.js';
import { brief, domainsOf, EDGE_ANSWERS, edgeKey, fail, listSome, pass, portOf, seen, skip, type Brief } from './util.js';

const LAST_TOTALS = 'routing: last counters';

export interface RouteClass {
  scheme: Scheme;
  host: string;
  path: string;
}

/** One round: class i was sent weights[i] requests (keep-alive per class); counters before and after. */
export interface RoundObs {
  classes: RouteClass[];
  weights: number[];
  binary: boolean;
  /** Backend session totals (backends with servers), summed over the nodes. */
  before: Record<string, number>;
  after: Record<string, number>;
  /** TLS sessions HAProxy's frontends established, before and after. */
  ssl: { before: number; after: number };
  /** How many requests of each class got an HTTP answer. */
  answered: number[];
  /** One answer per class (the first failure or 5xx, else the first). */
  sample: Brief[];
  /** Per class: the Location every answer redirected to, when they all did; else null. */
  redirect: (string | null)[];
  /** Rounds measured again because other traffic or a reload disturbed the counters. */
  remeasured: number;
}

function deltasOf(r: RoundObs): Map<string, number> {
  const d = new Map<string, number>();
  for (const k of new Set([...Object.keys(r.before), ...Object.keys(r.after)])) {
    const x = (r.after[k] ?? 0) - (r.before[k] ?? 0);
    if (x !== 0) d.set(k, x);
  }
  return d;
}

/** Which backend each class reached, from the counters (null: none); a string when the counters cannot be read so. */
export function decodeRound(r: RoundObs): (string | null)[] | string {
  const d = deltasOf(r);
  if (d.size === 0) return r.classes.map(() => null);
  const decoded = r.binary ? decodeBinary(d, r.classes.length) : decodeLinear(d, r.classes.length);
  if (!decoded) return 'the counters do not decode';
  if (decoded.inconsistent) return decoded.inconsistent;
  for (let i = 0; i < r.classes.length; i++) {
    if (decoded.backendOf[i] && r.answered[i]! !== r.weights[i]) return `only ${r.answered[i]} of ${r.weights[i]} requests for ${r.classes[i]!.host} were answered`;
  }
  return decoded.backendOf;
}

/**
 * Sends class i its share of requests and reads the counters: first i+1 requests each, which settles the
 * all-distinct case; if that does not decode, 2^i each, which says exactly which classes share a backend.
 */
async function round(ctx: ProbeContext, classes: RouteClass[], binary = classes.length <= 2, remeasured = 0): Promise<RoundObs> {
  const stats = ctx.stats!;
  const weights = classes.map((_, i) => (binary ? 2 ** i : i + 1));
  const reqs = classes.flatMap((c, i) =>
    Array.from({ length: weights[i]! }, () => ({ ...c, port: portOf(ctx, c.scheme), timeoutMs: 3000, group: `${c.scheme}://${c.host}` })),
  );
  // Exclusive probes run one after another with nothing else touching the backends, so the snapshot
  // after one round is the one before the next (a reload in between shows up as counters going down).
  const last = ctx.scratch.get(LAST_TOTALS) as { totals: Record<string, number>; ssl: number } | undefined;
  ctx.scratch.delete(LAST_TOTALS);
  const snapBefore = last ? undefined : await stats.read();
  const before = last?.totals ?? backendTotalsOf(snapBefore!);
  const sslBefore = last?.ssl ?? frontendSslSessions(snapBefore!);
  const res = await ctx.edge.batch(reqs);
  const snapAfter = await stats.read();
  const after = backendTotalsOf(snapAfter);
  const sslAfter = frontendSslSessions(snapAfter);
  ctx.scratch.set(LAST_TOTALS, { totals: after, ssl: sslAfter });
  const answered: number[] = [];
  const sample: Brief[] = [];
  const redirect: (string | null)[] = [];
  const answers = (ctx.scratch.get(EDGE_ANSWERS) as Map<string, Brief> | undefined) ?? new Map<string, Brief>();
  ctx.scratch.set(EDGE_ANSWERS, answers);
  let at = 0;
  classes.forEach((c, i) => {
    const mine = res.slice(at, at + weights[i]!).map(brief);
    at += weights[i]!;
    answered.push(mine.filter((r) => r.ok).length);
    sample.push(mine.find((r) => !r.ok || r.status >= 500) ?? mine[0]!);
    const locs = new Set(mine.map((r) => (r.ok && r.status >= 300 && r.status < 400 ? (r.location ?? '') : '')));
    const loc = [...locs][0];
    redirect.push(locs.size === 1 && loc ? loc : null);
    answers.set(edgeKey(c.scheme, c.host, c.path), mine[0]!);
  });
  const obs: RoundObs = { classes, weights, binary, before, after, ssl: { before: sslBefore, after: sslAfter }, answered, sample, redirect, remeasured };
  // HTTPS that HAProxy did not terminate is graded as such; its counters (sessions per connection, not
  // per request, in mode tcp) are not worth decoding again.
  if (notTerminated(obs)) return obs;
  const decoded = decodeRound(obs);
  if (typeof decoded === 'string') {
    if (!binary && decoded === 'the counters do not decode') return round(ctx, classes, true, remeasured);
    if (remeasured >= 2) return obs;
    return round(ctx, classes, binary, remeasured + 1);
  }
  return obs;
}

/** HTTPS connections answered, and whether HAProxy's frontends counted fewer new TLS sessions than that. */
function notTerminated(r: RoundObs): { sessions: number; conns: number } | undefined {
  if (!r.classes.every((c) => c.scheme === 'https')) return undefined;
  const conns = r.answered.filter((n) => n > 0).length;
  const sessions = r.ssl.after - r.ssl.before;
  return conns > 0 && sessions >= 0 && sessions < conns ? { sessions, conns } : undefined;
}

export interface RoutingObs {
  domains: string[];
  path: string;
  /** Where the counters came from. */
  where: string;
  rounds: Partial<Record<Scheme, RoundObs>>;
}

/** Where class (scheme, host) landed, across the rounds; a redirect to HTTPS counts where it leads. */
function landing(o: { rounds: Partial<Record<Scheme, RoundObs>> }, scheme: Scheme, host: string): { backend: string | null; via?: string; sample?: Brief } {
  const r = o.rounds[scheme];
  if (!r) return { backend: null };
  const i = r.classes.findIndex((c) => c.host === host && c.scheme === scheme);
  if (i < 0) return { backend: null };
  const decoded = decodeRound(r);
  const own = typeof decoded === 'string' ? null : decoded[i]!;
  const loc = r.redirect[i];
  if (scheme === 'http' && loc) {
    let u: URL | undefined;
    try {
      u = new URL(loc, `http://${host}${r.classes[i]!.path}`);
    } catch {
      u = undefined;
    }
    if (u && u.protocol === 'https:' && (u.port === '' || u.port === '443') && o.rounds.https) {
      const there = landing(o, 'https', u.hostname.toLowerCase());
      return { backend: there.backend, via: loc, sample: there.sample };
    }
  }
  return { backend: own, sample: r.sample[i] };
}

export function decideRouting(o: RoutingObs, p: Pick<ProbeOf<'domain-routing'>, 'schemes'>): Outcome {
  const problems: Text[] = [];
  const { domains } = o;
  const by: Partial<Record<Scheme, (string | null)[]>> = {};
  let redirected = 0;
  for (const scheme of p.schemes) {
    const r = o.rounds[scheme];
    const S = scheme.toUpperCase();
    if (!r) continue;
    const plain = scheme === 'https' ? notTerminated(r) : undefined;
    if (plain) {
      problems.push(M.notTerminated(plain.sessions, plain.conns));
      continue;
    }
    const decoded = decodeRound(r);
    if (typeof decoded === 'string') {
      problems.push(t(`${S}: ${decoded} (other traffic or reloads meanwhile?)`, `${S}：${decoded}（期间有其他流量或重载？）`));
      continue;
    }
    const land = domains.map((d) => landing(o, scheme, d));
    by[scheme] = land.map((l) => l.backend);
    if (scheme === 'http') redirected = land.filter((l) => l.via).length;
    const lost = land.map((l, i) => ({ l, i })).filter(({ l }) => l.backend === null);
    const why = (i: number) => seen(land[i]!.sample ?? r.sample[i]!);
    if (lost.length === domains.length && new Set(lost.map(({ i }) => why(i).en)).size === 1) problems.push(M.noneReached(S, domains.length, why(0)));
    else for (const { i } of lost) problems.push(M.oneLost(S, domains[i]!, why(i)));
    const groups = new Map<string, string[]>();
    land.forEach((l, i) => l.backend && groups.set(l.backend, [...(groups.get(l.backend) ?? []), domains[i]!]));
    for (const [b, ds] of groups) if (ds.length > 1) problems.push(M.shared(S, ds, b));
  }
  if (by.http && by.https) {
    domains.forEach((d, i) => {
      const a = by.http![i];
      const b = by.https![i];
      if (a && b && a !== b) problems.push(M.disagree(d, a, b));
    });
  }
  if (problems.length) return fail(M.expected(domains.length, listSome(problems, 4)));
  const first = by[p.schemes[0]!]!;
  const map = domains.map((d, i) => `${d.split('.')[0]}→${first[i]}`).join(', ');
  const via = redirected ? M.viaRedirect(redirected) : t('', '');
  const schemes = p.schemes.map((x) => x.toUpperCase()).join(' & ');
  return pass(t(M.routed(schemes, domains.length, map, via.en).en, M.routed(schemes, domains.length, map, via.zh).zh));
}

async function sharedRound(ctx: ProbeContext, scheme: Scheme, domains: string[], path: string): Promise<RoundObs> {
  // http-routing and https-routing both need the HTTP round: one attempt asks HAProxy once.
  return ctx.shared(`routing ${scheme} ${path} ${domains.join(',')}`, () => round(ctx, domains.map((host) => ({ scheme, host, path }))));
}

export const domainRouting = defineProbe<ProbeOf<'domain-routing'>, RoutingObs>({
  kind: 'domain-routing',
  needs: 'any',
  traffic: 'exclusive',
  async observe(ctx, p) {
    if (!ctx.stats) return early(skip(ctx.statsMissing ?? t('no counters', '没有计数器')));
    const domains = domainsOf(ctx, p);
    const rounds: Partial<Record<Scheme, RoundObs>> = {};
    for (const scheme of p.schemes) rounds[scheme] = await sharedRound(ctx, scheme, domains, p.path);
    // Redirected to HTTPS: graded where the redirect leads, so the HTTPS round is needed too.
    if (rounds.http && !rounds.https && rounds.http.redirect.some((l) => l && /^https:/i.test(l))) rounds.https = await sharedRound(ctx, 'https', domains, p.path);
    return { domains, path: p.path, where: ctx.stats.where, rounds };
  },
  decide: decideRouting,
});

export interface DefaultBackendObs {
  host: string;
  where: string;
  round: RoundObs;
  /** What haproxy.cfg declares for the frontend on each scheme's port (supporting facts; lab only). */
  config: Partial<Record<Scheme, { frontend: string; defaultBackend?: string } | null>>;
}

export function decideDefaultBackend(o: DefaultBackendObs, p: Pick<ProbeOf<'default-backend'>, 'schemes'>): Outcome {
  const problems: Text[] = [];
  const got: Partial<Record<Scheme, string>> = {};
  const rounds = Object.fromEntries(o.round.classes.map((c) => [c.scheme, o.round])) as Partial<Record<Scheme, RoundObs>>;
  const decoded = decodeRound(o.round);
  if (typeof decoded === 'string') return fail(t(`${decoded} (other traffic or reloads meanwhile?)`, `${decoded}（期间有其他流量或重载？）`));
  for (const scheme of p.schemes) {
    const S = scheme.toUpperCase();
    const l = landing({ rounds }, scheme, o.host);
    const fe = o.config[scheme];
    const cfg = fe ? M.cfgSays(fe.frontend, fe.defaultBackend) : t('', '');
    const sample = l.sample ?? o.round.sample[o.round.classes.findIndex((c) => c.scheme === scheme)]!;
    if (!l.backend) problems.push(M.unknownNoBackend(S, M.noBackend(seen(sample)), fe ? cfg.en : ''));
    else if (!sample.ok || sample.status >= 500) problems.push(M.unknownNoPage(S, l.backend, seen(sample)));
    else got[scheme] = l.backend;
  }
  if (!problems.length && got.http && got.https && got.http !== got.https) problems.push(M.unknownDisagree(got.http, got.https));
  if (problems.length) return fail(listSome(problems));
  const what = p.schemes.map((s) => `${s.toUpperCase()} → ${got[s]}`).join(', ');
  const fe = o.config[p.schemes[0]!];
  const cfg = fe ? M.cfgSays(fe.frontend, fe.defaultBackend) : t('', '');
  return pass(M.fallbackOk(what, cfg));
}

export const defaultBackend = defineProbe<ProbeOf<'default-backend'>, DefaultBackendObs>({
  kind: 'default-backend',
  needs: 'any',
  traffic: 'exclusive',
  async observe(ctx, p) {
    if (!ctx.stats) return early(skip(ctx.statsMissing ?? t('no counters', '没有计数器')));
    const [cfg, r] = await Promise.all([
      ctx.haproxyConfig ? ctx.haproxyConfig() : Promise.resolve(''),
      round(ctx, p.schemes.map((scheme) => ({ scheme, host: p.host, path: p.path }))),
    ]);
    const config: DefaultBackendObs['config'] = {};
    if (cfg) {
      for (const scheme of p.schemes) {
        const fe = frontendOn(cfg, portOf(ctx, scheme));
        config[scheme] = fe ? { frontend: `${fe.type} ${fe.name}`, defaultBackend: fe.defaultBackend } : null;
      }
    }
    return { host: p.host, where: ctx.stats.where, round: r, config };
  },
  decide: decideDefaultBackend,
});
