// exp4 (tutorial 5.2.2): the backend that serves a URL checks its servers over HTTP, on /health. The
// grader makes GET /health answer 503 on every app while every other path keeps answering 200 (the lab's
// `unhealthy` app fault): requests must stop reaching the app (every server DOWN, HAProxy answers 503
// itself) within downWithinMs, and reach it again within restoreWithinMs once /health heals. A check on
// another path, a TCP check, or `rise 1000` fail. HAProxy's `show stat` (status, check_status) is
// recorded beside the behaviour; the backend is found by the requests it counts, whatever its name.
import { setAppFault } from '../../fault/fault.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeContext, Text } from '../types.js';
import { defineProbe } from './define.js';
import { M } from './health.messages.js';
import { describeServer, freshRequests, NEEDS_SERVER_COUNTERS, serverDeltas, serverRows, sleep, type ServerRow } from './server-counters.js';
import { brief, fail, listSome, pass, seen, type Brief } from './util.js';

export interface ServerState {
  key: string;
  name: string;
  addr: string;
  status: Record<string, string>;
  check: Record<string, string>;
}

export const statesOf = (rows: Map<string, ServerRow>, backend: string): ServerState[] =>
  [...rows.entries()]
    .filter(([, s]) => s.pxname === backend)
    .map(([k, s]) => ({ key: k, name: describeServer(rows, k), addr: s.addr, status: { ...s.status }, check: { ...s.checkStatus } }));

/** The backend that served `path` (by per-server counters; null: none), its rows, and the answers. */
export async function backendServing(ctx: ProbeContext, host: string, path: string): Promise<{ backend: string | null; rows: Map<string, ServerRow>; res: Brief[] }> {
  const before = await serverRows(ctx.stats!);
  const res = (await ctx.edge.batch(freshRequests(host, ctx.ports.http, [path, path, path]))).map(brief);
  const after = await serverRows(ctx.stats!);
  const d = serverDeltas(before, after);
  const hit = [...d.entries()].filter(([, v]) => v > 0).map(([k]) => after.get(k)!.pxname);
  if (hit.length === 0) return { backend: null, rows: after, res };
  const counts = new Map<string, number>();
  for (const b of hit) counts.set(b, (counts.get(b) ?? 0) + 1);
  return { backend: [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0], rows: after, res };
}

/** One look during a phase: what two fresh requests got, and how many servers HAProxy had DOWN per node. */
export interface Poll {
  ms: number;
  answers: { status: number; app: boolean }[];
  down: Record<string, number>;
}

export interface HealthObs {
  path: string;
  /** The backend that served the URL before anything was broken; null: the requests reached none. */
  backend: string | null;
  /** What those first requests got. */
  first: Brief[];
  nodes: string[];
  servers: ServerState[];
  /** null without failHealth. */
  fault: {
    /** ms after /health started failing until two requests in a row got no app answer; null: never within downWithinMs. */
    downAfterMs: number | null;
    /** ms after /health healed until two requests in a row got the app's answer again; null: never within restoreWithinMs. */
    upAfterMs: number | null;
    down: Poll[];
    up: Poll[];
    serversWhileFailing: ServerState[];
  } | null;
}

function l7Problems(o: HealthObs): Text[] {
  const problems: Text[] = [];
  for (const s of o.servers) {
    const states = Object.entries(s.check);
    const none = states.filter(([, c]) => !c);
    const l4 = states.filter(([, c]) => /^L4OK/.test(c));
    const bad = states.filter(([, c]) => c && !/^L[47]OK/.test(c));
    if (none.length) problems.push(M.noCheck(s.name));
    else if (l4.length) problems.push(M.tcpOnly(s.name, l4[0]![1]));
    else if (bad.length) problems.push(M.badCheck(s.name, bad[0]![1], bad[0]![0]));
  }
  return problems;
}

export function decideHealthChecks(o: HealthObs, p: Pick<ProbeOf<'health-checks-l7'>, 'minServers' | 'path' | 'downWithinMs' | 'restoreWithinMs'>): Outcome {
  if (!o.backend) return fail(M.noBackend(p.path, seen(o.first[0] ?? { ok: false, status: 0, redirects: 0, app: null })));
  if (o.servers.length < p.minServers) return fail(M.fewServers(o.backend, p.path, o.servers.length, p.minServers));
  if (!o.fault) {
    const problems = l7Problems(o);
    if (problems.length) return fail(M.notL7(o.backend, listSome(problems)));
    return pass(M.l7Ok(o.backend, o.servers.length, o.nodes.join(' and ')));
  }
  if (o.fault.downAfterMs === null) {
    const checks = o.servers.flatMap((s) => Object.values(s.check));
    const why = checks.some((c) => !c) ? M.whyNone : checks.some((c) => /^L4/.test(c)) ? M.whyTcp : M.whyPath(checks.find((c) => c) ?? '?');
    return fail(M.neverDown(p.downWithinMs, why));
  }
  if (o.fault.upAfterMs === null) return fail(M.neverBack(o.fault.downAfterMs, p.restoreWithinMs));
  return pass(M.checksOk(o.backend, o.servers.length, o.fault.downAfterMs, o.fault.upAfterMs));
}

/** Polls until `done` (two fresh requests both match) or the deadline; returns when it was done, and the polls. */
async function watch(ctx: ProbeContext, host: string, path: string, backend: string, withinMs: number, done: (answers: Poll['answers']) => boolean) {
  const start = Date.now();
  const polls: Poll[] = [];
  let last = new Map<string, ServerRow>();
  while (Date.now() - start < withinMs) {
    const [res, rows] = await Promise.all([ctx.edge.batch(freshRequests(host, ctx.ports.http, [path, path]).map((r) => ({ ...r, group: 'poll' }))), serverRows(ctx.stats!)]);
    last = rows;
    const answers = res.map((r) => ({ status: r.status, app: !!brief(r).app }));
    const down: Record<string, number> = {};
    for (const s of rows.values()) if (s.pxname === backend) for (const [n, st] of Object.entries(s.status)) down[n] = (down[n] ?? 0) + (/^DOWN/.test(st) ? 1 : 0);
    polls.push({ ms: Date.now() - start, answers, down });
    if (done(answers)) return { at: Date.now() - start, polls, rows };
    await sleep(400);
  }
  return { at: null, polls, rows: last };
}

/** Keeps the first polls and the last few (a phase can take dozens). */
const trim = (p: Poll[]) => (p.length > 12 ? [...p.slice(0, 4), ...p.slice(-8)] : p);

export const healthChecksL7 = defineProbe<ProbeOf<'health-checks-l7'>, HealthObs>({
  kind: 'health-checks-l7',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async observe(ctx, p) {
    const lab = ctx.lab!;
    const host = p.host ?? ctx.domains[0]!;
    const { backend, rows, res } = await backendServing(ctx, host, p.path);
    const base = { path: p.path, backend, first: res, nodes: lab.haproxy.map((h) => h.node), servers: backend ? statesOf(rows, backend) : [] };
    if (!backend || !p.failHealth || base.servers.length < p.minServers) return { ...base, fault: null };
    const unhealthy = { name: 'unhealthy' as const };
    try {
      await Promise.all(lab.apps.map((a) => setAppFault(lab.runtime, a.container, unhealthy)));
      const down = await watch(ctx, host, p.path, backend, p.downWithinMs, (a) => a.every((x) => !x.app));
      await Promise.all(lab.apps.map((a) => setAppFault(lab.runtime, a.container, { name: 'healthy' })));
      const up = down.at === null ? { at: null, polls: [] } : await watch(ctx, host, p.path, backend, p.restoreWithinMs, (a) => a.every((x) => x.app));
      return {
        ...base,
        fault: { downAfterMs: down.at, upAfterMs: up.at, down: trim(down.polls), up: trim(up.polls), serversWhileFailing: statesOf(down.rows, backend) },
      };
    } finally {
      // Always heal the apps, also when the probe fails or times out.
      await Promise.all(lab.apps.map((a) => setAppFault(lab.runtime, a.container, { name: 'healthy' }).catch(() => undefined)));
    }
  },
  decide: decideHealthChecks,
});
