// The grader, graded (exp3, load-balancing algorithms): every check fails on the start state and passes
// on the reference solution; each deliberate mistake is caught by the check that should catch it; a
// solution with other names (and dynamic weights) scores full. One lab for the whole file.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { converge as convergeLab, explain, failing, grade as gradeLab } from '../helpers/grading.js';

const EXP = 'exp3';
const lab3 = loadLab(EXP);
const checks = lab3.def.checks;
const ids = checks.map((c) => c.id);
const SOLUTION_CFG = readFileSync(path.join(lab3.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');

let lab: TestLab;
let cfgFile: string;

const grade = () => gradeLab(lab, EXP, checks);

/** Validate-then-reload both HAProxy nodes, then wait until the VIP answers on 80 and one director
 * health-check period passes, so both HAProxy nodes are in rotation. */
const converge = () => convergeLab(lab, EXP, { waitFor: 'http://go-backend.liujun.com/rr/x', settleMs: 600 });

/** Replaces `from` inside one section (from its header to the next blank line). */
function inSection(text: string, header: string, from: string, to: string): string {
  const start = text.indexOf(`\n${header}\n`) + 1;
  if (start < 1) throw new Error(`no section ${header}`);
  const end = text.indexOf('\n\n', start);
  const stop = end < 0 ? text.length : end;
  const section = text.slice(start, stop);
  if (!section.includes(from)) throw new Error(`mutation did not apply: ${from} in ${header}`);
  return text.slice(0, start) + section.split(from).join(to) + text.slice(stop);
}

beforeAll(async () => {
  lab = await startLab(EXP, 'chk3');
  cfgFile = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
});

afterAll(async () => {
  await lab?.destroy();
});

describe('lab check exp3', () => {
  it('start state: every check fails, score 0, not passed', async () => {
    const r = await grade();
    expect(failing(r), explain(r)).toEqual(ids);
    expect(r.checks.every((c) => c.status === 'fail')).toBe(true);
    expect(r).toMatchObject({ experiment: EXP, score: 0, maxScore: 100, passed: false });
  });

  it('reference solution: every check passes, 100/100', async () => {
    cpSync(lab3.solutionDir, lab.result.workspaceDir, { recursive: true });
    await converge();
    const r = await grade();
    expect(failing(r), explain(r)).toEqual([]);
    expect(r).toMatchObject({ score: 100, maxScore: 100, passed: true });
    expect(r.checks.find((c) => c.id === 'weighted')!.message).toMatch(/about 3:1:1/);
  });

  const mutations: { name: string; cfg: (s: string) => string; fails: string[] }[] = [
    { name: '/rr/ hashed by source', cfg: (s) => inSection(s, 'backend rr-backend', 'balance roundrobin', 'balance source'), fails: ['roundrobin'] },
    { name: '/rr/ with a single server', cfg: (s) => inSection(s, 'backend rr-backend', '    server web2 nginx2:10080 check\n    server web3 nginx3:10080 check', ''), fails: ['roundrobin'] },
    { name: 'equal weights in /weighted/', cfg: (s) => inSection(s, 'backend weighted-backend', 'weight 3', 'weight 1'), fails: ['weighted'] },
    { name: '/source/ in round robin', cfg: (s) => inSection(s, 'backend source-backend', 'balance source', 'balance roundrobin'), fails: ['source-hash'] },
    { name: '/uri/ hashed by source', cfg: (s) => inSection(s, 'backend uri-backend', 'balance uri', 'balance source'), fails: ['uri-hash'] },
    { name: '/uri/ in round robin', cfg: (s) => inSection(s, 'backend uri-backend', 'balance uri', 'balance roundrobin'), fails: ['uri-hash'] },
  ];

  for (const m of mutations) {
    it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
      try {
        writeFileSync(cfgFile, m.cfg(SOLUTION_CFG));
        await converge();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(m.fails);
      } finally {
        writeFileSync(cfgFile, SOLUTION_CFG);
        await converge();
      }
    });
  }

  it('equivalence: other names, servers by address, dynamic weights and map-free routing score full', async () => {
    const r0 = await lab.runtime.exec(`${lab.name}-haproxy1`, ['getent', 'hosts', 'nginx2']);
    const ip2 = r0.stdout.trim().split(/\s+/)[0]!;
    expect(ip2).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const base = SOLUTION_CFG.slice(0, SOLUTION_CFG.indexOf('frontend lb-in'));
    const pool = (w = ['', '', '']) => `    server a nginx3:10080 check${w[0]}\n    server b ${ip2}:10080 check${w[1]}\n    server c nginx1:10080 check${w[2]}`;
    const cfg = `${base}
frontend www
    bind :80
    use_backend even if { path_beg /rr/ }
    use_backend heavy if { path_beg /weighted/ }
    use_backend sticky if { path_beg /source/ }
    use_backend cache if { path_beg /uri/ }

backend even
${pool()}

backend heavy
    balance roundrobin
${pool([' weight 10', ' weight 30', ' weight 10'])}

backend sticky
    balance source
${pool()}

backend cache
    balance uri
${pool()}
`;
    try {
      writeFileSync(cfgFile, cfg);
      await converge();
      const r = await grade();
      expect(failing(r), explain(r)).toEqual([]);
      expect(r.score).toBe(100);
    } finally {
      writeFileSync(cfgFile, SOLUTION_CFG);
      await converge();
    }
  });
});
