// HAProxy's own counters, read through lab's master CLI socket (/run/lab-master.sock, present whatever
// the student configured), and the arithmetic that turns per-backend session deltas into routing
// decisions: domain i gets 2^i requests, so each backend's delta names exactly the domains it served.
import type { LabHandle } from './types.js';

export const MASTER_SOCKET = '/run/lab-master.sock';

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

/** `show stat` of the current worker of one HAProxy node. */
export async function showStat(lab: LabHandle, container: string): Promise<StatRow[]> {
  const r = await lab.runtime.exec(container, ['sh', '-c', `echo "@1 show stat" | socat -t2 - UNIX-CONNECT:${MASTER_SOCKET}`], { timeoutMs: 5000 });
  return parseStatCsv(r.stdout);
}

/** Backend session totals summed over every HAProxy node. */
export async function backendTotals(lab: LabHandle): Promise<Map<string, number>> {
  const all = await Promise.all(lab.haproxy.map((h) => showStat(lab, h.container)));
  const totals = new Map<string, number>();
  for (const rows of all) for (const r of rows) if (r.svname === 'BACKEND') totals.set(r.pxname, (totals.get(r.pxname) ?? 0) + r.stot);
  return totals;
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
