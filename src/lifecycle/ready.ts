// Readiness is lab's own job, asked on demand: while `lab up` waits (one batch of probes at a time,
// backing off), and when `lab status` is asked. Docker healthchecks would run a `runc exec` per
// container every interval for the lab's whole life, which kept an idle lab's machine busy; each kind
// declares its probe (kinds/*.ts `ready`) and nothing runs between questions.
import type { Runtime } from '../runtime/types.js';
import { kindOf } from '../topology/kinds/index.js';
import { NotReadyError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import type { ObservedNode } from './observe.js';
import { vipHolders } from './vip.js';

export type Readiness = 'ready' | 'starting' | 'stopped';

export interface NodeReadiness {
  node: string;
  container: string;
  state: string;
  readiness: Readiness;
}

/** Runs each running node's probe once, all at once. */
export async function probeReadiness(runtime: Runtime, nodes: Pick<ObservedNode, 'node' | 'role' | 'container' | 'state'>[]): Promise<NodeReadiness[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const base = { node: n.node, container: n.container, state: n.state };
      if (n.state !== 'running') return { ...base, readiness: 'stopped' as const };
      const cmd = kindOf(n.role).ready;
      if (!cmd) return { ...base, readiness: 'ready' as const };
      try {
        const r = await runtime.exec(n.container, cmd, { timeoutMs: 5000, kept: true });
        return { ...base, readiness: r.exitCode === 0 ? ('ready' as const) : ('starting' as const) };
      } catch {
        return { ...base, readiness: 'starting' as const };
      }
    }),
  );
}

async function tail(runtime: Runtime, container: string, lines = 8): Promise<string> {
  try {
    const stream = await runtime.logs(container, { follow: false, tail: lines });
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks).toString().trim();
  } catch {
    return '';
  }
}

export interface WaitTarget {
  vip: string;
  nodes: { node: string; role: string; container: string }[];
  /**
   * Wait for exactly one director to hold the VIP (lab's own keepalived config). Off where the student
   * writes the directors' config (exp7): a split brain is then the exercise's start, not a fault of lab.
   */
  requireVip?: boolean;
  /**
   * With lab's own keepalived config: the director that ends up holding the VIP (the MASTER by priority,
   * which preempts). A lower-priority director may hold it for a moment first, while the other starts
   * (recreated directors, a restart after a drill); until the preferred one has it alone, the VIP is
   * about to move, and for an instant both hold it. Seen: `lab status` right after `lab up` found the VIP
   * on lvs1 and lvs2.
   */
  preferredHolder?: string;
}

/**
 * Waits until every node is ready and exactly one director holds the VIP. Probes only the nodes not yet
 * ready, backing off from 100 ms to 1 s. On timeout the error names the node that is not ready and
 * shows the end of its log, which usually says why.
 */
export async function waitReady(
  runtime: Runtime,
  target: WaitTarget,
  opts: {
    timeoutMs: number;
    onWaiting?: (what: string) => void;
    /**
     * After the last node is ready, give the directors this long to see it (one health check of a
     * listening HAProxy: delay_loop 0.5 s, and the connect succeeds at once) before the VIP counts: the
     * directors start first, and may have marked an HAProxy down before it existed. Usually the VIP
     * comes later anyway. 0 when nothing was started.
     */
    settleMs?: number;
  },
): Promise<{ holder: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  let allReadyAt: number | undefined;
  const ready = new Set<string>();
  let delay = 100;
  let waitingFor = '';
  for (;;) {
    const infos = await Promise.all(target.nodes.filter((n) => !ready.has(n.node)).map(async (n) => ({ n, info: await runtime.inspectContainer(n.container) })));
    const dead = infos.find(({ info }) => !info || info.state === 'exited' || info.state === 'dead');
    if (dead) {
      const logs = dead.info ? await tail(runtime, dead.n.container) : '';
      throw new NotReadyError(`${dead.n.node} stopped while starting${logs ? `:\n${logs}` : ''}`, {
        hint: `See \`lab logs ${dead.n.node}\`; if its config is the problem, fix it and run \`lab up\` again.`,
      });
    }
    const probed = await probeReadiness(runtime, infos.map(({ n, info }) => ({ ...n, state: info!.state })));
    for (const p of probed) if (p.readiness === 'ready') ready.add(p.node);
    const pending = probed.filter((p) => p.readiness !== 'ready');
    if (pending.length === 0) {
      const directors = target.nodes.filter((n) => n.role === 'director');
      const holders = await vipHolders(runtime, directors, target.vip);
      allReadyAt ??= Date.now();
      const settled = Date.now() - allReadyAt >= (opts.settleMs ?? 0);
      const preferred = !target.preferredHolder || holders[0] === target.preferredHolder;
      if (holders.length === 1 && settled && preferred) return { holder: holders[0]! };
      // Where the student writes the VRRP config, any outcome is an answer; give VRRP a few adverts to settle first.
      if (target.requireVip === false && settled && (holders.length > 0 || Date.now() - allReadyAt > 8000)) return { holder: holders.length ? holders.join(' and ') : 'nobody' };
      waitingFor = holders.length === 1
        ? preferred ? 'the directors to check the nodes that just started' : `the VIP to move to ${target.preferredHolder} (the MASTER by priority; held by ${holders[0]})`
        : holders.length === 0 ? `a director to take the VIP ${target.vip}` : `the VIP ${target.vip} to settle on one director (held by ${holders.join(' and ')})`;
    } else {
      waitingFor = pending.map((p) => `${p.node} (${p.state === 'running' ? 'starting' : p.state})`).join(', ');
    }
    opts.onWaiting?.(waitingFor);
    if (Date.now() > deadline) {
      const first = pending[0];
      const logs = first ? await tail(runtime, first.container) : '';
      throw new NotReadyError(`not ready after ${Math.round(opts.timeoutMs / 1000)} s: waiting for ${waitingFor}${logs ? `\nlast log lines of ${first!.node}:\n${logs}` : ''}`, {
        hint: first ? `Look at \`lab logs ${first.node}\`, or raise --timeout.` : 'Look at `lab logs lvs1` and `lab logs lvs2`.',
      });
    }
    await sleep(delay);
    // Waiting on the VIP alone: it comes at a moment VRRP fixes (about 3.6 s after the directors start),
    // so look often rather than back off past it; two execs a look.
    delay = pending.length === 0 ? 250 : Math.min(1000, delay * 2);
  }
}
