// The grader, graded (exp2): every check fails on the start state and passes on the reference solution;
// deliberate mistakes are each caught by the check that should catch them; a solution written
// differently (a Host→backend map, other backend names, one frontend) scores full (--target: check-target.test.ts).
// One lab for the whole file; mutations are applied one after another.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { startLab, type TestLab } from '../helpers/lab.js';
import { converge as convergeLab, explain, failing, grade as gradeLab, mutate } from '../helpers/grading.js';

const EXP = 'exp2';
const lab2 = loadLab(EXP);
const checks = lab2.def.checks;
const ids = checks.map((c) => c.id);
const SOLUTION_CFG = readFileSync(path.join(lab2.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');

let lab: TestLab;
let ws: string;

const grade = (only?: string[]) => gradeLab(lab, EXP, checks, only);

/** Validate-then-reload, wait until the VIP answers on 80, then one director health-check period. */
const converge = () => convergeLab(lab, EXP, { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 600 });

function writeCfg(text: string): void {
  writeFileSync(path.join(ws, 'haproxy', 'haproxy.cfg'), text);
}

/** Only the https-in part of the solution, so a mutation can hit one frontend. */
function inHttpsFrontend(text: string, fn: (section: string) => string): string {
  const start = text.indexOf('frontend https-in');
  const end = text.indexOf('\n# One backend per domain');
  return text.slice(0, start) + fn(text.slice(start, end)) + text.slice(end);
}

beforeAll(async () => {
  lab = await startLab(EXP, 'chk2');
  ws = lab.result.workspaceDir;
});

afterAll(async () => {
  await lab?.destroy();
});

describe('lab check exp2', () => {
  it('start state: every check fails, score 0, not passed', async () => {
    const r = await grade();
    expect(failing(r), explain(r)).toEqual(ids);
    expect(r.checks.every((c) => c.status === 'fail')).toBe(true);
    expect(r.score).toBe(0);
    expect(r.maxScore).toBe(100);
    expect(r.passed).toBe(false);
  });

  it('reference solution: every check passes, 100/100, and grading again gives the same result', async () => {
    cpSync(lab2.solutionDir, ws, { recursive: true });
    await converge();
    const r = await grade();
    expect(failing(r), explain(r)).toEqual([]);
    expect(r).toMatchObject({ experiment: EXP, score: 100, maxScore: 100, passed: true });
    // Grading reads counters before and after its own traffic: a second run right after must agree.
    // (Speed is measured in bench/check.mjs, not asserted here.)
    const again = await grade();
    expect(failing(again), explain(again)).toEqual([]);
    expect(again.score).toBe(100);
  });

  // Each mutation: the set of checks that stop passing, exactly.
  const mutations: { name: string; cfg: (s: string) => string; fails: string[] }[] = [
    {
      name: 'two domains swapped in the HTTPS frontend only',
      cfg: (s) => inHttpsFrontend(s, (f) => mutate(mutate(mutate(f, 'use_backend go-backend if host_go', 'use_backend X if host_go'), 'use_backend java-backend if host_java', 'use_backend go-backend if host_java'), 'use_backend X if host_go', 'use_backend java-backend if host_go')),
      fails: ['https-routing'],
    },
    {
      name: 'two domains on one backend in both frontends',
      cfg: (s) => mutate(s, 'use_backend stars if host_stars', 'use_backend touch if host_stars'),
      fails: ['http-routing', 'https-routing'],
    },
    {
      name: 'one PEM missing from the crt list',
      cfg: (s) =>
        mutate(
          s,
          'bind *:443 ssl crt /etc/haproxy/certs/',
          `bind *:443 ssl ${['go-backend', 'java-backend', 'python-backend', 'touch', 'vue-backup', 'vue-web'].map((d) => `crt /etc/haproxy/certs/${d}.liujun.com.pem`).join(' ')}`,
        ),
      fails: ['tls-certificates'],
    },
    {
      name: 'bind :443 without ssl',
      cfg: (s) => mutate(s, 'bind *:443 ssl crt /etc/haproxy/certs/', 'bind *:443'),
      fails: ['domains-answer', 'https-routing', 'tls-certificates', 'no-redirect-loop', 'default-backend', 'forwarded-proto', 'forwarded-for'],
    },
    {
      name: 'no option forwardfor',
      cfg: (s) => mutate(s, '    option forwardfor\n', ''),
      fails: ['forwarded-for'],
    },
    {
      name: 'HTTPS does not set X-Forwarded-Proto',
      cfg: (s) => mutate(s, '    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n', ''),
      fails: ['forwarded-proto'],
    },
    {
      name: 'no default_backend on port 80',
      cfg: (s) => s.replace('    default_backend go-backend\n\nfrontend https-in', '\nfrontend https-in'),
      fails: ['default-backend'],
    },
  ];

  for (const m of mutations) {
    it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
      try {
        writeCfg(m.cfg(SOLUTION_CFG));
        await converge();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(m.fails);
        for (const id of m.fails) expect(r.checks.find((c) => c.id === id)!.status).toBe('fail');
      } finally {
        writeCfg(SOLUTION_CFG);
        await converge();
      }
    });
  }

  it('mutation: Nginx still redirects one domain to HTTPS (the start file) → a redirect loop', async () => {
    const file = path.join(ws, 'nginx', 'conf.d', 'stars.liujun.com.conf');
    try {
      cpSync(path.join(lab2.startDir, 'nginx', 'conf.d', 'stars.liujun.com.conf'), file);
      await converge();
      const r = await grade();
      expect(failing(r), explain(r)).toEqual(['domains-answer', 'no-redirect-loop', 'forwarded-proto', 'forwarded-for']);
      expect(r.checks.find((c) => c.id === 'no-redirect-loop')!.message).toMatch(/stars\.liujun\.com.*redirect/);
    } finally {
      cpSync(path.join(lab2.solutionDir, 'nginx', 'conf.d', 'stars.liujun.com.conf'), file);
      await converge();
    }
  });

  it('equivalence: a Host→backend map, other backend names and one frontend score full', async () => {
    const names = ['go', 'java', 'python', 'stars', 'touch', 'vueb', 'vuew'];
    const domains = ['go-backend', 'java-backend', 'python-backend', 'stars', 'touch', 'vue-backup', 'vue-web'].map((d) => `${d}.liujun.com`);
    const map = path.join(ws, 'haproxy', 'hosts.map');
    const base = SOLUTION_CFG.slice(0, SOLUTION_CFG.indexOf('frontend http-in'));
    const cfg = `${base}
frontend www
    bind :80
    bind :443 ssl crt /etc/haproxy/certs/ alpn http/1.1
    option forwardfor
    http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]
    use_backend %[req.hdr(host),lower,map(/etc/haproxy/hosts.map)]
    default_backend pool_go
${names
  .map(
    (n) => `
backend pool_${n}
    balance leastconn
    option httpchk
    http-check send meth GET uri /api/health hdr Host ${domains[names.indexOf(n)]}
    server a nginx1:10080 check
    server b nginx2:10080 check
    server c nginx3:10080 check`,
  )
  .join('\n')}
`;
    try {
      writeFileSync(map, domains.map((d, i) => `${d} pool_${names[i]}`).join('\n') + '\n');
      writeCfg(cfg);
      await converge();
      const r = await grade();
      expect(failing(r), explain(r)).toEqual([]);
      expect(r.score).toBe(100);
      expect(r.checks.find((c) => c.id === 'http-routing')!.message).toContain('pool_');
    } finally {
      writeCfg(SOLUTION_CFG);
      rmSync(map, { force: true });
      await converge();
    }
  });

});
