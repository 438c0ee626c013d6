// `lab drill <fault>`: what each layer of the topology buys, measured. A bounded request loop runs from
// the client through the VIP; the fault is injected while it runs; afterwards the node is brought back.
// The loop's own timestamps say how many requests failed and how long until requests succeeded again.
import type { Runtime } from '../runtime/types.js';
import type { LabView } from '../lifecycle/observe.js';
import { nodeOf } from '../lifecycle/observe.js';
import { UsageError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import { vipArrival, vipHolders } from '../lifecycle/vip.js';
import { showStat } from '../checks/stats.js';

export const DRILLS = {
  director: 'stop the director that holds the VIP (keepalived moves the VIP to the other)',
  haproxy: "stop one HAProxy (the directors' health check takes it out)",
  nginx: "stop one Nginx (HAProxy's health checks take it out)",
  app: "stop one app server (Nginx's max_fails / proxy_next_upstream take over)",
} as const;
export type DrillName = keyof typeof DRILLS;

export interface DrillOptions {
  drill: DrillName;
  /** Which node to stop (default: the VIP holder, haproxy1, nginx2, app2). */
  node?: string;
  /** The URL the loop asks (Host header and path), through the VIP. */
  url: string;
  /** Seconds of traffic before the fault and after it. */
  beforeSec: number;
  afterSec: number;
  /** Pause between requests, ms. */
  intervalMs: number;
}

export interface DrillResult {
  drill: DrillName;
  node: string;
  requests: number;
  failed: number;
  /** Failures after the fault, as "ms after the fault: what happened". */
  failures: { atMs: number; status: string }[];
  /** From the fault until the last failure was followed by successes only (0 when nothing failed). */
  recoveryMs: number;
  /** Requests that succeeded before the fault (the loop worked). */
  okBefore: number;
  /** When the layer above noticed (ms after the fault): the VIP moved, or every HAProxy marked the Nginx DOWN. */
  noticedMs?: number;
  /** Failed requests after that moment (0 is what the layer buys). */
  failedAfterNoticed?: number;
}

/**
 * The loop in the client: one curl per line, "<epoch ms when sent> <http code> <curl exit>". Stamped
 * when sent, not when answered: a request that times out a second after the layer above noticed the
 * fault was sent before it noticed.
 */
export function loopScript(url: string, seconds: number, intervalMs: number): string {
  const pause = (intervalMs / 1000).toFixed(3);
  return [
    `end=$(( $(date +%s) + ${seconds} ))`,
    'while [ "$(date +%s)" -lt "$end" ]; do',
    '  sent=$(date +%s%3N)',
    `  code=$(curl -s -o /dev/null -m 1 --connect-timeout 1 -w '%{http_code}' '${url.replace(/'/g, '')}'); rc=$?`,
    '  echo "$sent $code $rc"',
    `  sleep ${pause}`,
    'done',
  ].join('\n');
}

/** Parses the loop's lines and measures around the fault's moment. Pure. */
export function analyse(out: string, faultAtMs: number): Omit<DrillResult, 'drill' | 'node'> {
  const rows = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && /^\d+$/.test(f[0]!))
    .map(([t, code, rc]) => ({ t: Number(t), ok: code!.startsWith('2') || code!.startsWith('3'), status: code === '000' ? `no answer (curl exit ${rc})` : `HTTP ${code}` }));
  const after = rows.filter((r) => r.t >= faultAtMs);
  const failures = after.filter((r) => !r.ok).map((r) => ({ atMs: r.t - faultAtMs, status: r.status }));
  const lastFail = [...after].reverse().find((r) => !r.ok);
  return {
    requests: rows.length,
    failed: rows.filter((r) => !r.ok).length,
    failures,
    recoveryMs: lastFail ? lastFail.t - faultAtMs : 0,
    okBefore: rows.filter((r) => r.t < faultAtMs && r.ok).length,
  };
}

async function defaultNode(runtime: Runtime, view: LabView, drill: DrillName): Promise<string> {
  if (drill === 'director') {
    const directors = view.nodes.filter((n) => n.role === 'director' && n.state === 'running');
    const holders = view.vip ? await vipHolders(runtime, directors, view.vip) : [];
    if (holders.length !== 1) throw new UsageError('no single director holds the VIP right now', { hint: 'Run `lab status`, then `lab up` to repair the lab first.' });
    return holders[0]!;
  }
  return { haproxy: 'haproxy1', nginx: 'nginx2', app: 'app2' }[drill];
}

/**
 * When the layer above the stopped node noticed: for a director, the moment the other one holds the
 * VIP (timed inside it, see vipArrival); for an Nginx, the moment every HAProxy reports its servers DOWN
 * (lab's master socket).
 */
async function watch(runtime: Runtime, view: LabView, drill: DrillName, node: string, target: { addresses: Record<string, string> }, forMs: number): Promise<number | undefined> {
  const deadline = Date.now() + forMs;
  if (drill === 'director') {
    const other = view.nodes.find((n) => n.role === 'director' && n.node !== node);
    if (!other || !view.vip) return undefined;
    return vipArrival(runtime, other.container, view.vip, forMs / 1000).then((w) => w.seenAt, () => undefined);
  }
  if (drill !== 'nginx') return undefined;
  const ip = target.addresses[`${view.name}-web`];
  const haproxy = view.nodes.filter((n) => n.role === 'haproxy' && n.state === 'running');
  while (Date.now() < deadline) {
    const rows = await Promise.all(haproxy.map((h) => showStat(runtime, h.container, 3000).catch(() => '')));
    const statuses = rows.flatMap((r) => r.split('\n').filter((l) => ip && l.includes(`,${ip}:`)).map((l) => l.split(',')[17] ?? ''));
    if (statuses.length && statuses.every((st) => st.startsWith('DOWN') || st.startsWith('MAINT'))) return Date.now();
    await sleep(250);
  }
  return undefined;
}

export async function runDrill(runtime: Runtime, view: LabView, o: DrillOptions, onLine: (l: string) => void = () => {}): Promise<DrillResult> {
  const node = o.node ?? (await defaultNode(runtime, view, o.drill));
  const target = nodeOf(view, node);
  const role = { director: 'director', haproxy: 'haproxy', nginx: 'nginx', app: 'app' }[o.drill];
  if (target.role !== role) throw new UsageError(`${node} is not a ${role} node (its role is ${target.role})`, { hint: `Leave --node out and \`lab drill ${o.drill}\` picks one itself.` });
  if (target.state !== 'running') throw new UsageError(`${node} is not running (${target.state})`, { hint: 'Run `lab up` first.' });
  const client = nodeOf(view, 'client').container;
  const total = o.beforeSec + o.afterSec;
  onLine(`requests from client to ${o.url} for ${total} s; ${node} stops after ${o.beforeSec} s`);
  const loop = runtime.exec(client, ['sh', '-c', loopScript(o.url, total, o.intervalMs)], { timeoutMs: (total + 30) * 1000 });
  await sleep(o.beforeSec * 1000);
  // The client's clock and ours are the same kernel's: the loop's timestamps compare with this one.
  const faultAt = Date.now();
  try {
    const watching = watch(runtime, view, o.drill, node, target, (o.afterSec + 1) * 1000);
    await runtime.stopContainer(target.container, 2);
    onLine(`${node} stopped`);
    const [r, noticedAt] = await Promise.all([loop, watching]);
    const result: DrillResult = { drill: o.drill, node, ...analyse(r.stdout, faultAt) };
    if (noticedAt !== undefined) {
      result.noticedMs = Math.max(0, noticedAt - faultAt);
      result.failedAfterNoticed = result.failures.filter((f) => f.atMs > result.noticedMs!).length;
      onLine(o.drill === 'director' ? `the VIP moved ${(result.noticedMs / 1000).toFixed(1)} s after the fault` : `HAProxy marked ${node} DOWN ${(result.noticedMs / 1000).toFixed(1)} s after the fault`);
    }
    return result;
  } finally {
    await runtime.startContainer(target.container);
    onLine(`${node} started again`);
  }
}
