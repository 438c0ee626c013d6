// exp3 (tutorial 5.1.1, 5.1.2): how one backend spreads requests over its servers. Round robin and
// static-rr are exact: over requests sent one at a time, each HAProxy node walks a fixed cycle, so every
// `sum(ratio)` consecutive requests one node gets split exactly by the ratio (1:1:1, or 3:1:1 whichever
// server holds the 3). Which node and which server served each request is read from the app's answer
// (X-Real-IP and the peer Nginx), not from counters; HAProxy's own per-server counters and `algo` column
// are recorded beside it. With `hold`, one request is kept open on a server first (its body is sent
// last): round robin still gives that server its turn, least-connections avoids it.
import { randomBytes } from 'node:crypto';
import { curlArgs, parseCurlOutput, shq } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeContext, Text } from '../types.js';
import { t } from '../types.js';
import { defineProbe } from './define.js';
import { M } from './lb.messages.js';
import { counterView, freshRequests, hopOf, measureAgain, serverRows, Disturbed, NEEDS_SERVER_COUNTERS, type CounterView } from './server-counters.js';
import { brief, fail, pass, seen, type Brief } from './util.js';
import { runClientScript } from '../client-script.js';

export { Disturbed, freshRequests, measureAgain, NEEDS_SERVER_COUNTERS } from './server-counters.js';

/** One request as the grader keeps it: its answer, and the HAProxy node and server it went through. */
export interface Hit {
  status: number;
  ok: boolean;
  app: boolean;
  node: string | null;
  server: string | null;
  /** What the app reported (X-Real-IP, peer), from which node and server were named. */
  realIp?: string | null;
  peer?: string | null;
  /** The request held open first (lb-distribution with hold). */
  held?: boolean;
  /** Set when the request got no app answer: what it got instead. */
  seen?: Brief;
}

export function hitOf(b: Brief, names: Record<string, string>): Hit {
  const h: Hit = { status: b.status, ok: b.ok, app: !!b.app, ...hopOf(b, names) };
  if (b.app) {
    h.realIp = b.app.realIp;
    h.peer = b.app.peer ?? null;
  } else h.seen = b;
  return h;
}

export interface DistributionObs {
  path: string;
  /** In the order HAProxy received them (the held request first). */
  hits: Hit[];
  counters: CounterView;
}

const short = (s: string | null) => (s ?? '?').replace(/^nginx/, 'n');

/** Sorted counts of one window equal the sorted ratio. */
function windowFits(seq: string[], ratio: number[]): boolean {
  const counts = new Map<string, number>();
  for (const s of seq) counts.set(s, (counts.get(s) ?? 0) + 1);
  const got = [...counts.values()].sort((a, b) => b - a);
  const want = [...ratio].sort((a, b) => b - a);
  return got.length === want.length && got.every((x, i) => x === want[i]);
}

export function decideDistribution(o: DistributionObs, p: Pick<ProbeOf<'lb-distribution'>, 'ratio' | 'hold'>): Outcome {
  const ratioText = p.ratio.join(':');
  const w = p.ratio.reduce((a, b) => a + b, 0);
  const bad = o.hits.filter((h) => !h.app);
  if (bad.length) return fail(M.failed(bad.length, o.hits.length, o.path, seen(bad[0]!.seen ?? { ok: false, status: 0, redirects: 0, app: null })));
  if (o.hits.some((h) => !h.node || !h.server)) return fail(M.unknownHop(o.path));
  const used = new Set(o.hits.map((h) => h.server!));
  if (used.size !== p.ratio.length) return fail(M.servers(used.size, p.ratio.length, ratioText));
  // The held request is judged on its own: when HAProxy picked its server depends on the config
  // (`option http-buffer-request` waits for the body); the sequences are the requests sent one at a time.
  const held = o.hits.find((h) => h.held);
  const byNode = new Map<string, Hit[]>();
  for (const h of o.hits) if (!h.held) byNode.set(h.node!, [...(byNode.get(h.node!) ?? []), h]);
  if (![...byNode.values()].some((hs) => hs.length >= 2 * w)) return fail(M.tooFew(w));
  const problems: Text[] = [];
  for (const [node, hs] of [...byNode].sort()) {
    const seq = hs.map((h) => h.server!);
    const shown = seq.map(short).join(' ');
    // The held server never came round on its node while it was busy: least-connections.
    if (p.hold && held && held.node === node && !seq.includes(held.server!)) {
      problems.push(M.heldSkipped(node, held.server!, shown));
      continue;
    }
    for (let i = 0; i + w <= seq.length; i++) {
      if (!windowFits(seq.slice(i, i + w), p.ratio)) {
        problems.push(M.window(node, w, i, seq.slice(i, i + w).map(short).join(' '), ratioText, shown));
        break;
      }
    }
  }
  if (problems.length) return fail(problems[0]!);
  const per = [...byNode].sort().map(([n, hs]) => `${n}: ${hs.map((h) => short(h.server)).join(' ')}`).join('; ');
  const backends = Object.keys(o.counters.algo);
  const be = backends.length === 1 ? M.backendNote(backends[0]!, o.counters.algo[backends[0]!] || '?') : t('', '');
  const msg = (l: 'en' | 'zh') => M.distributed(o.hits.length, o.path, ratioText, w, per, !!p.hold, be[l])[l];
  return pass(t(msg('en'), msg('zh')));
}

/** Parses the raw HTTP answer socat printed for the held request. */
export function parseRawHttp(text: string): Brief {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m) return { ok: false, status: 0, redirects: 0, app: null, errorCode: 'other', error: text.trim().slice(0, 120) || 'no answer' };
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  let app: Brief['app'] = null;
  try {
    const j = JSON.parse(body.trim()) as Brief['app'];
    app = j && typeof j.app === 'string' ? j : null;
  } catch {
    app = null;
  }
  return { ok: true, status: Number(m[1]), redirects: 0, app: Number(m[1]) === 200 ? app : null };
}

/** Sequential fresh requests in one curl process, optionally after one request held open with socat. */
async function sequence(ctx: ProbeContext, host: string, path: string, n: number, hold: boolean): Promise<Brief[]> {
  const lab = ctx.lab!;
  const token = randomBytes(6).toString('hex');
  const reqs = freshRequests(host, ctx.ports.http, Array.from({ length: n }, () => path));
  const argv = reqs.map((r, i) => curlArgs({ ...r, timeoutMs: 4000 }, i, ctx.edgeAddress, token).map(shq).join(' ')).join(' --next ');
  const head = `POST ${path} HTTP/1.1\\r\\nHost: ${host}\\r\\nContent-Type: text/plain\\r\\nContent-Length: 4\\r\\nConnection: close\\r\\n\\r\\n`;
  const lines = ['d=$(mktemp -d)'];
  if (hold) {
    // Headers now, the body once the sequence is done (at most 15 s): HAProxy holds a connection to one server meanwhile.
    const wait = 'i=0; while [ ! -f "$d/go" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done';
    lines.push(`( printf '${head}'; ${wait}; printf 'held' ) | socat -t 5 - TCP:${ctx.edgeAddress}:${ctx.ports.http} > "$d/held" 2>&1 &`);
    lines.push('sleep 0.5');
  }
  lines.push(`curl ${argv} > "$d/seq" 2>/dev/null`, 'touch "$d/go"', 'wait', 'cat "$d/seq"', `printf '\\n@@${token} HELD\\n'`, 'cat "$d/held" 2>/dev/null', 'rm -rf "$d"');
  const r = await runClientScript(lab.runtime, lab.client, `${lines.join('\n')}\n`, n * 4000 + 20_000);
  const [seqOut, heldOut = ''] = r.stdout.split(`\n@@${token} HELD\n`);
  const res = parseCurlOutput(seqOut ?? '', token, n).map(brief);
  return hold ? [parseRawHttp(heldOut), ...res] : res;
}

export const lbDistribution = defineProbe<ProbeOf<'lb-distribution'>, DistributionObs>({
  kind: 'lb-distribution',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  observe(ctx, p) {
    const host = p.host ?? ctx.domains[0]!;
    return measureAgain(async () => {
      const before = await serverRows(ctx.stats!);
      const res = await sequence(ctx, host, p.path, p.requests, !!p.hold);
      const after = await serverRows(ctx.stats!);
      const counters = counterView(before, after);
      const moved = Object.values(counters.deltas).flatMap((x) => Object.values(x));
      if (moved.some((x) => x < 0)) throw new Disturbed('counters went down (HAProxy reloaded meanwhile)');
      const total = moved.reduce((a, b) => a + b, 0);
      // A retried connection can count twice; much more than that is traffic that was not ours.
      if (total > res.length + Math.max(2, Math.floor(res.length / 10))) throw new Disturbed(`servers counted ${total} sessions for ${res.length} requests`);
      const hits = res.map((b, i) => ({ ...hitOf(b, ctx.lab!.names), ...(p.hold && i === 0 ? { held: true } : {}) }));
      return { path: p.path, hits, counters };
    });
  },
  decide: decideDistribution,
});
