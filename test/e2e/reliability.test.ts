// What goes wrong in a student's or teacher's week, on a real engine: a course update that changes a
// director image, a second checkout with the same lab name, a workspace folder replaced under a running
// lab, containers and networks removed behind lab's back, `lab up` interrupted at many points (SIGINT
// and SIGKILL), and two commands on one lab at once. Each ends in a healthy lab or a clear refusal, and
// `lab down` always leaves nothing labelled behind.
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearContextCache, imageRefs, imagesTemplateDir, resolveBaseRef } from '../../src/images/index.js';
import { labStatus } from '../../src/lifecycle/status.js';
import { downLab } from '../../src/lifecycle/down.js';
import { OwnershipError } from '../../src/lifecycle/up.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab as cli } from '../helpers/cli.js';
import { shareCerts, startLab, uniqueLabName, type TestLab } from '../helpers/lab.js';
import { aloneOnTheEngine } from '../helpers/alone.js';

aloneOnTheEngine('reliability');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const runtime = new DockerRuntime();

/** Every labelled container and network of a lab (the lock included). */
async function leftovers(name: string): Promise<string[]> {
  const [c, n] = await Promise.all([runtime.listContainers({ 'lab.name': name }), runtime.listNetworks({ 'lab.name': name })]);
  return [...c.map((x) => `container ${x.name}`), ...n.map((x) => `network ${x.name}`)];
}

/** A healthy lab: every expected node ready, nothing missing, one VIP holder. */
async function expectHealthy(name: string): Promise<void> {
  const s = await labStatus(runtime, name);
  expect(s.missing, JSON.stringify(s.missing)).toEqual([]);
  expect(s.nodes.filter((n) => !n.healthy).map((n) => `${n.name} ${n.state} ${n.readiness}`)).toEqual([]);
  expect(s.nodes).toHaveLength(12);
  expect(['lvs1', 'lvs2']).toContain(s.vip.holder);
}

describe('one lab through a week of accidents', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab('exp2', 'rel');
  }, 600_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('a course update that changes the director image recreates exactly the directors, and lab up succeeds', async () => {
    const dockerfile = path.join(imagesTemplateDir, 'director', 'Dockerfile');
    const original = readFileSync(dockerfile, 'utf8');
    const before = imageRefs(await resolveBaseRef(runtime)).director!;
    let after = '';
    try {
      // A comment changes the build context (so the tag) but no layer: the rebuild is quick.
      appendFileSync(dockerfile, `# course update ${lab.name}\n`);
      clearContextCache();
      after = imageRefs(await resolveBaseRef(runtime)).director!;
      expect(after).not.toBe(before);
      const r = await lab.up();
      expect(r.recreated.sort()).toEqual([`${lab.name}-lvs1`, `${lab.name}-lvs2`]);
      await expectHealthy(lab.name);
    } finally {
      writeFileSync(dockerfile, original);
      clearContextCache();
    }
    const back = await lab.up();
    expect(back.recreated.sort()).toEqual([`${lab.name}-lvs1`, `${lab.name}-lvs2`]);
    await runtime.removeImage(after);
  });

  it('a second checkout with the same lab name is told whose lab it is, and changes nothing', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'lab-other-checkout-'));
    try {
      const r = await cli(['-n', lab.name, 'up', 'exp2', '--yes'], { runtime, cwd: other });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: lab "${lab.name}" belongs to ${lab.cwd}`);
      expect(r.stderr).toMatch(/hint: Give this folder a lab of its own with `lab -n <name> up`/);
      const s = await labStatus(runtime, lab.name);
      expect(s.workspace).toBe(lab.result.workspaceDir);
      expect(OwnershipError.name).toBe('OwnershipError');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a replaced workspace folder is noticed by lab apply, repaired by recreating the nodes that mount it, and then served', async () => {
    const ws = lab.result.workspaceDir;
    const backup = path.join(lab.cwd, 'ws-backup');
    cpSync(ws, backup, { recursive: true });
    // The student restores a backup the blunt way; the new copy has a frontend the old one lacks.
    writeFileSync(
      path.join(backup, 'haproxy', 'haproxy.cfg'),
      `${readFileSync(path.join(backup, 'haproxy', 'haproxy.cfg'), 'utf8')}\nfrontend marker\n    bind *:8082\n    http-request return status 200 content-type text/plain string replaced-folder\n`,
    );
    rmSync(ws, { recursive: true, force: true });
    cpSync(backup, ws, { recursive: true });
    const r = await cli(['-n', lab.name, 'apply'], { runtime, cwd: lab.cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/workspace\/exp2(\/haproxy)?.* replaced after .*haproxy1.*haproxy2.*: recreated them/);
    const served = await runtime.exec(`${lab.name}-haproxy1`, ['sh', '-c', 'curl -s -m 2 http://127.0.0.1:8082/'], { timeoutMs: 10_000 });
    expect(served.stdout).toBe('replaced-folder');
    // The config HAProxy validates and the grader reads is the new file.
    const seen = await runtime.exec(`${lab.name}-haproxy2`, ['cat', '/etc/haproxy/haproxy.cfg'], { timeoutMs: 5000 });
    expect(seen.stdout).toContain('frontend marker');
    await expectHealthy(lab.name);
  });

  it('a director killed outright (SIGKILL, as in a power cut) starts again with lab up', async () => {
    // Its keepalived leaves pid files behind; the restarted container must not take them for a live daemon.
    await runtime.signal(`${lab.name}-lvs1`, 'SIGKILL');
    for (let i = 0; i < 40 && (await runtime.inspectContainer(`${lab.name}-lvs1`))?.state === 'running'; i++) await new Promise((r) => setTimeout(r, 250));
    const r = await lab.up();
    expect(r.recreated).toEqual([]);
    await expectHealthy(lab.name);
  });

  it('a container removed, a node stopped and a network deleted behind lab\'s back: status says so, up repairs', async () => {
    await runtime.removeContainer(`${lab.name}-haproxy2`);
    await runtime.stopContainer(`${lab.name}-nginx1`, 2);
    // `docker network rm` needs the network empty: detach the directors as a user would, then remove it.
    await runtime.removeContainer(`${lab.name}-office`);
    const { execa } = await import('execa');
    for (const d of ['lvs1', 'lvs2']) await execa('docker', ['network', 'disconnect', '-f', `${lab.name}-office`, `${lab.name}-${d}`]);
    await runtime.removeNetwork(`${lab.name}-office`);
    const st = await cli(['-n', lab.name, 'status'], { runtime, cwd: lab.cwd });
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/nginx1\s+nginx\s+exited\s+stopped/);
    expect(st.stdout).toContain(`missing: haproxy2, office, network ${lab.name}-office`);
    const json = JSON.parse((await cli(['-n', lab.name, 'status', '--json'], { runtime, cwd: lab.cwd })).stdout);
    expect(json.missing).toEqual(['haproxy2', 'office', `network ${lab.name}-office`]);
    const r = await lab.up();
    expect(r.recreated.sort()).toEqual([`${lab.name}-haproxy2`, `${lab.name}-lvs1`, `${lab.name}-lvs2`, `${lab.name}-office`]);
    await expectHealthy(lab.name);
  });

  it('a second network of one name (two creates raced): lab up removes the twin by its ID and recreates nothing', async () => {
    const office = (await runtime.listNetworks({ 'lab.name': lab.name })).find((n) => n.name === `${lab.name}-office`)!;
    const twin = await createTwinNetwork(office.name, office.labels, '10.254.77.0/24');
    expect((await runtime.listNetworks({ 'lab.name': lab.name })).filter((n) => n.name === office.name)).toHaveLength(2);
    const r = await lab.up();
    expect(r.recreated).toEqual([]);
    const left = (await runtime.listNetworks({ 'lab.name': lab.name })).filter((n) => n.name === office.name);
    expect(left.map((n) => n.id)).toEqual([office.id]);
    expect(left.map((n) => n.id)).not.toContain(twin);
    await expectHealthy(lab.name);
  });
});

/**
 * A network named like one of the lab's, made as two racing creates make one: straight on the engine's
 * API with CheckDuplicate off (the docker CLI refuses a taken name). A subnet outside lab's range.
 */
function createTwinNetwork(name: string, labels: Record<string, string>, subnet: string): Promise<string> {
  const body = JSON.stringify({ Name: name, CheckDuplicate: false, Labels: labels, IPAM: { Config: [{ Subnet: subnet }] } });
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: '/var/run/docker.sock', path: '/networks/create', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let out = '';
      res.on('data', (c: Buffer) => (out += c.toString()));
      res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(out).Id as string) : reject(new Error(`${res.statusCode} ${out}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs the built binary; resolves with its exit code and output. `killAt` sends a signal when stderr shows a line. */
function runBin(args: string[], cwd: string, killAt?: { line: RegExp; signal: NodeJS.Signals }) {
  const child = spawn('node', [bin, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' } });
  let stderr = '';
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (killAt && !sent && killAt.line.test(stderr)) {
      sent = true;
      child.kill(killAt.signal);
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; killed: boolean }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, killed: sent })),
  );
}

// Three cases at a time (the project's maxConcurrency), each with a lab and a folder of its own: the
// cases wait mostly on the engine and on VRRP, and one after another they took half of this file's time.
describe('lab up interrupted at many points, then up again, then down', () => {

  // Markers are lines the simple (CI) renderer prints as work starts.
  const points: { at: string; line: RegExp }[] = [
    { at: 'the engine check', line: /Docker engine/ },
    { at: 'workspace and certificates', line: /Workspace and certificates|Workspace workspace/ },
    { at: 'planning', line: /Plan/ },
    { at: 'network creation', line: /create network/ },
    { at: 'container creation', line: /create container/ },
    { at: 'container start', line: /start container/ },
    { at: 'the readiness wait', line: /Wait until every node is ready/ },
  ];
  const cases = [
    ...points.map((p) => ({ ...p, signal: 'SIGINT' as const })),
    ...points.filter((p) => /network|container|readiness/.test(p.at)).map((p) => ({ ...p, signal: 'SIGKILL' as const })),
  ];

  it.concurrent.each(cases)('$signal during $at: the next lab up converges to a healthy lab, lab down leaves nothing', async ({ at, line, signal }) => {
    const name = uniqueLabName('intr');
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-interrupt-'));
    // The run's certificates, but where the interruption is while lab makes them.
    if (at !== 'workspace and certificates') shareCerts(cwd);
    try {
      const first = await runBin(['-n', name, 'up', 'exp2', '--yes'], cwd, { line, signal });
      if (first.killed && signal === 'SIGINT') {
        // Stopped promptly, saying so and what exists.
        expect(first.code, first.stderr).toBe(130);
        expect(first.stderr).toMatch(/error: lab up was interrupted during "[^"]+"\./);
        expect(first.stderr).toContain('Run `lab up` again');
        // No lock left behind by an interrupted up.
        expect((await leftovers(name)).filter((l) => l.endsWith('-lock'))).toEqual([]);
      }
      if (first.killed && signal === 'SIGKILL') expect(first.signal).toBe('SIGKILL');
      const again = await runBin(['-n', name, 'up', 'exp2', '--yes'], cwd);
      expect(again.code, again.stderr).toBe(0);
      await expectHealthy(name);
    } finally {
      await downLab(runtime, name);
      rmSync(cwd, { recursive: true, force: true });
      expect(await leftovers(name)).toEqual([]);
    }
  }, 600_000);
});

describe('lab down and two networks of one name', () => {
  it('removes both (by ID; the name alone is ambiguous to the engine)', async () => {
    const name = uniqueLabName('twin');
    const labels = { 'lab.name': name, 'lab.network': 'office' };
    try {
      await createTwinNetwork(`${name}-office`, labels, '10.254.78.0/24');
      await createTwinNetwork(`${name}-office`, labels, '10.254.79.0/24');
      expect(await leftovers(name)).toEqual([`network ${name}-office`, `network ${name}-office`]);
      const r = await downLab(runtime, name);
      expect(r.networks).toEqual([`${name}-office`, `${name}-office`]);
      expect(await leftovers(name)).toEqual([]);
    } finally {
      for (const n of await runtime.listNetworks({ 'lab.name': name })) await runtime.removeNetwork(n.id);
    }
  });
});

describe('two commands on one lab at once', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-concurrent-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('two lab up: one waits for the other; one set of containers, healthy', async () => {
    const name = uniqueLabName('conc');
    try {
      const [a, b] = await Promise.all([runBin(['-n', name, 'up', 'exp2', '--yes'], cwd), runBin(['-n', name, 'up', 'exp2', '--yes'], cwd)]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(`${a.stderr}${b.stderr}`).toMatch(/waiting for `lab up` \(pid \d+/);
      expect((await runtime.listContainers({ 'lab.name': name })).length).toBe(12);
      await expectHealthy(name);
    } finally {
      await downLab(runtime, name);
    }
  }, 600_000);

  it('lab up and lab down at once: the lab ends whole or gone, never half', async () => {
    const name = uniqueLabName('updown');
    try {
      await runBin(['-n', name, 'up', 'exp2', '--yes'], cwd);
      // A changed workspace makes the second up do real work while down runs.
      appendFileSync(path.join(cwd, 'workspace', 'exp2', 'haproxy', 'haproxy.cfg'), '\n# touched\n');
      const [up, down] = await Promise.all([runBin(['-n', name, 'up', 'exp2', '--yes'], cwd), runBin(['-n', name, 'down'], cwd)]);
      expect(down.code, down.stderr).toBe(0);
      const n = (await runtime.listContainers({ 'lab.name': name })).length;
      if (n > 0) {
        expect(up.code, up.stderr).toBe(0);
        await expectHealthy(name);
      } else {
        expect(await leftovers(name)).toEqual([]);
      }
    } finally {
      await downLab(runtime, name);
      expect(await leftovers(name)).toEqual([]);
    }
  }, 600_000);
});
