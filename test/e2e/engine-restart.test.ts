// After `dockerd` restarts (a reboot, a package upgrade), `lab status` tells the truth and `lab up`
// repairs. It restarts the engine every lab on this machine uses, so it runs before the e2e files that
// share the engine, and not beside another e2e file (vitest.config.ts, project e2e-alone).
import { describe, expect, it } from 'vitest';
import { labStatus } from '../../src/lifecycle/status.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { pidAlive } from '../../src/util/process.js';
import { lab as cli } from '../helpers/cli.js';
import { startLab } from '../helpers/lab.js';
import { aloneOnTheEngine } from '../helpers/alone.js';

aloneOnTheEngine('engine-restart');

const runtime = new DockerRuntime();

/** A healthy lab: every expected node ready, nothing missing, one VIP holder. */
async function expectHealthy(name: string): Promise<void> {
  const s = await labStatus(runtime, name);
  expect(s.missing, JSON.stringify(s.missing)).toEqual([]);
  expect(s.nodes.filter((n) => !n.healthy).map((n) => `${n.name} ${n.state} ${n.readiness}`)).toEqual([]);
  expect(['lvs1', 'lvs2']).toContain(s.vip.holder);
}

describe('after the Docker engine restarts', () => {
  it('lab status tells the truth (every node stopped, exit 1) and lab up repairs', async () => {
    const lab = await startLab('exp2', 'dockerd');
    try {
      const { execa } = await import('execa');
      const { ensureEngine } = await import('../../src/engine/provision.js');
      const pid = Number((await execa('pgrep', ['-xo', 'dockerd'])).stdout.trim());
      process.kill(pid, 'SIGTERM');
      // A restart as systemd does it: the old dockerd has exited (its API closes seconds earlier, while it
      // still stops containers) before the new one starts.
      const alive = () => pidAlive(pid);
      for (let i = 0; i < 240 && alive(); i++) await new Promise((r) => setTimeout(r, 250));
      expect(alive()).toBe(false);
      // Started again the way `lab up --yes` would start it.
      await ensureEngine(runtime, { yes: true, interactive: false, log: () => {} });
      const st = await cli(['-n', lab.name, 'status', '--json'], { runtime, cwd: lab.cwd });
      expect(st.code, `${st.stdout}\n${st.stderr}`).toBe(1);
      const s = JSON.parse(st.stdout) as { nodes: { name: string; state: string; healthy: boolean }[] };
      expect(s.nodes).toHaveLength(12);
      expect(s.nodes.filter((n) => n.healthy)).toEqual([]);
      expect(new Set(s.nodes.map((n) => n.state))).toEqual(new Set(['exited']));
      const r = await lab.up();
      expect(r.recreated).toEqual([]);
      await expectHealthy(lab.name);
    } finally {
      await lab.destroy();
    }
  }, 600_000);
});
