// `lab check --target HOST`: the same probes from this process, against a host the test itself creates
// on loopback only: the host's own haproxy on high ports, with the lab's certificates, in front of a
// small app that answers like the lab's. Checks that need the lab's containers must skip, never pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCerts } from '../../src/certs/index.js';
import { targetContext } from '../../src/checks/context.js';
import { junit, tap, toJson } from '../../src/checks/report.js';
import { runChecks } from '../../src/checks/runner.js';
import { loadLab } from '../../src/labs/load.js';

const HOST = '127.0.0.1';
let dir: string;
let app: http.Server;
let haproxy: ChildProcess | undefined;
const ports = { http: 0, https: 0, stats: 0 };

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
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
  const appPort = (app.address() as AddressInfo).port;
  ports.http = await freePort();
  ports.https = await freePort();
  ports.stats = await freePort();
  const cfg = `global
    stats socket ${dir}/admin.sock mode 600 level admin
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
    default_backend app
frontend https-in
    bind ${HOST}:${ports.https} ssl crt ${dir}/certs/haproxy/
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend app
backend app
    server s1 ${HOST}:${appPort}
`;
  writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
  haproxy = spawn('haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(ports.http);
  await waitFor(ports.stats);
});

afterAll(async () => {
  haproxy?.kill('SIGTERM');
  await new Promise<void>((r) => app?.close(() => r()) ?? r());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const target = (over: Partial<typeof ports> = {}) =>
  targetContext({ host: HOST, httpPort: over.http ?? ports.http, httpsPort: over.https ?? ports.https, statsPort: over.stats ?? ports.stats, caFile: path.join(dir, 'certs', 'ca', 'ca.crt') });

describe('lab check --target (loopback haproxy made by the test)', () => {
  it('exp2: HTTP/HTTPS probes pass from this process; routing and config checks skip with a reason', async () => {
    const { report, meta } = await runChecks('exp2', loadLab('exp2').def.checks, target(), { lang: 'en' });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['haproxy-config-valid', 'http-routing', 'https-routing', 'default-backend']) {
      expect(by[id]!.status, id).toBe('skip');
      expect(by[id]!.points).toBe(0);
      expect(by[id]!.message).toMatch(/container/);
    }
    for (const id of ['domains-answer', 'tls-certificates', 'no-redirect-loop', 'forwarded-proto', 'forwarded-for']) {
      expect(by[id]!.status, `${id}: ${by[id]!.message}`).toBe('pass');
    }
    expect(by['forwarded-for']!.message).toContain('127.0.0.1');
    expect(report.passed).toBe(false); // required checks were skipped: skip is never a pass
    expect(report.score).toBe(report.maxScore - 5 - 15 - 15 - 10);
    expect(meta.target).toBe(HOST);
    expect(tap(report, meta)).toMatch(/^ok \d+ - http-routing - .* # SKIP /m);
    expect(junit(report, meta)).toContain('<skipped message=');
    expect(Object.keys(toJson(report))).toEqual(['experiment', 'score', 'maxScore', 'passed', 'checks']);
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
