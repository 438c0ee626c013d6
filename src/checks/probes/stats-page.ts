// The stats page and the Prometheus exporter on every HAProxy node. In a lab, curl runs inside each node
// (the directors forward only 80/443) against 127.0.0.1 first, then the node's own addresses: a page
// bound to loopback, or `stats admin if LOCALHOST`, is judged from where its author meant it to be used.
// With --target: HOST:--stats-port from here.
import type { HttpRequest, HttpResponse } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { HaproxyEndpoint, Outcome, ProbeContext, Text } from '../types.js';
import { defineProbe } from './define.js';
import { M } from './stats-page.messages.js';
import { brief, fail, listSome, pass, perNode, seen, type Brief } from './util.js';

type StatsParams = Omit<ProbeOf<'stats-auth'>, 'kind'>;

/**
 * Sends `make(address)` to the first address of the node that gives an HTTP answer to its first request;
 * when none does, the answers of the first address.
 */
async function atFirstAnswering(e: HaproxyEndpoint, make: (address: string) => HttpRequest[]): Promise<{ address: string; res: Brief[]; raw: HttpResponse[] }> {
  let first: { address: string; res: Brief[]; raw: HttpResponse[] } | undefined;
  for (const address of e.addresses) {
    const raw = await e.http.batch(make(address).map((r) => ({ ...r, connectTo: address })));
    const res = raw.map(brief);
    first ??= { address, res, raw };
    if (res[0]!.ok) return { address, res, raw };
  }
  return first!;
}

/** HAProxy's own stats page (HTML or CSV), not just any page that answers 200. */
const isStatsPage = (body: string) => /Statistics Report/i.test(body) || /^# pxname,svname,/m.test(body);

interface NodeAnswers {
  node: string;
  /** The address that answered (127.0.0.1 inside a lab node, or the --target host). */
  address: string;
  res: Brief[];
}

interface StatsObs {
  port: number;
  uri: string;
  nodes: NodeAnswers[];
  /** Per node (stats-auth): the answer with the credentials was HAProxy's stats page. */
  statsPage?: boolean[];
}

async function perNodeAnswers(ctx: ProbeContext, make: (address: string) => HttpRequest[]): Promise<(NodeAnswers & { raw: HttpResponse[] })[]> {
  return Promise.all(ctx.haproxy.map(async (e) => ({ node: e.name, ...(await atFirstAnswering(e, make)) })));
}

const strip = (n: NodeAnswers & { raw?: HttpResponse[] }): NodeAnswers => ({ node: n.node, address: n.address, res: n.res });

function judge(o: StatsObs, fn: (n: NodeAnswers, w: string) => Text | undefined, ok: Text): Outcome {
  const problems = o.nodes.flatMap((n) => {
    const msg = fn(n, `${n.address}:${o.port}${o.uri}`);
    return msg ? [{ node: n.node, msg }] : [];
  });
  return problems.length ? fail(listSome(perNode(problems))) : pass(ok);
}

const cred = (p: StatsParams) => `${p.credentials.user}:${p.credentials.password}`;

export function decideStatsAuth(o: StatsObs, p: StatsParams): Outcome {
  return judge(
    o,
    (n, w) => {
      const [anon, authed] = n.res;
      if (!anon!.ok) return M.noPage(w, seen(anon!));
      if (anon!.status !== 401) return M.no401(w, seen(anon!));
      if (authed!.status !== 200) return M.no200(w, cred(p), seen(authed!));
      if (o.statsPage && !o.statsPage[o.nodes.indexOf(n)]) return M.notStats(w, cred(p));
      return undefined;
    },
    M.authOk(`:${o.port}${o.uri}`, cred(p), o.nodes.map((n) => n.node)),
  );
}

export const statsAuth = defineProbe<StatsParams, StatsObs>({
  kind: 'stats-auth',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const base = (host: string) => ({ scheme: 'http' as const, host, port, path: p.uri, timeoutMs: 3000 });
    const nodes = await perNodeAnswers(ctx, (a) => [base(a), { ...base(a), auth: { user: p.credentials.user, password: p.credentials.password } }]);
    return { port, uri: p.uri, nodes: nodes.map(strip), statsPage: nodes.map((n) => isStatsPage(n.raw[1]?.body ?? '')) };
  },
  decide: decideStatsAuth,
});

export function decideStatsAdmin(o: StatsObs, p: StatsParams): Outcome {
  return judge(
    o,
    ({ res: [r] }, w) => {
      if (r!.status === 303 || r!.status === 302) return /st=DENY/.test(r!.location ?? '') ? M.denied(w, r!.location ?? '') : undefined;
      return M.adminOther(w, cred(p), seen(r!));
    },
    M.adminOk([...new Set(o.nodes.map((n) => n.address))].join(', ')),
  );
}

export const statsAdmin = defineProbe<StatsParams, StatsObs>({
  kind: 'stats-admin',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    // An admin action on a backend that does not exist: harmless, and HAProxy says DENY only when admin is off.
    const nodes = await perNodeAnswers(ctx, (host) => [
      { scheme: 'http', host, port, path: p.uri, method: 'POST', data: 's=lab-check&action=ready&b=%23lab-check', auth: { ...p.credentials }, timeoutMs: 3000 },
    ]);
    return { port, uri: p.uri, nodes: nodes.map(strip) };
  },
  decide: decideStatsAdmin,
});

interface VersionObs extends StatsObs {
  /** Per node: the page is HAProxy's stats page, and the version it shows (null: none). */
  page: { statsReport: boolean; version: string | null }[];
}

export function decideHideVersion(o: VersionObs, p: StatsParams): Outcome {
  return judge(
    o,
    (n, w) => {
      const page = o.page[o.nodes.indexOf(n)]!;
      if (n.res[0]!.status !== 200 || !page.statsReport) return M.cannotLoad(w, cred(p), seen(n.res[0]!));
      return page.version ? M.shows(w, page.version) : undefined;
    },
    M.hidden,
  );
}

export const statsHideVersion = defineProbe<StatsParams, VersionObs>({
  kind: 'stats-hide-version',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const page: VersionObs['page'] = [];
    const nodes = await Promise.all(
      ctx.haproxy.map(async (e, i) => {
        let body = '';
        const got = await atFirstAnswering(e, (host) => [{ scheme: 'http', host, port, path: p.uri, auth: { ...p.credentials }, timeoutMs: 3000 }]);
        body = got.raw[0]!.body;
        page[i] = { statsReport: /Statistics Report/i.test(body), version: /HAProxy version [0-9][^,<]*/i.exec(body)?.[0] ?? null };
        return strip({ node: e.name, ...got });
      }),
    );
    return { port, uri: p.uri, nodes, page };
  },
  decide: decideHideVersion,
});

interface MetricsObs {
  port: number;
  path: string;
  nodes: NodeAnswers[];
  /** Per node: lines starting with the prefix. */
  metrics: number[];
}

export function decidePrometheus(o: MetricsObs, p: ProbeOf<'prometheus'>): Outcome {
  const problems = o.nodes.flatMap((n, i) => {
    const w = `${n.address}:${o.port}${o.path}`;
    const r = n.res[n.res.length - 1]!;
    const msg = r.status !== 200 ? M.noMetrics(w, seen(r)) : o.metrics[i] === 0 ? M.noPrefix(w, p.prefix) : undefined;
    return msg ? [{ node: n.node, msg }] : [];
  });
  if (problems.length) return fail(listSome(perNode(problems)));
  return pass(M.metricsOk(`:${o.port}${o.path}`, p.prefix, Math.min(...o.metrics)));
}

export const prometheus = defineProbe<ProbeOf<'prometheus'>, MetricsObs>({
  kind: 'prometheus',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const metrics: number[] = [];
    const nodes = await Promise.all(
      ctx.haproxy.map(async (e, i) => {
        const got = await atFirstAnswering(e, (host) => [{ scheme: 'http', host, port, path: p.path, timeoutMs: 3000 }]);
        const base = { scheme: 'http' as const, host: got.address, port, path: p.path, timeoutMs: 3000, connectTo: got.address };
        let [raw] = await e.http.batch([base]);
        if (raw!.status === 401 && p.credentials) [raw] = await e.http.batch([{ ...base, auth: { user: p.credentials.user, password: String(p.credentials.password) } }]);
        metrics[i] = raw!.status === 200 ? raw!.body.split('\n').filter((l) => l.startsWith(p.prefix)).length : 0;
        return { node: e.name, address: got.address, res: [...got.res, brief(raw!)] };
      }),
    );
    return { port, path: p.path, nodes, metrics };
  },
  decide: decidePrometheus,
});
