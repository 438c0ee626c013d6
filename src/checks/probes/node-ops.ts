// Helpers of the exp6/exp8 probe kinds (runtime operations, more algorithms and checks): HAProxy's
// per-server `show stat` per node (not summed), the addresses a node holds, commands on lab's master
// socket, the student's runtime sockets, Prometheus server states, and the app's view of a request.
// Pure helpers are exported for the kinds' decide() functions and their unit tests.
import { randomBytes } from 'node:crypto';
import { statsSockets } from '../haproxy-config.js';
import type { HttpResponse } from '../http.js';
import { MASTER_SOCKET } from '../../apply/services.js';
import type { LabHandle } from '../types.js';
import { parseStatRecords, statRecords } from './server-counters.js';

export { parseStatRecords };

/** One server of one HAProxy node, as `show stat` says. */
export interface NodeServer {
  key: string;
  pxname: string;
  svname: string;
  addr: string;
  status: string;
  scur: number;
  /** The server's session limit (maxconn), 0 without one. */
  slim: number;
  stot: number;
  weight: number;
  checkStatus: string;
  checkCode: string;
}

export function serversOf(records: Record<string, string>[]): NodeServer[] {
  return records
    .filter((r) => r.pxname && r.svname && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND')
    .map((r) => ({
      key: `${r.pxname}/${r.svname}`,
      pxname: r.pxname!,
      svname: r.svname!,
      addr: r.addr ?? '',
      status: r.status ?? '',
      scur: Number(r.scur || 0),
      slim: Number(r.slim || 0),
      stot: Number(r.stot || 0),
      weight: Number(r.weight || 0),
      checkStatus: (r.check_status ?? '').replace(/^\* ?/, ''),
      checkCode: r.check_code ?? '',
    }));
}

export function frontendsOf(records: Record<string, string>[]): string[] {
  return records.filter((r) => r.svname === 'FRONTEND' && r.pxname).map((r) => r.pxname!);
}

/** Every HAProxy node's servers, by node, keyed by backend/server. */
export async function nodeServers(lab: LabHandle): Promise<Record<string, Record<string, NodeServer>>> {
  const all = await Promise.all(lab.haproxy.map(async (h) => [h.node, serversOf(await statRecords(lab, h.container))] as const));
  return Object.fromEntries(all.map(([node, rows]) => [node, Object.fromEntries(rows.map((r) => [r.key, r]))]));
}

/** The IPv4 address of a server's `addr` (ip:port), '' when HAProxy shows none. */
export const ipOf = (addr: string) => addr.replace(/:\d+$/, '');

/** Addresses a container holds, on every network. */
export async function addressesOf(lab: LabHandle, container: string): Promise<string[]> {
  const info = await lab.runtime.inspectContainer(container);
  return Object.values(info?.addresses ?? {}).filter(Boolean);
}

/** Every address of every Nginx node, by node (HAProxy reaches them on one network, the app sees another). */
export async function nginxAddresses(lab: LabHandle): Promise<Record<string, string[]>> {
  const all = await Promise.all(lab.nginx.map(async (n) => [n.node, await addressesOf(lab, n.container)] as const));
  return Object.fromEntries(all);
}

/** Which node owns an address, by a node → addresses map. */
export function ownerOf(map: Record<string, string[]>, ip: string | null | undefined): string | null {
  if (!ip) return null;
  for (const [node, ips] of Object.entries(map)) if (ips.includes(ip)) return node;
  return null;
}

/** Runs one command on lab's master socket, against the current worker (`@1`). */
export async function masterCommand(lab: LabHandle, container: string, command: string): Promise<string> {
  const r = await lab.runtime.exec(container, ['sh', '-c', `echo "@1 ${command}" | socat -t2 - UNIX-CONNECT:${MASTER_SOCKET}`], { timeoutMs: 8000 });
  return r.stdout;
}

/** `… status …` says the server is out of rotation by an operator (drain or maintenance), not by a check. */
export const isOut = (status: string) => /^(MAINT|DRAIN)/.test(status);

/** Listening unix sockets in a container (paths HAProxy bound, minus the `.<pid>.tmp` it binds first, minus lab's own). */
export function listeningUnix(procNetUnix: string): string[] {
  const paths = new Set<string>();
  for (const l of procNetUnix.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    // Flags 00010000 = __SO_ACCEPTCON (listening); the path is the 8th column.
    if (f.length >= 8 && f[3] === '00010000' && f[7]!.startsWith('/')) paths.add(f[7]!.replace(/\.\d+\.tmp$/, ''));
  }
  return [...paths].filter((x) => !x.startsWith(MASTER_SOCKET));
}

/** The student's runtime sockets in one node: a given path first, those the config declares, then any HAProxy listens on. */
export async function runtimeSockets(lab: LabHandle, container: string, cfg: string, first?: string): Promise<string[]> {
  const unix = await lab.runtime.exec(container, ['cat', '/proc/net/unix'], { timeoutMs: 10_000, kept: true });
  return [...new Set([...(first ? [first] : []), ...statsSockets(cfg), ...listeningUnix(unix.stdout)])];
}

/** socat's address for a `stats socket` argument (unix path, or ipv4@host:port). */
export function socatAddress(socket: string): string {
  const m = /^(?:ipv4@|ipv6@)?([^/].*):(\d+)$/.exec(socket);
  return m ? `TCP:${m[1] === '' || m[1] === '*' ? '127.0.0.1' : m[1]}:${m[2]}` : `UNIX-CONNECT:${socket.replace(/^unix@/, '')}`;
}

/**
 * One runtime command on a student's socket. Only commands harmless to run twice (`show …`, an admin
 * command on a backend that does not exist): the kept shell may fall back to a new exec. HAProxy closes
 * the connection once it has answered, so socat's -t only matters when nothing answers; it is generous
 * because a worker that was just reloaded on a loaded machine may take seconds to pick up the queued
 * connection (CI once failed a correct socket at load 25; its message was not kept).
 */
export async function socketCommand(lab: LabHandle, container: string, socket: string, command: string): Promise<string> {
  const r = await lab.runtime.exec(container, ['sh', '-c', `echo "${command}" | socat -t5 - ${socatAddress(socket)}`], { timeoutMs: 10_000, kept: true });
  return r.stdout;
}

/** haproxy_server_status of one server in a Prometheus page: the state whose value is 1 (2.4+), or the old numeric value. */
export function prometheusServerState(page: string, proxy: string, server: string): string | null {
  const re = /^haproxy_server_status\{([^}]*)\}\s+(\S+)/gm;
  let old: string | null = null;
  for (let m = re.exec(page); m; m = re.exec(page)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (labels.proxy !== proxy || labels.server !== server) continue;
    if (labels.state === undefined) old = m[2]!;
    else if (Number(m[2]) === 1) return labels.state;
  }
  // Before 2.4: 0 DOWN, 1 UP, 2 MAINT (HAProxy's own numbering in the exporter).
  return old === null ? null : ({ '0': 'DOWN', '1': 'UP', '2': 'MAINT' } as Record<string, string>)[old] ?? `value ${old}`;
}

/** What the app said about a request: the Nginx address it came from (peer) and the HAProxy address Nginx saw (realIp). */
export function appView(r: HttpResponse | { body: string; ok: boolean; status: number }): { peer: string | null; realIp: string | null } | null {
  if (!r.ok || r.status !== 200) return null;
  try {
    const j = JSON.parse(r.body) as { app?: unknown; peer?: unknown; realIp?: unknown };
    if (typeof j.app !== 'string') return null;
    return { peer: typeof j.peer === 'string' ? j.peer : null, realIp: typeof j.realIp === 'string' ? j.realIp : null };
  } catch {
    return null;
  }
}

export const token = () => randomBytes(5).toString('hex');

/** Lines of a node's container log since a time (seconds), as `lab logs` shows them. */
export async function logSince(lab: LabHandle, container: string, sinceSec: number): Promise<string> {
  const stream = await lab.runtime.logs(container, { follow: false, since: sinceSec });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}
