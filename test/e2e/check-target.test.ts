// `lab check --target HOST`: the same probes from this process, against a host the test itself creates
// on loopback only: the host's own haproxy on high ports, with the lab's certificates, routing the seven
// domains to seven backends in front of a small app that answers like the lab's. With --stats-auth the
// counters come from the stats page (routing, default backend, servers UP, TLS termination are graded);
// without it those checks skip and say which flag unlocks them. Checks that need the lab's containers
// must skip, never pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../helpers/ports.js';
import { DEFAULT_DOMAINS, ensureCerts } from '../../src/certs/index.js';
import { targetContext } from '../../src/checks/context.js';
import { junit, tap, toJson } from '../../src/checks/report.js';
import { runChecks } from '../../src/checks/runner.js';
import { loadLab } from '../../src/labs/load.js';

const HOST = '127.0.0.1';
let dir: string;
let app: http.Server;
let appPort = 0;
let main: Haproxy;

interface Haproxy {
  http: number;
  https: number;
  stats: number;
  stop(): void;
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: HOST, port, path: '/', timeout: 500 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${HOST}:${port}`);
}

/**
 * A host tool this test needs (CI installs haproxy, nginx, keepalived and openssl): its path, or a loud
 * failure naming it. Never a skip and never a vacuous pass.
 */
function hostTool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  const found = dirs.filter(Boolean).map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} is not installed on this machine, and this test needs it (install it as CI does, e.g. apt-get install ${name})`);
  return found;
}

/** The host's own haproxy on free loopback ports: seven domains on seven backends (`rules` can change the routing). */
async function startHaproxy(rules: (r: string) => string = (r) => r): Promise<Haproxy> {
  const [httpPort, httpsPort, statsPort] = await freePorts(3);
  const ports = { http: httpPort!, https: httpsPort!, stats: statsPort! };
  const routes = rules(DEFAULT_DOMAINS.map((d, i) => `    use_backend be${i} if { hdr(host) -i ${d} }`).join('\n'));
  const cfg = `global
    stats socket ${dir}/admin-${ports.http}.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen stats
    bind ${HOST}:${ports.stats}
    stats enable
    stats uri /stats
    stats auth admin:123456
    stats admin if TRUE
    http-request use-service prometheus-exporter if { path /metrics }
    stats hide-version
frontend http-in
    bind ${HOST}:${ports.http}
    option forwardfor
    http-request set-header X-Forwarded-Proto http
${routes}
    default_backend be0
frontend https-in
    bind ${HOST}:${ports.https} ssl crt ${dir}/certs/haproxy/
    option forwardfor
    http-request set-header X-Forwarded-Proto https
${routes}
    default_backend be0
${DEFAULT_DOMAINS.map((_, i) => `backend be${i}\n    server s1 ${HOST}:${appPort} check inter 500\n`).join('')}`;
  const file = path.join(dir, `haproxy-${ports.http}.cfg`);
  writeFileSync(file, cfg);
  const proc: ChildProcess = spawn(hostTool('haproxy'), ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(ports.http);
  await waitFor(ports.stats);
  // Let the first health checks mark the servers UP.
  await new Promise((r) => setTimeout(r, 1200));
  return { ...ports, stop: () => proc.kill('SIGTERM') };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-check-target-'));
  await ensureCerts({ outDir: path.join(dir, 'certs'), log: () => {} });
  // The lab app's answer shape: what reached it.
  app = http.createServer((req, res) => {
    const body = JSON.stringify({
      app: 'local',
      host: req.headers.host ?? null,
      path: req.url,
      method: req.method,
      proto: req.headers['x-forwarded-proto'] ?? null,
      xff: req.headers['x-forwarded-for'] ?? null,
      realIp: null,
      peer: req.socket.remoteAddress,
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(`${body}\n`);
  });
  await new Promise<void>((r) => app.listen(0, HOST, r));
  appPort = (app.address() as AddressInfo).port;
  main = await startHaproxy();
});

afterAll(async () => {
  main?.stop();
  await new Promise<void>((r) => app?.close(() => r()) ?? r());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** statsAuth null: no --stats-auth. */
const target = (over: Partial<Haproxy> = {}, statsAuth: string | null = 'admin:123456') =>
  targetContext({
    host: HOST,
    httpPort: over.http ?? main.http,
    httpsPort: over.https ?? main.https,
    statsPort: over.stats ?? main.stats,
    caFile: path.join(dir, 'certs', 'ca', 'ca.crt'),
    statsAuth: statsAuth ?? undefined,
  });

describe('lab check --target (loopback haproxy made by the test)', () => {
  it('exp2 with --stats-auth: every check is graded from here, routing and TLS termination from the stats page', async () => {
    const { report, meta } = await runChecks('exp2', loadLab('exp2').def.checks, target(), { lang: 'en' });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const c of report.checks) expect(c.status, `${c.id}: ${c.message}`).toBe('pass');
    expect(by['http-routing']!.message).toMatch(/7 domains reach 7 distinct backends/);
    expect(by['haproxy-config-valid']!.message).toMatch(/haproxy -c not run/);
    expect(by['tls-certificates']!.message).toMatch(/TLS sessions/);
    expect(by['forwarded-for']!.message).toContain('127.0.0.1');
    expect(report).toMatchObject({ score: report.maxScore, passed: true });
    expect(meta.target).toBe(HOST);
    expect(meta.observations?.['http-routing']).toMatchObject({ where: expect.stringContaining(';csv') });
    expect(Object.keys(toJson(report))).toEqual(['experiment', 'score', 'maxScore', 'passed', 'checks']);
  });

  it('exp2 without --stats-auth: what needs the counters skips, saying which flag unlocks it', async () => {
    const { report, meta } = await runChecks('exp2', loadLab('exp2').def.checks, target({}, null), { lang: 'en' });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['haproxy-config-valid', 'http-routing', 'https-routing', 'tls-certificates', 'default-backend']) {
      expect(by[id]!.status, id).toBe('skip');
      expect(by[id]!.points).toBe(0);
      expect(by[id]!.message).toMatch(/--stats-auth/);
    }
    for (const id of ['domains-answer', 'no-redirect-loop', 'forwarded-proto', 'forwarded-for']) expect(by[id]!.status, `${id}: ${by[id]!.message}`).toBe('pass');
    expect(report.passed).toBe(false); // required checks were skipped: skip is never a pass
    expect(tap(report, meta)).toMatch(/^ok \d+ - http-routing - .* # SKIP /m);
    expect(junit(report, meta)).toContain('<skipped message=');
  });

  it('exp2: routes swapped on the target are caught from the stats page counters', async () => {
    // Two domains on one backend: a second haproxy on other ports, with go and java both on be0.
    const swapped = await startHaproxy((rules) => rules.replace('use_backend be1 if', 'use_backend be0 if'));
    try {
      const { report } = await runChecks('exp2', loadLab('exp2').def.checks, target(swapped), { lang: 'en', only: ['http-routing'], retries: 0 });
      expect(report.checks[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/go-backend\.liujun\.com, java-backend\.liujun\.com all went to backend be0/) });
    } finally {
      swapped.stop();
    }
  });

  it('exp1: the stats page, admin, hidden version and Prometheus on HOST:--stats-port; socket/log/config skip', async () => {
    const { report } = await runChecks('exp1', loadLab('exp1').def.checks, target(), { lang: 'zh' });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['stats-auth', 'stats-admin', 'version-hidden', 'prometheus']) expect(by[id]!.status, `${id}: ${by[id]!.message}`).toBe('pass');
    for (const id of ['config-valid', 'runtime-socket', 'logs']) expect(by[id]!.status, id).toBe('skip');
    expect(by['stats-auth']!.title).toMatch(/统计页面/);
    expect(by.logs!.message).toMatch(/容器/);
  });

  it('a target where nothing listens: the probes fail (with what was seen), they do not skip', async () => {
    const closed = await freePort();
    const { report } = await runChecks('exp2', loadLab('exp2').def.checks, target({ http: closed, https: closed }), { lang: 'en', retries: 0 });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['domains-answer', 'tls-certificates', 'no-redirect-loop']) expect(by[id]!.status, id).toBe('fail');
    expect(by['domains-answer']!.message).toMatch(/connection refused/);
  });
});
