// Per-server counters for the load-balancing, health-check and runtime probes (exp3, exp4, exp6):
// `show stat` of every HAProxy node's current worker through lab's master socket, keyed by
// backend/server, summed over the nodes. Servers are described by their address (nginx1..3 resolve to
// fixed addresses), so messages never depend on the names the student chose.
import { MASTER_SOCKET } from '../stats.js';
import type { LabHandle } from '../types.js';

export interface ServerRow {
  pxname: string;
  svname: string;
  /** ip:port, or '' when HAProxy does not say. */
  addr: string;
  /** Sessions, summed over the HAProxy nodes. */
  stot: number;
  /** Per node: UP, DOWN, MAINT, no check, … */
  status: Record<string, string>;
  /** Per node: L7OK, L4CON, L7STS, … ('' without checks). */
  checkStatus: Record<string, string>;
  weight: number;
  algo: string;
}

/** Every column of `show stat`, one record per line. */
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

export async function statRecords(lab: LabHandle, container: string): Promise<Record<string, string>[]> {
  const r = await lab.runtime.exec(container, ['sh', '-c', `echo "@1 show stat" | socat -t2 - UNIX-CONNECT:${MASTER_SOCKET}`], { timeoutMs: 5000 });
  return parseStatRecords(r.stdout);
}

export const serverKey = (s: { pxname: string; svname: string }) => `${s.pxname}/${s.svname}`;

/** Server rows (not FRONTEND/BACKEND) of every HAProxy node, merged by backend/server. */
export async function serverRows(lab: LabHandle): Promise<Map<string, ServerRow>> {
  const all = await Promise.all(lab.haproxy.map(async (h) => ({ node: h.node, rows: await statRecords(lab, h.container) })));
  const algoOf = new Map<string, string>();
  for (const { rows } of all) for (const r of rows) if (r.svname === 'BACKEND') algoOf.set(r.pxname!, r.algo ?? '');
  const out = new Map<string, ServerRow>();
  for (const { node, rows } of all) {
    for (const r of rows) {
      if (!r.pxname || !r.svname || r.svname === 'FRONTEND' || r.svname === 'BACKEND') continue;
      const k = serverKey({ pxname: r.pxname, svname: r.svname });
      const row =
        out.get(k) ??
        ({ pxname: r.pxname, svname: r.svname, addr: r.addr ?? '', stot: 0, status: {}, checkStatus: {}, weight: Number(r.weight || 0), algo: algoOf.get(r.pxname) ?? '' } as ServerRow);
      row.stot += Number(r.stot || 0);
      row.status[node] = r.status ?? '';
      row.checkStatus[node] = (r.check_status ?? '').replace(/^\* ?/, '');
      out.set(k, row);
    }
  }
  return out;
}

/** Session deltas per server between two snapshots (servers that appeared count from 0). */
export function serverDeltas(before: Map<string, ServerRow>, after: Map<string, ServerRow>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) {
    const diff = v.stot - (before.get(k)?.stot ?? 0);
    if (diff !== 0) d.set(k, diff);
  }
  return d;
}

/** "backend/server (10.0.0.5:10080)". */
export function describeServer(rows: Map<string, ServerRow>, key: string): string {
  const r = rows.get(key);
  return r?.addr ? `${key} (${r.addr})` : key;
}

export { sleep } from '../../util/sleep.js';
