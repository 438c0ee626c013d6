// Per-server counters for the load-balancing, health-check and runtime probes (exp3, exp4): `show stat`
// of every HAProxy node (lab's master socket, or the stats page with --target), keyed by backend/server,
// summed over the nodes. Counters are supporting evidence (which backend, which algorithm, which server
// HAProxy reports DOWN); what reached which server is read from the app's answers wherever it can be.
import type { HttpRequest } from '../http.js';
import type { LabHandle, StatsSnapshot, StatsSource } from '../types.js';
import { t } from '../types.js';
import type { Brief } from './util.js';

import { parseStatRecords, showStat } from '../stats.js';

export { parseStatRecords };

export interface ServerRow {
  pxname: string;
  svname: string;
  /** ip:port, or '' when HAProxy does not say. */
  addr: string;
  /** Sessions, summed over the HAProxy nodes. */
  stot: number;
  /** Bytes the clients sent through this server, summed over the nodes. */
  bin: number;
  /** Per node: sessions. */
  stotBy: Record<string, number>;
  /** Per node: UP, DOWN, MAINT, no check, … */
  status: Record<string, string>;
  /** Per node: L7OK, L4CON, L7STS, … ('' without checks). */
  checkStatus: Record<string, string>;
  weight: number;
  algo: string;
}

export const serverKey = (s: { pxname: string; svname: string }) => `${s.pxname}/${s.svname}`;

/** Server rows (not FRONTEND/BACKEND) of every node, merged by backend/server. */
export function serverTable(snaps: StatsSnapshot[]): Map<string, ServerRow> {
  const algoOf = new Map<string, string>();
  for (const { rows } of snaps) for (const r of rows) if (r.svname === 'BACKEND') algoOf.set(r.pxname!, r.algo ?? '');
  const out = new Map<string, ServerRow>();
  for (const { node, rows } of snaps) {
    for (const r of rows) {
      if (!r.pxname || !r.svname || r.svname === 'FRONTEND' || r.svname === 'BACKEND') continue;
      const k = serverKey({ pxname: r.pxname, svname: r.svname });
      const row: ServerRow = out.get(k) ?? {
        pxname: r.pxname,
        svname: r.svname,
        addr: r.addr ?? '',
        stot: 0,
        bin: 0,
        stotBy: {},
        status: {},
        checkStatus: {},
        weight: Number(r.weight || 0),
        algo: algoOf.get(r.pxname) ?? '',
      };
      row.stot += Number(r.stot || 0);
      row.bin += Number(r.bin || 0);
      row.stotBy[node] = Number(r.stot || 0);
      row.status[node] = r.status ?? '';
      row.checkStatus[node] = (r.check_status ?? '').replace(/^\* ?/, '');
      out.set(k, row);
    }
  }
  return out;
}

export async function serverRows(stats: StatsSource | LabHandle): Promise<Map<string, ServerRow>> {
  if ('read' in stats) return serverTable(await stats.read());
  const { masterStats } = await import('../stats.js');
  return serverTable(await masterStats(stats).read());
}

/**
 * Sessions that carried nothing from a client do not count: the directors' connect-only health checks
 * (TCP_CHECK every 0.5 s) open one on every mode-tcp proxy that forwards at once, such as exp8's TLS
 * passthrough and RDP listener, and they would read as other traffic or as requests split over backends.
 * A probe's requests and connections always send bytes.
 */
function carriedBytes(v: ServerRow, b: ServerRow | undefined): boolean {
  return v.bin !== (b?.bin ?? 0) || v.stot < (b?.stot ?? 0);
}

/** Session deltas per server between two snapshots (servers that appeared count from 0). */
export function serverDeltas(before: Map<string, ServerRow>, after: Map<string, ServerRow>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) {
    const b = before.get(k);
    const diff = v.stot - (b?.stot ?? 0);
    if (diff !== 0 && carriedBytes(v, b)) d.set(k, diff);
  }
  return d;
}

/** Per server, how many connections of exactly `size` client bytes each went through it (the RDP probe's). */
export function connectionsBySize(before: Map<string, ServerRow>, after: Map<string, ServerRow>, size: number): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) {
    const b = before.get(k);
    if (v.stot < (b?.stot ?? 0)) d.set(k, -1);
    else {
      const n = Math.round((v.bin - (b?.bin ?? 0)) / size);
      if (n !== 0) d.set(k, n);
    }
  }
  return d;
}

/** "backend/server (10.0.0.5:10080)". */
export function describeServer(rows: Map<string, ServerRow>, key: string): string {
  const r = rows.get(key);
  return r?.addr ? `${key} (${r.addr})` : key;
}

/** What HAProxy reports for the servers that moved, as plain data for observations. */
export interface CounterView {
  /** backend/server → sessions counted during the measurement, per node. */
  deltas: Record<string, Record<string, number>>;
  /** backend → algorithm HAProxy says it runs. */
  algo: Record<string, string>;
  /** backend/server → address and weight. */
  servers: Record<string, { addr: string; weight: number }>;
}

export function counterView(before: Map<string, ServerRow>, after: Map<string, ServerRow>): CounterView {
  const out: CounterView = { deltas: {}, algo: {}, servers: {} };
  for (const [k, v] of after) {
    const b = before.get(k);
    if (!carriedBytes(v, b)) continue;
    const per: Record<string, number> = {};
    for (const [node, n] of Object.entries(v.stotBy)) {
      const d = n - (b?.stotBy[node] ?? 0);
      if (d !== 0) per[node] = d;
    }
    if (Object.keys(per).length) {
      out.deltas[k] = per;
      out.algo[v.pxname] = v.algo;
      out.servers[k] = { addr: v.addr, weight: v.weight };
    }
  }
  return out;
}

export const NEEDS_SERVER_COUNTERS = t(
  "needs the lab's containers (a second source network, and HAProxy's own per-server counters)",
  '需要实验环境中的容器（第二个来源网络，以及 HAProxy 自身的 server 计数器）',
);

/** Counters moved for reasons other than our requests (a reload, other traffic): measure again. */
export class Disturbed extends Error {}

export async function measureAgain<T>(fn: () => Promise<T>, times = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof Disturbed) || i >= times - 1) throw e;
    }
  }
}

/** Requests on fresh connections, so the directors spread them over both HAProxy nodes. */
export function freshRequests(host: string, port: number, paths: string[]): HttpRequest[] {
  return paths.map((path) => ({ scheme: 'http', host, port, path, headers: { Connection: 'close' }, timeoutMs: 3000 }));
}

/**
 * Which HAProxy node and which server a request went through, from the app's answer: the app reports
 * its peer (the Nginx that proxied it) and X-Real-IP (the HAProxy that reached that Nginx). Without an
 * Nginx in between, the peer is the HAProxy node and the server is the app itself.
 */
export function hopOf(b: Brief, names: Record<string, string>): { node: string | null; server: string | null } {
  const a = b.app;
  if (!a) return { node: null, server: null };
  const peer = a.peer ?? '';
  const viaNginx = /^nginx/.test(names[peer] ?? '');
  if (viaNginx) return { node: a.realIp ? (names[a.realIp] ?? a.realIp) : null, server: names[peer]! };
  return { node: peer ? (names[peer] ?? peer) : null, server: `app:${a.app}` };
}

export { sleep } from '../../util/sleep.js';

/** Every column of `show stat` of one node's current worker, one record per line (lab's master socket). */
export async function statRecords(lab: LabHandle, container: string): Promise<Record<string, string>[]> {
  return parseStatRecords(await showStat(lab.runtime, container));
}
