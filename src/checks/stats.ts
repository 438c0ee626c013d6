// HAProxy's own counters, read through lab's master CLI socket (/run/lab-master.sock, present whatever
// the student configured) or, with --target, from the stats page's CSV; and the arithmetic that turns
// per-backend session deltas into routing decisions: domain i gets 2^i requests, so each backend's delta
// names exactly the domains it served.
import { MASTER_SOCKET } from '../apply/services.js';
import type { Runtime } from '../runtime/types.js';
import type { HttpClient } from './http.js';
import type { LabHandle, StatsSnapshot, StatsSource } from './types.js';


export interface StatRow {
  pxname: string;
  svname: string;
  stot: number;
  status: string;
}

export function parseStatCsv(text: string): StatRow[] {
  const lines = text.split('\n');
  const headerAt = lines.findIndex((l) => l.startsWith('# pxname,'));
  if (headerAt < 0) return [];
  const cols = lines[headerAt]!.slice(2).split(',');
  const iPx = cols.indexOf('pxname');
  const iSv = cols.indexOf('svname');
  const iStot = cols.indexOf('stot');
  const iStatus = cols.indexOf('status');
  const rows: StatRow[] = [];
  for (const l of lines.slice(headerAt + 1)) {
    if (!l || l.startsWith('#')) continue;
    const f = l.split(',');
    if (f.length < cols.length - 1) continue;
    rows.push({ pxname: f[iPx]!, svname: f[iSv]!, stot: Number(f[iStot] || 0), status: f[iStatus] ?? '' });
  }
  return rows;
}

/** Every column of `show stat` (or the stats page's CSV), one record per line; '-' columns dropped. */
export function parseStatRecords(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('# pxname,'));
  if (at < 0) return [];
  const cols = lines[at]!.slice(2).split(',');
  const out: Record<string, string>[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l || l.startsWith('#')) continue;
    const f = l.split(',');
    if (f.length < cols.length - 1) continue;
    const rec: Record<string, string> = {};
    cols.forEach((c, i) => {
      if (c && c !== '-') rec[c] = f[i] ?? '';
    });
    out.push(rec);
  }
  return out;
}

/**
 * `show stat` of a node's current worker through lab's master socket. Read-only and asked many times a
 * second by the probes that wait for a server to change, so it runs in the node's kept shell.
 */
export async function showStat(runtime: Runtime, container: string, timeoutMs = 5000): Promise<string> {
  const r = await runtime.exec(container, ['sh', '-c', `echo "@1 show stat" | socat -t2 - UNIX-CONNECT:${MASTER_SOCKET}`], { timeoutMs, kept: true });
  return r.stdout;
}

/** Counters of every HAProxy node of a lab, through lab's master socket (whatever the student configured). */
export function masterStats(lab: LabHandle): StatsSource {
  return {
    where: "lab's master socket",
    read: () => Promise.all(lab.haproxy.map(async (h) => ({ node: h.node, rows: parseStatRecords(await showStat(lab.runtime, h.container)) }))),
  };
}

/** Counters of a --target host, from its stats page's CSV (`/stats;csv`) with the teacher's credentials. */
export function pageStats(o: { host: string; http: HttpClient; port: number; uri: string; auth?: { user: string; password: string } }): StatsSource {
  const path = `${o.uri.replace(/;csv$/, '')};csv`;
  return {
    where: `http://${o.host}:${o.port}${path}`,
    async read() {
      const [r] = await o.http.batch([{ scheme: 'http', host: o.host, port: o.port, path, auth: o.auth, timeoutMs: 4000 }]);
      const rows = r!.ok && r!.status === 200 ? parseStatRecords(r!.body) : [];
      if (!rows.length) throw new Error(`the stats page ${o.host}:${o.port}${path} gave no CSV (${r!.ok ? `HTTP ${r!.status}` : r!.error ?? 'no answer'})`);
      return [{ node: o.host, rows }];
    },
  };
}

/** Proxies that have servers (a stats page, a redirect-only or deny-only backend has none). */
export function proxiesWithServers(snaps: StatsSnapshot[]): Set<string> {
  const out = new Set<string>();
  for (const s of snaps) for (const r of s.rows) if (r.pxname && r.svname && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND') out.add(r.pxname);
  return out;
}

/**
 * Backend session totals summed over every node, for backends with servers that speak HTTP. A `mode tcp`
 * backend counts connections, not requests, so it can never carry a round's per-request weights; and it
 * counts connections nobody sent as requests: the directors' TCP health checks on 443, with nothing
 * to match, fall through a pass-through frontend to its default backend every half second.
 */
export function backendTotalsOf(snaps: StatsSnapshot[]): Record<string, number> {
  const withServers = proxiesWithServers(snaps);
  const totals: Record<string, number> = {};
  for (const s of snaps) {
    for (const r of s.rows) {
      if (r.svname === 'BACKEND' && r.pxname && withServers.has(r.pxname) && r.mode !== 'tcp') totals[r.pxname] = (totals[r.pxname] ?? 0) + Number(r.stot || 0);
    }
  }
  return totals;
}

/** TLS sessions HAProxy's frontends established (`ssl_sess`), summed over every node and frontend. */
export function frontendSslSessions(snaps: StatsSnapshot[]): number {
  let n = 0;
  for (const s of snaps) for (const r of s.rows) if (r.svname === 'FRONTEND') n += Number(r.ssl_sess || 0);
  return n;
}

export function deltas(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) {
    const diff = v - (before.get(k) ?? 0);
    if (diff !== 0) d.set(k, diff);
  }
  return d;
}

export interface Decoded {
  /** Backend per domain index; null: its requests reached no backend. */
  backendOf: (string | null)[];
  /** Counters moved in a way the weights cannot explain (a reload reset them, other traffic, a split domain). */
  inconsistent?: string;
}

/** Decodes per-backend deltas when domain i was sent 2^i requests. */
export function decodeBinary(d: Map<string, number>, count: number): Decoded {
  const backendOf: (string | null)[] = new Array(count).fill(null);
  const full = 2 ** count - 1;
  let seen = 0;
  for (const [backend, delta] of d) {
    if (delta < 0) return { backendOf, inconsistent: `the counters of ${backend} went down (HAProxy reloaded meanwhile)` };
    if (delta > full) return { backendOf, inconsistent: `${backend} counted ${delta} requests, more than were sent (other traffic meanwhile)` };
    if (delta & seen) return { backendOf, inconsistent: `requests for one domain reached several backends, ${backend} among them` };
    seen |= delta;
    for (let i = 0; i < count; i++) if (delta & (1 << i)) backendOf[i] = backend;
  }
  return { backendOf };
}

/**
 * Decodes per-backend deltas when domain i was sent i+1 requests: cheaper (n(n+1)/2 requests instead
 * of 2^n - 1) and exact when the deltas are a permutation of 1..n, i.e. n domains on n backends.
 * Anything else is undefined: then a binary round says who shares a backend.
 */
export function decodeLinear(d: Map<string, number>, count: number): Decoded | undefined {
  if (d.size !== count) return undefined;
  const backendOf: (string | null)[] = new Array(count).fill(null);
  for (const [backend, delta] of d) {
    if (!Number.isInteger(delta) || delta < 1 || delta > count || backendOf[delta - 1] !== null) return undefined;
    backendOf[delta - 1] = backend;
  }
  return { backendOf };
}
