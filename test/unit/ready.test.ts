// `lab up`'s readiness wait, on a fake engine: every node ready and one VIP holder; and, when `up` started
// containers, a settle time after the last node is ready (the directors start first and may have
// marked an HAProxy down before it existed: one health check must see it before the lab counts as up).
import { describe, expect, it } from 'vitest';
import { waitReady } from '../../src/lifecycle/ready.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

const VIP = '172.28.0.100';
const NODES = [
  { node: 'lvs1', role: 'director', container: 'p-lvs1' },
  { node: 'lvs2', role: 'director', container: 'p-lvs2' },
  { node: 'haproxy1', role: 'haproxy', container: 'p-haproxy1' },
];

function engine(opts: { haproxyReadyAt: number; holders?: (msSinceStart: number) => string[] }) {
  const rt = new FakeRuntime();
  for (const n of NODES) {
    rt.containers.set(n.container, { id: n.container, name: n.container, image: 'x', labels: {}, state: 'running', health: 'none', addresses: {} });
  }
  const t0 = Date.now();
  let readyAt: number | undefined;
  rt.execResults.push((name, cmd) => {
    if (cmd[0] === 'ip' && name.startsWith('p-lvs')) {
      const holds = (opts.holders?.(Date.now() - t0) ?? ['lvs1']).includes(name.slice(2));
      return { exitCode: 0, stdout: holds ? `2: eth0    inet ${VIP}/24 scope global eth0\n` : '', stderr: '' };
    }
    if (name === 'p-haproxy1') {
      const ok = Date.now() - t0 >= opts.haproxyReadyAt;
      if (ok) readyAt ??= Date.now();
      return { exitCode: ok ? 0 : 1, stdout: '', stderr: '' };
    }
    return undefined;
  });
  return { rt, readyAt: () => readyAt };
}

describe('waitReady', () => {
  it('returns as soon as every node is ready and one director holds the VIP, when nothing was started', async () => {
    const { rt } = engine({ haproxyReadyAt: 0 });
    const waiting: string[] = [];
    expect(await waitReady(rt, { vip: VIP, nodes: NODES }, { timeoutMs: 5000, onWaiting: (w) => waiting.push(w) })).toEqual({ holder: 'lvs1' });
    expect(waiting).toEqual([]); // answered on the first look
  });

  it('with settleMs, holds the answer until that long after the last node became ready, and says what it waits for', async () => {
    const { rt, readyAt } = engine({ haproxyReadyAt: 300 });
    const waiting: string[] = [];
    expect(await waitReady(rt, { vip: VIP, nodes: NODES }, { timeoutMs: 5000, settleMs: 800, onWaiting: (w) => waiting.push(w) })).toEqual({ holder: 'lvs1' });
    expect(Date.now() - readyAt()!).toBeGreaterThanOrEqual(800);
    expect(waiting).toContain('haproxy1 (starting)');
    expect(waiting).toContain('the directors to check the nodes that just started');
  });

  it("with lab's VRRP config, waits until the preferred MASTER holds the VIP alone: a BACKUP holding it first, then both, is a VIP about to move", async () => {
    // lvs2 took the VIP while lvs1 was starting; lvs1 preempts at 400 ms, and lvs2 lets go at 700 ms.
    const { rt } = engine({ haproxyReadyAt: 0, holders: (ms) => (ms < 400 ? ['lvs2'] : ms < 700 ? ['lvs1', 'lvs2'] : ['lvs1']) });
    const waiting: string[] = [];
    const t0 = Date.now();
    expect(await waitReady(rt, { vip: VIP, nodes: NODES, preferredHolder: 'lvs1' }, { timeoutMs: 5000, onWaiting: (w) => waiting.push(w) })).toEqual({ holder: 'lvs1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(waiting).toContain('the VIP to move to lvs1 (the MASTER by priority; held by lvs2)');
    expect(waiting).toContain(`the VIP ${VIP} to settle on one director (held by lvs1 and lvs2)`);
    // Without a preferred holder (the student's VRRP config), lvs2 alone is an answer.
    const other = engine({ haproxyReadyAt: 0, holders: () => ['lvs2'] });
    expect(await waitReady(other.rt, { vip: VIP, nodes: NODES }, { timeoutMs: 5000 })).toEqual({ holder: 'lvs2' });
  });
});
