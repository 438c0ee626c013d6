// The grader, graded (exp4, health checks): every check fails on the start state and passes on the
// reference solution; each deliberate mistake is caught by the check that should catch it; the Nginx
// container the failover check stops is running again afterwards, also when the check fails.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { converge as convergeLab, explain, failing, grade as gradeLab, mutate } from '../helpers/grading.js';

const EXP = 'exp4';
const lab4 = loadLab(EXP);
const checks = lab4.def.checks;
const ids = checks.map((c) => c.id);
const SOLUTION_CFG = readFileSync(path.join(lab4.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');

let lab: TestLab;
let cfgFile: string;

const grade = () => gradeLab(lab, EXP, checks);

/** Validate-then-reload, wait for the VIP, then a couple of check intervals so every server has a check result. */
const converge = () => convergeLab(lab, EXP, { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 2500 });

/** Every Nginx container is running again (the failover probe restores what it stopped). */
async function nginxRunning(): Promise<void> {
  for (const n of lab.result.topology!.nodes.filter((x) => x.role === 'nginx')) {
    expect((await lab.runtime.inspectContainer(n.container.name))?.state, n.container.name).toBe('running');
  }
}

beforeAll(async () => {
  lab = await startLab(EXP, 'chk4');
  cfgFile = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
});

afterAll(async () => {
  await lab?.destroy();
});

describe('lab check exp4', () => {
  it('start state: every check fails, score 0; the stopped Nginx is running again', async () => {
    const r = await grade();
    expect(failing(r), explain(r)).toEqual(ids);
    expect(r.checks.every((c) => c.status === 'fail')).toBe(true);
    expect(r).toMatchObject({ experiment: EXP, score: 0, maxScore: 100, passed: false });
    expect(r.checks.find((c) => c.id === 'failover')!.message).toMatch(/did not mark .* DOWN/);
    await nginxRunning();
  });

  it('reference solution: every check passes, 100/100; nginx2 is back afterwards', async () => {
    cpSync(lab4.solutionDir, lab.result.workspaceDir, { recursive: true });
    await converge();
    const r = await grade();
    expect(failing(r), explain(r)).toEqual([]);
    expect(r).toMatchObject({ score: 100, maxScore: 100, passed: true });
    await nginxRunning();
  });

  const mutations: { name: string; cfg: (s: string) => string; fails: string[] }[] = [
    {
      name: 'TCP checks only (no option httpchk)',
      cfg: (s) => mutate(s, '    option httpchk\n    http-check send meth GET uri /health\n    http-check expect status 200\n', ''),
      fails: ['http-checks'],
    },
    {
      name: 'checks too slow to notice (fall 30)',
      cfg: (s) => mutate(s, 'default-server inter 1s fall 2 rise 2', 'default-server inter 1s fall 30 rise 2'),
      fails: ['failover'],
    },
    {
      name: 'HTTP checks that expect a status the app never gives',
      cfg: (s) => mutate(s, 'http-check expect status 200', 'http-check expect status 204'),
      fails: ['http-checks', 'failover'],
    },
  ];

  for (const m of mutations) {
    it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
      try {
        writeFileSync(cfgFile, m.cfg(SOLUTION_CFG));
        await converge();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(m.fails);
        await nginxRunning();
      } finally {
        writeFileSync(cfgFile, SOLUTION_CFG);
        await converge();
      }
    });
  }
});
