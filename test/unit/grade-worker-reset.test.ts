// The worker's reset on a scripted fake engine: which nodes are recreated and why, that nothing runs in
// a container whose file system changed before it is recreated, and that a lingering old worker is
// killed rather than left to answer the next student (the e2e tests cannot make one on demand).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { seedWorkspace } from '../../src/workspace/seed.js';
import { GradeWorker } from '../../src/grade/worker.js';
import { parseEndpoint } from '../../src/grade/engine-endpoint.js';
import type { ExecResult, FsChange } from '../../src/runtime/types.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

const exp2 = loadLab('exp2');
const LAB = 'gw-w1';
const NODES = [
  ['haproxy1', 'haproxy'],
  ['haproxy2', 'haproxy'],
  ['nginx1', 'nginx'],
  ['nginx2', 'nginx'],
  ['nginx3', 'nginx'],
] as const;
const ENV = ['HOSTNAME=x', 'LAB_OFFICE_NET=172.28.28.0/24', 'HAPROXY_PROCESSES=|type=m'];
const LIMITS = 'Max open files 20000 20000 files';
const BASE_PATHS = ['/run', '/run/lab-master.sock'];

/** A fake engine whose HAProxy and Nginx answer as the real ones do to lab's scripts. */
class Engine extends FakeRuntime {
  worker = new Map<string, number>();
  old = new Map<string, string[]>();
  env = new Map<string, string[]>();
  execLog: string[] = [];
  constructor() {
    super();
    this.execResults.push((name, cmd) => this.answer(name, cmd));
  }
  private ok(stdout: string): ExecResult {
    return { exitCode: 0, stdout, stderr: '' };
  }
  answer(name: string, cmd: string[]): ExecResult | undefined {
    const node = name.slice(LAB.length + 1);
    const script = cmd.join(' ');
    this.execLog.push(`${node}: ${cmd[0] === 'kill' ? script : script.includes('@@env') ? 'state' : script.includes('@@pid') ? 'ps' : 'other'}`);
    const w = this.worker.get(node) ?? 100;
    // A reload: one exec that signals the master from inside and prints the states before and after.
    if (/kill -(USR2|HUP) "\$m"/.test(script)) {
      const procs = (x: number) => (node.startsWith('haproxy') ? `7 master ${x - 100} [failed: 0] 0d 2.6\n# workers\n${x} worker 0 0d 2.6\n# programs` : `${x}`);
      this.worker.set(node, w + 1);
      this.execLog[this.execLog.length - 1] = `${node}: reload`;
      return this.ok(`@@before\n${procs(w)}\n@@after\n${procs(w + 1)}\n`);
    }
    if (cmd[0] === 'kill') {
      this.old.set(node, (this.old.get(node) ?? []).filter((p) => !cmd.includes(p)));
      return this.ok('');
    }
    if (node.startsWith('haproxy')) {
      const old = this.old.get(node) ?? [];
      const proc = `7 master ${w} [failed: 0] 0d 2.6\n# workers\n${w} worker 0 0d 2.6\n${old.length ? `# old workers\n${old.map((p) => `${p} worker 1 0d 2.6`).join('\n')}\n` : ''}# programs\n`;
      if (script.includes('@@env')) return this.ok(`${proc}@@env\n${(this.env.get(node) ?? ENV).join('\n')}\n@@limits\n${LIMITS}\n`);
      return this.ok(proc.replace(/^7 master (\d+)/m, `7               master          $1`));
    }
    if (script.includes('@@pid')) return this.ok(`6 1 nginx: master process nginx\n${w} 6 nginx: worker process\n@@pid\n6\n`);
    if (script.includes('pgrep')) return this.ok(`${w} nginx: worker process\n`);
    return undefined;
  }
  async signal(name: string, sig: string) {
    await super.signal(name, sig);
    const node = name.slice(LAB.length + 1);
    this.worker.set(node, (this.worker.get(node) ?? 100) + 1);
  }
}

let dir: string;
let rt: Engine;
let worker: GradeWorker;
let recreated: string[][];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-reset-'));
  rt = new Engine();
  for (const [node, role] of NODES) {
    await rt.createContainer({ name: `${LAB}-${node}`, hostname: node, image: 'x', labels: { 'lab.name': LAB, 'lab.node': node, 'lab.role': role }, env: {}, endpoints: [], mounts: [], capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 1 });
    await rt.startContainer(`${LAB}-${node}`);
    rt.fsChanges.set(`${LAB}-${node}`, BASE_PATHS.map((p) => ({ path: p, kind: 'added' as const })));
  }
  worker = new GradeWorker({ id: 'w1', labName: LAB, lab: exp2, rootDir: dir, certsDir: dir, runtime: rt, engine: parseEndpoint('unix:///var/run/docker.sock'), lang: 'en', readyTimeoutMs: 1000 });
  seedWorkspace(exp2, worker.workspaceDir);
  const { observeLab } = await import('../../src/lifecycle/observe.js');
  worker.view = await observeLab(rt, LAB);
  worker.baseline = { nodes: Object.fromEntries(NODES.map(([n, role]) => [`${LAB}-${n}`, role === 'haproxy' ? { paths: BASE_PATHS, env: ENV, limits: LIMITS } : { paths: BASE_PATHS }])) };
  recreated = [];
  // Recreation is `lab up` on a real engine; here it records what it was asked and leaves fresh nodes.
  const w = worker as unknown as { recreate: (cs: string[]) => Promise<void>; verify: (cs: string[]) => Promise<string[]> };
  w.recreate = async (cs) => {
    recreated.push(cs.map((c) => c.slice(LAB.length + 1)));
    for (const c of cs) rt.fsChanges.set(c, BASE_PATHS.map((p) => ({ path: p, kind: 'added' as const })));
  };
  w.verify = async () => [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const say = () => undefined;
const touched = (node: string) => rt.execLog.filter((l) => l.startsWith(`${node}:`));

describe('GradeWorker.reset', () => {
  it('reloads every node with the start files and recreates nothing when all are at their baseline', async () => {
    const r = await worker.reset(say, { recreate: [] });
    expect(r.recreated).toEqual([]);
    expect(recreated).toEqual([]);
    expect(rt.execLog.filter((l) => l.endsWith(': reload')).length).toBe(5);
    expect(rt.calls.filter((c) => c.startsWith('signal'))).toEqual([]);
    expect(worker.atStart).toBe(true);
  });

  it('kills an old HAProxy worker that would otherwise answer the next student', async () => {
    rt.old.set('haproxy1', ['41']);
    const r = await worker.reset(say, { recreate: [] });
    expect(rt.execLog).toContain('haproxy1: kill -9 41');
    expect(r.recreated).toEqual([]);
  });

  it('recreates a node whose file system changed, without running anything in it first', async () => {
    const changes: FsChange[] = [...BASE_PATHS.map((p) => ({ path: p, kind: 'added' as const })), { path: '/etc/nginx/sites-enabled/evil.conf', kind: 'added' }];
    rt.fsChanges.set(`${LAB}-nginx2`, changes);
    const r = await worker.reset(say, { recreate: [] });
    expect(r.recreated).toEqual([{ node: 'nginx2', why: ['files changed: /etc/nginx/sites-enabled/evil.conf'] }]);
    expect(recreated).toEqual([['nginx2']]);
    expect(touched('nginx2')).toEqual([]);
    expect(rt.calls.filter((c) => c.includes(`${LAB}-nginx2`) && (c.startsWith('signal') || c.includes('kill -HUP')))).toEqual([]);
  });

  it('recreates HAProxy nodes whose master kept another environment, and stopped nodes, and nodes that ran allowed code', async () => {
    rt.env.set('haproxy2', [...ENV, 'LAB_SNEAKY=yes']);
    await rt.stopContainer(`${LAB}-nginx3`);
    const r = await worker.reset(say, { recreate: [`${LAB}-haproxy1`] });
    const why = Object.fromEntries(r.recreated.map((x) => [x.node, x.why.join('; ')]));
    expect(Object.keys(why).sort()).toEqual(['haproxy1', 'haproxy2', 'nginx3']);
    expect(why.haproxy1).toBe('ran code the experiment allows');
    expect(why.haproxy2).toMatch(/environment changed \(\+LAB_SNEAKY=yes\)/);
    expect(why.nginx3).toBe('it is exited');
  });

  it('looks at the file system again after the reload: a file written meanwhile is caught too', async () => {
    const late = [...BASE_PATHS.map((p) => ({ path: p, kind: 'added' as const })), { path: '/tmp/late', kind: 'added' as const }];
    let calls = 0;
    const real = rt.changes.bind(rt);
    rt.changes = async (name: string) => (name === `${LAB}-haproxy2` && ++calls > 1 ? late : real(name));
    const r = await worker.reset(say, { recreate: [] });
    expect(r.recreated).toEqual([{ node: 'haproxy2', why: ['files changed: /tmp/late'] }]);
  });
});
