// exp3 (tutorial 5.1.4, 5.1.5): hash balancing, graded from what reached which server (the app's answer
// names the Nginx and the HAProxy node), from many source addresses: the client, the office node and its
// ten extra addresses.
//  - by source: every address sends a few new connections, each to a different URI; each address must
//    stay on one server (on both HAProxy nodes), and the addresses together must use several servers;
//  - by uri: each URI is asked a few times, each time from a different address; each URI must stay on
//    one server, and the URIs together must use several servers.
// HAProxy's per-server counters and `algo` column are recorded beside it.
import type { HttpClient, HttpRequest } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeContext, Text } from '../types.js';
import { defineProbe, early } from './define.js';
import { hitOf, type Hit } from './lb-distribution.js';
import { M } from './lb.messages.js';
import { counterView, Disturbed, freshRequests, measureAgain, NEEDS_SERVER_COUNTERS, serverRows, type CounterView } from './server-counters.js';
import { brief, fail, listSome, pass, seen } from './util.js';

const join = (p: string, leaf: string) => `${p.endsWith('/') ? p : `${p}/`}${leaf}`;

export interface StickyHit extends Hit {
  source: string;
  uri: string;
}

export interface StickyObs {
  by: 'source' | 'uri';
  hits: StickyHit[];
  counters: CounterView;
}

const short = (s: string | null) => (s ?? '?').replace(/^nginx/, 'n');

export function decideSticky(o: StickyObs, p: Pick<ProbeOf<'lb-sticky'>, 'repeat' | 'requests'>): Outcome {
  const bad = o.hits.filter((h) => !h.app);
  if (bad.length) return fail(M.failed(bad.length, o.hits.length, bad[0]!.uri, seen(bad[0]!.seen ?? { ok: false, status: 0, redirects: 0, app: null })));
  if (o.hits.some((h) => !h.server)) return fail(M.unknownHop(o.hits[0]!.uri));
  const key = (h: StickyHit) => (o.by === 'source' ? h.source : h.uri);
  const groups = new Map<string, Set<string>>();
  for (const h of o.hits) groups.set(key(h), (groups.get(key(h)) ?? new Set()).add(h.server!));
  const split: Text[] = [];
  for (const [k, servers] of groups) if (servers.size > 1) split.push(o.by === 'source' ? M.sourceSplit(k, [...servers]) : M.uriSplit(k, [...servers]));
  if (split.length) return fail(listSome(split, 2));
  const used = new Set([...groups.values()].map((s) => [...s][0]!));
  if (used.size < 2) return fail(o.by === 'source' ? M.allOneSource(groups.size, [...used][0]!) : M.allOneUri(groups.size, [...used][0]!));
  if (o.by === 'source') {
    const label = (k: string) => (k.startsWith('client') ? 'client' : k.replace(/^.*\./, '.'));
    const map = [...groups].map(([k, s]) => `${label(k)}→${short([...s][0]!)}`).join(' ');
    return pass(M.sourceOk(groups.size, p.requests, used.size, map));
  }
  return pass(M.uriOk(groups.size, p.repeat, used.size));
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** A step through n addresses that visits all of them (coprime to n), preferring one near n/2. */
export function stride(n: number): number {
  for (let s = Math.floor(n / 2) - 1; s >= 1; s--) if (gcd(s, n) === 1) return s;
  return 1;
}

interface Sender {
  label: string;
  client: HttpClient;
  source?: string;
}

function senders(ctx: ProbeContext): Sender[] | undefined {
  if (!ctx.office || !ctx.officeSources?.length) return undefined;
  return [{ label: `client ${ctx.clientAddress ?? ''}`.trim(), client: ctx.edge }, ...ctx.officeSources.map((a) => ({ label: a, client: ctx.office!, source: a }))];
}

export const lbSticky = defineProbe<ProbeOf<'lb-sticky'>, StickyObs>({
  kind: 'lb-sticky',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  async observe(ctx, p) {
    const from = senders(ctx);
    if (!from) return early(fail(M.noOffice));
    const host = p.host ?? ctx.domains[0]!;
    const plan: { sender: Sender; uri: string }[] = [];
    if (p.by === 'source') {
      from.forEach((sender, s) => {
        for (let k = 0; k < p.requests; k++) plan.push({ sender, uri: join(p.path, `s${s + 1}-r${k + 1}`) });
      });
    } else {
      // URI u is asked from addresses u, u+s, u+2s… (mod the number of addresses), s coprime to it: the
      // addresses are then chained together, and a source hash can keep every URI on one server only by
      // putting every address on one server — which fails the spread.
      const s = stride(from.length);
      for (let u = 0; u < p.uris; u++) {
        for (let k = 0; k < p.repeat; k++) plan.push({ sender: from[(u + k * s) % from.length]!, uri: join(p.path, `item-${u + 1}.html`) });
      }
    }
    return measureAgain(async () => {
      const before = await serverRows(ctx.stats!);
      // One batch per sending container, in parallel; order does not matter to a hash.
      const byClient = new Map<HttpClient, number[]>();
      plan.forEach((x, i) => byClient.set(x.sender.client, [...(byClient.get(x.sender.client) ?? []), i]));
      const answers = new Array<ReturnType<typeof brief>>(plan.length);
      await Promise.all(
        [...byClient].map(async ([client, idx]) => {
          const reqs: HttpRequest[] = idx.map((i) => ({ ...freshRequests(host, ctx.ports.http, [plan[i]!.uri])[0]!, source: plan[i]!.sender.source }));
          const res = await client.batch(reqs);
          idx.forEach((i, j) => (answers[i] = brief(res[j]!)));
        }),
      );
      const after = await serverRows(ctx.stats!);
      const counters = counterView(before, after);
      const moved = Object.values(counters.deltas).flatMap((x) => Object.values(x));
      if (moved.some((x) => x < 0)) throw new Disturbed('counters went down (HAProxy reloaded meanwhile)');
      if (moved.reduce((a, b) => a + b, 0) > plan.length + Math.max(2, Math.floor(plan.length / 10))) throw new Disturbed('other traffic');
      const hits = plan.map((x, i) => ({ source: x.sender.label, uri: x.uri, ...hitOf(answers[i]!, ctx.lab!.names) }));
      return { by: p.by, hits, counters };
    });
  },
  decide: decideSticky,
});
