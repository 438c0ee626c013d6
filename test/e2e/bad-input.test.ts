// The bad-input cases that need a real engine, on one exp2 lab: configs the services' own validators
// reject (the running service keeps its last good config: its master/workers are not reloaded and it
// still answers), configs lab refuses before touching the container, a subnet another Docker network
// holds, a --publish port a local listener holds, an engine that vanishes mid-command, and --target in
// the lab's address pool where no lab is. Each row: exit code, the one error line, the hint, no stack trace.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { existsSync, unlinkSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyProcs } from '../../src/apply/services.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { overlaps, parseCidr, formatCidr } from '../../src/topology/cidr.js';
import { SUBNET_POOL } from '../../src/topology/subnets.js';
import { lab as runLab, type CliRun } from '../helpers/cli.js';
import { runPrefix, startLab, type TestLab } from '../helpers/lab.js';

let lab: TestLab;
const docker = new Docker();
const cli = (args: string[], runtime = lab.runtime) => runLab(['-n', lab.name, ...args], { runtime, cwd: lab.cwd });
const ws = (rel: string) => path.join(lab.result.workspaceDir, rel);
const sh = (node: string, script: string) => lab.runtime.exec(`${lab.name}-${node}`, ['sh', '-c', script], { timeoutMs: 30_000 });

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
function expectClean(r: CliRun, code: number, error: RegExp, hint: RegExp): void {
  const all = `${r.stderr}\n${r.stdout}`;
  expect(r.code, all).toBe(code);
  expect(all.split('\n').some((l) => error.test(l)), `no line matches ${error}:\n${all}`).toBe(true);
  expect(all).toMatch(hint);
  expect(all).not.toMatch(STACK);
  expect(all).not.toMatch(/internal error/);
  // eslint-disable-next-line no-control-regex
  expect(all).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/);
}

/** What proves a service kept its last good config: HAProxy's reload count and the nginx workers, and an answer through the VIP. */
async function serviceState() {
  const h = await haproxyProcs(lab.runtime, `${lab.name}-haproxy1`);
  const n = await sh('nginx1', 'pgrep -f "^nginx: worker" | sort | tr "\\n" " "');
  return { haproxyReloads: h?.reloads, haproxyWorkers: h?.workers.join(' '), nginxWorkers: n.stdout.trim() };
}
/** HAProxy (its stats page: exp2's start state has no other listener) and Nginx still answer HTTP. */
async function answers(): Promise<boolean> {
  const code = async (node: string, url: string) => (await sh(node, `curl -s -o /dev/null -w "%{http_code}" -m 5 ${url}`)).stdout;
  const [h, n] = await Promise.all([code('haproxy1', 'http://127.0.0.1:8404/stats'), code('nginx1', '-H "Host: go-backend.liujun.com" http://127.0.0.1:10080/')]);
  return /^[1-5]\d\d$/.test(h) && /^[1-5]\d\d$/.test(n);
}

/** A /24 inside `within` that no Docker network on this engine overlaps (skipping the first `skip` /24s). */
async function freeSubnet(within: string, skip = 0): Promise<string> {
  const nets = (await docker.listNetworks()).flatMap((x) => (x.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s && !s.includes(':')).map(parseCidr));
  const pool = parseCidr(within);
  for (let b = pool.base + skip * 256; b < pool.base + 2 ** (32 - pool.bits); b += 256) {
    if (!nets.some((x) => overlaps(x, { base: b, bits: 24 }))) return formatCidr({ base: b, bits: 24 });
  }
  throw new Error(`no free /24 in ${within}`);
}

beforeAll(async () => {
  lab = await startLab('exp2', 'badinput');
}, 600_000);
afterAll(async () => {
  await lab?.destroy();
});

describe('student configs on a real lab: refused, and the running service keeps its last good config', () => {
  const cases: { case: string; file: string; content: (orig: string) => string | Buffer; error: RegExp; hint: RegExp; tool: boolean }[] = [
    { case: 'haproxy.cfg: unknown keyword (haproxy -c)', file: 'haproxy/haproxy.cfg', content: (o) => o.replace(/^(listen stats.*)$/m, '$1\n    bogus_keyword on'), error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg:\d+: unknown keyword 'bogus_keyword'/, hint: /haproxy1, haproxy2 keep running on the last good config/, tool: true },
    { case: 'haproxy.cfg: the removed block directive (errata 1)', file: 'haproxy/haproxy.cfg', content: (o) => o.replace(/^(listen stats.*)$/m, '$1\n    block if { path_beg /admin }'), error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg:\d+: The 'block' directive is not supported anymore/, hint: /Errata 1: write `http-request deny/, tool: true },
    { case: 'haproxy.cfg: empty', file: 'haproxy/haproxy.cfg', content: () => '', error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg: is empty$/, hint: /Nothing was sent to the container/, tool: false },
    { case: 'haproxy.cfg: binary', file: 'haproxy/haproxy.cfg', content: () => Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x1b, 0x5b, 0x32, 0x4a]), error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg:1: is a binary file/, hint: /Nothing was sent to the container/, tool: false },
    { case: 'haproxy.cfg: not UTF-8', file: 'haproxy/haproxy.cfg', content: (o) => Buffer.concat([Buffer.from(o), Buffer.from('# r\xe9sum\xe9\n', 'latin1')]), error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg:\d+: is not UTF-8 text/, hint: /Save it as UTF-8/, tool: false },
    { case: 'haproxy.cfg: huge', file: 'haproxy/haproxy.cfg', content: (o) => `${o}\n${'# padding\n'.repeat(200_000)}`, error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg: is 1\.\d MiB/, hint: /restore it/, tool: false },
    { case: 'nginx server block: unknown directive (nginx -t)', file: 'nginx/conf.d/go-backend.liujun.com.conf', content: (o) => o.replace(/server_name/, 'servr_name'), error: /^error: workspace\/exp2\/nginx\/conf\.d\/go-backend\.liujun\.com\.conf:\d+: unknown directive "servr_name"$/, hint: /nginx1, nginx2, nginx3 keep running on the last good config/, tool: true },
    { case: 'nginx server block: binary', file: 'nginx/conf.d/go-backend.liujun.com.conf', content: () => Buffer.from([0x00, 0x01, 0x02]), error: /^error: workspace\/exp2\/nginx\/conf\.d\/go-backend\.liujun\.com\.conf:1: is a binary file/, hint: /Nothing was sent to the container/, tool: false },
  ];

  for (const c of cases) {
    it(c.case, async () => {
      const file = ws(c.file);
      const orig = readFileSync(file);
      const before = await serviceState();
      writeFileSync(file, c.content(orig.toString('utf8')));
      try {
        const r = await cli(['apply']);
        expectClean(r, 1, c.error, c.hint);
        // Nothing lost: the student's file is still what they saved.
        expect(readFileSync(file).equals(Buffer.from(c.content(orig.toString('utf8'))))).toBe(true);
        // Nothing broken applied: no reload happened, and the lab still answers.
        expect(await serviceState()).toEqual(before);
        expect(await answers()).toBe(true);
      } finally {
        writeFileSync(file, orig);
      }
    }, 300_000);
  }
});

describe('the machine: subnets, ports, the engine, --target', () => {
  it('lab up --subnet on a subnet another Docker network holds names it, and creates nothing', async () => {
    const name = `${runPrefix()}squat-${Date.now().toString(36)}`.slice(0, 40);
    const first24 = await freeSubnet('10.213.0.0/16');
    const net = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'lab.name': name }, IPAM: { Config: [{ Subnet: first24 }] } });
    try {
      const other = `${runPrefix()}sub`;
      const r = await runLab(['-n', other, 'up', 'exp2', '--yes', '--subnet', `edge=${first24}`], { runtime: lab.runtime, cwd: lab.cwd });
      expectClean(r, 1, new RegExp(`^error: subnet ${first24.replace(/\./g, '\\.').replace('/', '\\/')} for the edge network overlaps .* of Docker network "${name}"$`), new RegExp(`remove network "${name}" if it is yours`));
      expect(await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`lab.name=${other}`] }) })).toEqual([]);
      expect(await docker.listNetworks({ filters: JSON.stringify({ label: [`lab.name=${other}`] }) })).toEqual([]);
    } finally {
      await net.remove();
    }
  }, 600_000);

  it('lab up --publish on a port a local listener holds names it, before touching the lab', async () => {
    const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},600000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const port = await new Promise<number>((res) => child.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
      const before = (await lab.view()).nodes.map((n) => `${n.container} ${n.state}`);
      const r = await cli(['up', 'exp2', '--yes', '--publish', String(port)]);
      expectClean(r, 1, new RegExp(`^error: --publish ${port}: 127\\.0\\.0\\.1:${port} is already in use by node \\(pid ${child.pid}\\)$`), /choose another port/);
      expect((await lab.view()).nodes.map((n) => `${n.container} ${n.state}`)).toEqual(before);
    } finally {
      child.kill();
    }
  }, 300_000);

  it('an engine that vanishes mid-command: one line, the hint, nothing reloaded', async () => {
    // A socket of our own in front of the real engine, gone after the first few connections.
    const socketPath = path.join(lab.cwd, 'engine.sock');
    const conns: Socket[] = [];
    let requests = 0;
    const vanish = () => {
      for (const x of conns) x.destroy();
      server.close();
      if (existsSync(socketPath)) unlinkSync(socketPath);
    };
    const server: Server = createServer((c) => {
      conns.push(c);
      const up = createConnection('/var/run/docker.sock');
      conns.push(up);
      c.on('data', (d: Buffer) => {
        // observeLab's two requests get through; the engine is gone for the third (the validation exec).
        requests += (d.toString('latin1').match(/^(GET|POST|PUT|DELETE|HEAD) \S+ HTTP\/1\.1\r$/gm) ?? []).length;
        if (requests > 2) vanish();
        else up.write(d);
      });
      up.pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    const before = await serviceState();
    const r = await cli(['apply', '--force'], new DockerRuntime({ socketPath }));
    server.close();
    expectClean(r, 1, /^error: (cannot reach the Docker engine \((ENOENT|ECONNREFUSED)\)|the Docker engine went away \(\w+( \w+)?\)) while trying to /, /lab doctor --fix/);
    expect(await serviceState()).toEqual(before);
  }, 300_000);

  it('--target at a lab-pool address no network holds is refused', async () => {
    const free = (await freeSubnet(SUBNET_POOL, 64)).replace(/0\/24$/, '77');
    const r = await cli(['check', 'exp2', '--target', free!]);
    expectClean(r, 2, new RegExp(`^error: --target ${free!.replace(/\./g, '\\.')} is in the lab's address pool .* but no network on this engine holds it$`), /would leave this machine/);
  }, 120_000);
});
