// Routing graded at HAProxy, whatever the backends are called: domain i is sent 2^i requests and the
// per-backend session counters (lab's master socket, summed over both HAProxy nodes) say which backend
// served which domains. No other probe sends traffic meanwhile (these probes are 'exclusive').
import type { HttpResponse, Scheme } from '../http.js';
import { frontendOn } from '../haproxy-config.js';
import type { ProbeOf } from '../schema.js';
import { backendTotals, decodeBinary, decodeLinear, deltas } from '../stats.js';
import type { Text, LabHandle, ProbeContext, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { domainsOf, EDGE_ANSWERS, edgeKey, fail, listSome, pass, portOf, seen } from './util.js';

const NEEDS_COUNTERS = t(
  "routing is graded from HAProxy's own counters, which only the lab's containers expose",
  '路由由 HAProxy 自身的计数器评判，只有实验环境中的容器能读取',
);

const LAST_TOTALS = 'routing: last backend totals';

/** Thrown when counters moved for reasons other than our requests: the attempt is retried. */
class Inconsistent extends Error {}

interface Round {
  backendOf: (string | null)[];
  /** One response per class, for messages about requests that reached no backend. */
  sample: HttpResponse[];
}

/**
 * Sends class i its share of requests (keep-alive per class) and decodes the counters: first i+1
 * requests each, which settles the all-distinct case; if that does not decode, 2^i each, which says
 * exactly which classes share a backend.
 */
async function round(ctx: ProbeContext, lab: LabHandle, classes: { scheme: Scheme; host: string; path: string }[], binary = classes.length <= 2): Promise<Round> {
  const weight = (i: number) => (binary ? 2 ** i : i + 1);
  const reqs = classes.flatMap((c, i) =>
    Array.from({ length: weight(i) }, () => ({ scheme: c.scheme, host: c.host, port: portOf(ctx, c.scheme), path: c.path, timeoutMs: 3000, group: `${c.scheme}://${c.host}` })),
  );
  // Exclusive probes run one after another with nothing else touching the backends, so the snapshot
  // after one round is the one before the next (a reload in between shows up as counters going down).
  const before = (ctx.scratch.get(LAST_TOTALS) as Map<string, number> | undefined) ?? (await backendTotals(lab));
  ctx.scratch.delete(LAST_TOTALS);
  const res = await ctx.edge.batch(reqs);
  const after = await backendTotals(lab);
  ctx.scratch.set(LAST_TOTALS, after);
  const d = deltas(before, after);
  const decoded = binary ? decodeBinary(d, classes.length) : decodeLinear(d, classes.length);
  if (!decoded) return round(ctx, lab, classes, true);
  if (decoded.inconsistent) throw new Inconsistent(decoded.inconsistent);
  const sample: HttpResponse[] = [];
  const answers = (ctx.scratch.get(EDGE_ANSWERS) as Map<string, HttpResponse> | undefined) ?? new Map<string, HttpResponse>();
  ctx.scratch.set(EDGE_ANSWERS, answers);
  let at = 0;
  classes.forEach((_, i) => {
    const mine = res.slice(at, at + weight(i));
    at += weight(i);
    sample.push(mine.find((r) => !r.ok || r.status >= 500) ?? mine[0]!);
    answers.set(edgeKey(classes[i]!.scheme, classes[i]!.host, classes[i]!.path), mine[0]!);
    const answered = mine.filter((r) => r.ok).length;
    if (decoded.backendOf[i] && answered !== mine.length) throw new Inconsistent(`only ${answered} of ${mine.length} requests for ${classes[i]!.host} were answered`);
  });
  return { backendOf: decoded.backendOf, sample };
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  // A reload or a stray request can disturb one round; a second round almost always settles it.
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof Inconsistent) || i >= 2) throw e;
    }
  }
}

export const domainRouting: ProbeImpl<ProbeOf<'domain-routing'>> = {
  kind: 'domain-routing',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_COUNTERS,
  async run(ctx, p) {
    const lab = ctx.lab!;
    const domains = domainsOf(ctx, p);
    const rounds = new Map<Scheme, Round>();
    for (const scheme of p.schemes) {
      // http-routing and https-routing both need the HTTP round: one attempt asks HAProxy once.
      const r = await ctx.shared(`routing ${scheme} ${p.path} ${domains.join(',')}`, () => withRetry(() => round(ctx, lab, domains.map((host) => ({ scheme, host, path: p.path })))));
      rounds.set(scheme, r);
    }
    const problems: Text[] = [];
    for (const [scheme, r] of rounds) {
      const S = scheme.toUpperCase();
      const lost = domains.map((d, i) => ({ d, i })).filter(({ i }) => r.backendOf[i] === null);
      const reasons = new Set(lost.map(({ i }) => seen(r.sample[i]!).en));
      if (lost.length === domains.length && reasons.size === 1) {
        const why = seen(r.sample[0]!);
        problems.push(t(`${S}: none of the ${domains.length} domains reached a backend (${why.en})`, `${S}：${domains.length} 个域名都没有到达任何 backend（${why.zh}）`));
      } else {
        for (const { d, i } of lost) problems.push(t(`${S} ${d}: reached no backend (${seen(r.sample[i]!).en})`, `${S} ${d}：没有到达任何 backend（${seen(r.sample[i]!).zh}）`));
      }
      const by = new Map<string, string[]>();
      domains.forEach((d, i) => {
        const b = r.backendOf[i];
        if (b) by.set(b, [...(by.get(b) ?? []), d]);
      });
      for (const [b, ds] of by) {
        if (ds.length > 1) problems.push(t(`${S}: ${ds.join(', ')} all went to backend ${b}`, `${S}：${ds.join('、')} 都被送到了 backend ${b}`));
      }
    }
    const http = rounds.get('http');
    const https = rounds.get('https');
    if (http && https) {
      domains.forEach((d, i) => {
        const a = http.backendOf[i];
        const b = https.backendOf[i];
        if (a && b && a !== b) problems.push(t(`${d}: HTTP went to backend ${a} but HTTPS to ${b}`, `${d}：HTTP 被送到 backend ${a}，HTTPS 却被送到 ${b}`));
      });
    }
    if (problems.length) {
      return fail(t(`expected ${domains.length} domains on ${domains.length} distinct backends; ${listSome(problems, 4).en}`, `应为 ${domains.length} 个域名对应 ${domains.length} 个不同的 backend；${listSome(problems, 4).zh}`));
    }
    const first = rounds.values().next().value!;
    const map = domains.map((d, i) => `${d.split('.')[0]}→${first.backendOf[i]}`).join(', ');
    const schemes = [...rounds.keys()].map((x) => x.toUpperCase()).join(' & ');
    return pass(t(`${schemes}: ${domains.length} domains reach ${domains.length} distinct backends (${map})`, `${schemes}：${domains.length} 个域名到达 ${domains.length} 个不同的 backend（${map}）`));
  },
};

export const defaultBackend: ProbeImpl<ProbeOf<'default-backend'>> = {
  kind: 'default-backend',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_COUNTERS,
  async run(ctx, p) {
    const lab = ctx.lab!;
    const [cfg, r] = await Promise.all([
      ctx.haproxyConfig ? ctx.haproxyConfig() : Promise.resolve(''),
      withRetry(() => round(ctx, lab, p.schemes.map((scheme) => ({ scheme, host: p.host, path: p.path })))),
    ]);
    const problems: Text[] = [];
    const good: string[] = [];
    p.schemes.forEach((scheme, i) => {
      const port = portOf(ctx, scheme);
      const fe = frontendOn(cfg, port);
      const landed = r.backendOf[i];
      const S = scheme.toUpperCase();
      const got = landed ? t(`backend ${landed}`, `backend ${landed}`) : t(`no backend (${seen(r.sample[i]!).en})`, `没有 backend（${seen(r.sample[i]!).zh}）`);
      if (!fe) {
        problems.push(t(`${S}: no frontend binds port ${port}; an unknown Host got ${got.en}`, `${S}：没有 frontend 监听 ${port} 端口；未知 Host 的结果是${got.zh}`));
      } else if (!fe.defaultBackend) {
        problems.push(t(`${S}: ${fe.type} ${fe.name} has no default_backend; an unknown Host got ${got.en}`, `${S}：${fe.type} ${fe.name} 没有 default_backend；未知 Host 的结果是${got.zh}`));
      } else if (landed !== fe.defaultBackend) {
        problems.push(t(`${S}: an unknown Host went to ${got.en}, but ${fe.name} says default_backend ${fe.defaultBackend}`, `${S}：未知 Host 去了${got.zh}，而 ${fe.name} 的 default_backend 是 ${fe.defaultBackend}`));
      } else good.push(`${S} → ${landed}`);
    });
    if (problems.length) return fail(listSome(problems));
    return pass(t(`an unknown Host lands on the default_backend (${good.join(', ')})`, `未知 Host 落到 default_backend（${good.join('，')}）`));
  },
};
