// `lab drill`: the figures each layer of the topology buys, held to the bounds the course promises.
// One exp4 lab (its reference solution checks Nginx every second), driven through the CLI in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab as cli } from '../helpers/cli.js';
import { converge } from '../helpers/grading.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { solveWorkspace } from '../../src/workspace/replace.js';
import { labStatus } from '../../src/lifecycle/status.js';
import type { DrillResult } from '../../src/drill/drill.js';
import { aloneOnTheEngine } from '../helpers/alone.js';

aloneOnTheEngine('drill');

let lab: TestLab;
const drill = async (...args: string[]): Promise<DrillResult> => {
  const r = await cli(['-n', lab.name, 'drill', ...args, '--json'], { runtime: lab.runtime, cwd: lab.cwd });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DrillResult;
};

beforeAll(async () => {
  lab = await startLab('exp4', 'drill');
  solveWorkspace(lab.result.lab, lab.result.workspaceDir);
  await converge(lab, 'exp4', { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 2000 });
}, 600_000);
afterAll(async () => {
  await lab?.destroy();
});

/** After a drill the lab is whole again: every node ready, one VIP holder. */
async function expectRestored(): Promise<void> {
  const s = await labStatus(lab.runtime, lab.name);
  expect(s.nodes.filter((n) => !n.healthy).map((n) => n.name)).toEqual([]);
  expect(['lvs1', 'lvs2']).toContain(s.vip.holder);
}

describe('lab drill', () => {
  it('director: the VIP holder stops; the VIP moves and requests recover within 5 s', async () => {
    const r = await drill('director', '--seconds', '8');
    expect(r.okBefore).toBeGreaterThan(0);
    expect(r.noticedMs).toBeDefined();
    expect(r.noticedMs!).toBeLessThanOrEqual(5000);
    expect(r.recoveryMs).toBeLessThanOrEqual(5000);
    await expectRestored();
  });

  it('haproxy: one HAProxy stops; the directors take it out and requests recover within 3 s', async () => {
    const r = await drill('haproxy', '--seconds', '6');
    expect(r.okBefore).toBeGreaterThan(0);
    expect(r.recoveryMs).toBeLessThanOrEqual(3000);
    await expectRestored();
  });

  it('nginx: one Nginx stops; once every HAProxy marks it DOWN, no request fails', async () => {
    const r = await drill('nginx', '--seconds', '10');
    expect(r.noticedMs, 'HAProxy never marked the stopped Nginx DOWN').toBeDefined();
    expect(r.failedAfterNoticed).toBe(0);
    await expectRestored();
  });

  it('app: one app stops; the failed requests are counted, and requests after the fault are still served', async () => {
    const r = await drill('app', '--seconds', '15');
    // Counted: a stopped app costs the requests Nginx sends it before it gives up on it (and again each
    // time its fail_timeout lets it try once more), so failures recur; requests after the fault succeed.
    // How many fail depends on how each Nginx learns the app is gone (a refused connect, or a timeout while
    // its ARP entry is stale): 6 of 50 in one run, 14 of 24 in another. Both count them, and serve the rest.
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.requests - r.okBefore - r.failures.length).toBeGreaterThan(0);
    await expectRestored();
  });

  it('refuses an unknown drill or a node of the wrong role, naming the choices', async () => {
    const bad = await cli(['-n', lab.name, 'drill', 'dns'], { runtime: lab.runtime, cwd: lab.cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown drill "dns"\nhint: Drills: director/);
    const wrong = await cli(['-n', lab.name, 'drill', 'nginx', '--node', 'app1'], { runtime: lab.runtime, cwd: lab.cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('app1 is not a nginx node (its role is app)');
  });
});
