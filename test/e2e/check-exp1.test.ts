// The grader, graded (exp1): every check fails on the start state and passes on the reference solution,
// and each deliberate mistake is caught by the check that should catch it. One lab for the whole file.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { FileError } from '../../src/util/errors.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { converge as convergeLab, explain, failing, grade as gradeLab, mutate } from '../helpers/grading.js';

const EXP = 'exp1';
const lab1 = loadLab(EXP);
const checks = lab1.def.checks;
const ids = checks.map((c) => c.id);
const SOLUTION_CFG = readFileSync(path.join(lab1.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');

let lab: TestLab;
let cfgFile: string;

const grade = () => gradeLab(lab, EXP, checks);

/** Validate-then-reload both HAProxy nodes, as `lab apply` does. */
const converge = () => convergeLab(lab, EXP);

beforeAll(async () => {
  lab = await startLab(EXP, 'chk1');
  cfgFile = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
});

afterAll(async () => {
  await lab?.destroy();
});

describe('lab check exp1', () => {
  it('start state: every check fails, score 0, not passed', async () => {
    const r = await grade();
    expect(failing(r), explain(r)).toEqual(ids);
    expect(r.checks.every((c) => c.status === 'fail')).toBe(true);
    expect(r).toMatchObject({ experiment: EXP, score: 0, maxScore: 100, passed: false });
  });

  it('reference solution: every check passes, 100/100', async () => {
    cpSync(lab1.solutionDir, lab.result.workspaceDir, { recursive: true });
    await converge();
    const r = await grade();
    expect(failing(r), explain(r)).toEqual([]);
    expect(r).toMatchObject({ score: 100, maxScore: 100, passed: true });
  });

  const mutations: { name: string; cfg: (s: string) => string; fails: string[]; invalid?: boolean }[] = [
    {
      // Errata 4: the test command's password. Admin and the version need the login, so they cannot be seen either.
      name: 'a different stats password',
      cfg: (s) => mutate(s, 'stats auth admin:123456', 'stats auth admin:StrongPassword123'),
      fails: ['stats-auth', 'stats-admin', 'version-hidden'],
    },
    { name: 'stats without admin', cfg: (s) => mutate(s, '    stats admin if TRUE\n', ''), fails: ['stats-admin'] },
    { name: 'the version shown', cfg: (s) => mutate(s, '    stats hide-version\n', ''), fails: ['version-hidden'] },
    { name: 'no Prometheus exporter', cfg: (s) => mutate(s, '    http-request use-service prometheus-exporter if { path /metrics }\n', ''), fails: ['prometheus'] },
    { name: 'no runtime socket', cfg: (s) => mutate(s, '    stats socket /var/run/haproxy.sock mode 660 level admin\n', ''), fails: ['runtime-socket'] },
    // Errata 6: the tutorial's syslog target; nothing reads /dev/log in a container.
    { name: 'log /dev/log (the tutorial line)', cfg: (s) => mutate(s, 'log stdout format raw local0 info', 'log /dev/log local0 info'), fails: ['logs'] },
    {
      // Errata 1: haproxy -c rejects the file, apply refuses to load it, and HAProxy keeps serving the last
      // good config; only the config check sees the broken file.
      name: 'the removed `block` directive',
      cfg: (s) => mutate(s, '    stats hide-version\n', '    stats hide-version\n    acl is_admin path_beg /admin\n    block if is_admin\n'),
      fails: ['config-valid'],
      invalid: true,
    },
  ];

  for (const m of mutations) {
    it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
      try {
        writeFileSync(cfgFile, m.cfg(SOLUTION_CFG));
        if (m.invalid) await expect(converge()).rejects.toBeInstanceOf(FileError);
        else await converge();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(m.fails);
        if (m.invalid) {
          const c = r.checks.find((x) => x.id === 'config-valid')!;
          expect(c.message).toMatch(/block/);
          expect(c.hint).toMatch(/http-request deny/);
        }
      } finally {
        writeFileSync(cfgFile, SOLUTION_CFG);
        await converge();
      }
    });
  }
});
