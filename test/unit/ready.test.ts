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

function engine(opts: { haproxyReadyAt: number }) {
  const rt = new FakeRuntime();
  for (const n of NODES) {
    rt.containers.set(n.container, { id: n.container, name: n.container, image: 'x', labels: {}, state: 'running', health: 'none', addresses: {} });
  }
  const t0 = Date.now();
  let readyAt: number | undefined;
  rt.execResults.push((name, cmd) => {
    if (name === 'p-lvs1' && cmd[0] === 'ip') return { exitCode: 0, stdout: `2: eth0    inet ${VIP}/24 scope global eth0\n`, stderr: '' };
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
});
