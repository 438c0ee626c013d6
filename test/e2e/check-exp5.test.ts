// The grader, graded (exp5, ACLs and rate limiting): every check fails on the start state and passes on
// the reference solution; each deliberate mistake is caught by the check that should catch it.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { converge as convergeLab, explain, failing, grade as gradeLab, mutate } from '../helpers/grading.js';

const EXP = 'exp5';
const lab5 = loadLab(EXP);
const checks = lab5.def.checks;
const ids = checks.map((c) => c.id);
const START_CFG = readFileSync(path.join(lab5.startDir, 'haproxy', 'haproxy.cfg'), 'utf8');
const SOLUTION_CFG = readFileSync(path.join(lab5.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');

let lab: TestLab;
let cfgFile: string;

const grade = () => gradeLab(lab, EXP, checks);

/**
 * Validate-then-reload, wait for the VIP, then let the rate window of the previous round pass (a reload
 * starts with an empty stick-table, but the old worker's limits apply until it is gone).
 */
const converge = () => convergeLab(lab, EXP, { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 3500 });

beforeAll(async () => {
  lab = await startLab(EXP, 'chk5');
  cfgFile = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
});

afterAll(async () => {
  await lab?.destroy();
});

describe('lab check exp5', () => {
  it('start state: every check fails, score 0', async () => {
    const r = await grade();
    expect(failing(r), explain(r)).toEqual(ids);
    expect(r.checks.every((c) => c.status === 'fail')).toBe(true);
    expect(r).toMatchObject({ experiment: EXP, score: 0, maxScore: 100, passed: false });
    expect(r.checks.find((c) => c.id === 'rate-limit')!.message).toMatch(/expected the connection-rate limit to refuse at least 10/);
  });

  it('reference solution: every check passes, 100/100', async () => {
    cpSync(lab5.solutionDir, lab.result.workspaceDir, { recursive: true });
    await converge();
    const r = await grade();
    expect(failing(r), explain(r)).toEqual([]);
    expect(r).toMatchObject({ score: 100, maxScore: 100, passed: true });
  });

  const mutations: { name: string; cfg: (s: string) => string; fails: string[]; from?: string; invalid?: RegExp }[] = [
    {
      // haproxy -c rejects `block` since 2.1 (errata 1): the reload is refused and the start config keeps running.
      name: 'the tutorial\'s `block` instead of http-request deny (config invalid, the old config stays)',
      from: START_CFG,
      cfg: (s) => mutate(s, 'http-request deny if is_admin !allowed_ip', 'block if is_admin !allowed_ip'),
      invalid: /block/,
      fails: ['admin-denied', 'rate-limit'],
    },
    {
      name: 'the allowed network includes the client (src 0.0.0.0/0)',
      cfg: (s) => mutate(s, 'acl allowed_ip src 127.0.0.1/8', 'acl allowed_ip src 0.0.0.0/0'),
      fails: ['admin-denied'],
    },
    {
      name: 'every path denied (no is_admin in the rule)',
      cfg: (s) => mutate(s, 'http-request deny if is_admin !allowed_ip', 'http-request deny if !allowed_ip'),
      fails: ['admin-denied', 'rate-limit'],
    },
    {
      name: 'the tutorial\'s snippet: no track-sc0, src_conn_rate',
      cfg: (s) => mutate(s, '    tcp-request connection track-sc0 src\n    tcp-request connection reject if { sc0_conn_rate gt 10 }', '    tcp-request connection reject if { src_conn_rate gt 10 }'),
      fails: ['rate-limit'],
    },
    {
      name: 'a limit so high it never triggers (gt 1000)',
      cfg: (s) => mutate(s, 'sc0_conn_rate gt 10', 'sc0_conn_rate gt 1000'),
      fails: ['rate-limit'],
    },
    {
      name: 'a limit so low that slow requests are refused too (gt 0)',
      cfg: (s) => mutate(s, 'sc0_conn_rate gt 10', 'sc0_conn_rate gt 0'),
      fails: ['admin-denied', 'rate-limit'],
    },
  ];

  for (const m of mutations) {
    it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
      try {
        if (m.from) {
          writeFileSync(cfgFile, m.from);
          await converge();
        }
        writeFileSync(cfgFile, m.cfg(SOLUTION_CFG));
        if (m.invalid) {
          // lab apply refuses it: haproxy -c names the removed directive, and nothing is reloaded.
          await expect(converge()).rejects.toThrow(m.invalid);
        } else await converge();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(m.fails);
      } finally {
        writeFileSync(cfgFile, SOLUTION_CFG);
        await converge();
      }
    });
  }
});
