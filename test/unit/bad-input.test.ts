// The bad-input corpus, in-process: one row per mistake a student or teacher can make, each with the
// exit code, the one error line (naming the file and line where there is one), the hint with the fix,
// and no stack trace. Rows that could lose or break something also prove nothing was lost and nothing
// broken reached a container. Cases that need a real engine are in test/e2e/bad-input.test.ts.
//
// "Not writable" is tested two ways that deny root too (these tests run as root): a file standing where
// a folder should be (ENOTDIR, everywhere), and a read-only tmpfs (EROFS, where this process may mount).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { lab, type CliRun } from '../helpers/cli.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { buildTopology } from '../../src/topology/build.js';
import { vrrpAddresses } from '../../src/topology/kinds/director.js';
import { planUp } from '../../src/topology/plan.js';
import { executePlan } from '../../src/lifecycle/execute.js';
import { silentProgress } from '../../src/progress/progress.js';
import { RecordingWriter } from '../../src/util/file-writer.js';
import { loadLab } from '../../src/labs/load.js';
import { seedWorkspace } from '../../src/workspace/seed.js';
import { ensureCerts, DEFAULT_DOMAINS, leafPaths, caPaths } from '../../src/certs/index.js';
import { assertTargetReachable } from '../../src/checks/context.js';
import { labsDir } from '../../src/util/paths.js';
import type { Deps } from '../../src/cli/deps.js';

// ---------------------------------------------------------------------------------------------------
// What every row must show.

interface Ctx {
  /** A fresh project folder for this row. */
  dir: string;
  /** A file standing where a folder should be. */
  file: string;
  rt: FakeRuntime;
  deps: Partial<Deps>;
}

interface Row {
  case: string;
  run(ctx: Ctx): Promise<CliRun>;
  code: number;
  error: RegExp;
  hint?: RegExp;
  /** Nothing lost, nothing applied: what else the row must prove. */
  after?(r: CliRun, ctx: Ctx): void | Promise<void>;
  skip?: () => string | false;
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

function expectClean(row: Row, r: CliRun): void {
  const all = `${r.stderr}\n${r.stdout}`;
  expect(r.code, all).toBe(row.code);
  const line = all.split('\n').find((l) => row.error.test(l));
  expect(line, `no line matches ${row.error}:\n${all}`).toBeDefined();
  if (row.hint) expect(all).toMatch(row.hint);
  expect(all, 'a stack trace was printed').not.toMatch(STACK);
  expect(all, 'reported as a bug in lab').not.toMatch(/internal error/);
  // A binary file's bytes must never reach the terminal.
  // eslint-disable-next-line no-control-regex
  expect(all).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/);
}

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

function newCtx(): Ctx {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-bad-'));
  tmpRoots.push(dir);
  const file = path.join(dir, 'in-the-way');
  writeFileSync(file, 'a file where a folder should be\n');
  const rt = new FakeRuntime();
  return { dir, file, rt, deps: { runtime: rt, cwd: dir } };
}

const cli = (argv: string[]) => (ctx: Ctx) => lab(argv, ctx.deps);

// ---------------------------------------------------------------------------------------------------
// Fixtures: an experiment folder to break, a running lab on the fake engine, certificates.

/** A copy of labs/exp2 under ctx.dir/labs/exp2 whose lab.yaml is edited by `edit`. */
function brokenLab(ctx: Ctx, edit: (text: string) => string | Buffer): string {
  const dir = path.join(ctx.dir, 'labs', 'exp2');
  cpSync(path.join(labsDir, 'exp2'), dir, { recursive: true });
  const file = path.join(dir, 'lab.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

const validate = (edit: (text: string) => string | Buffer) => (ctx: Ctx) => lab(['validate', brokenLab(ctx, edit)], ctx.deps);

const SUBNETS = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24', office: '172.28.4.0/24' };

/** The lab "lab" running `experiment` on the fake engine, its workspace seeded under ctx.dir. */
async function runningLab(ctx: Ctx, experiment = 'exp2'): Promise<{ workspace: string }> {
  const workspace = path.join(ctx.dir, 'workspace', experiment);
  seedWorkspace(loadLab(experiment), workspace);
  const topology = buildTopology({
    lab: 'lab',
    experiment,
    forwarding: 'nftables',
    images: { client: 'lab-client:1', director: 'lab-director:1', haproxy: 'lab-haproxy:1', nginx: 'lab-nginx:1', app: 'lab-app:1' },
    subnets: SUBNETS,
    ...vrrpAddresses(SUBNETS),
    rootDir: ctx.dir,
    workspaceDir: workspace,
    certsDir: path.join(ctx.dir, 'certs'),
    stateDir: path.join(ctx.dir, '.lab', 'lab'),
    domains: DEFAULT_DOMAINS,
    nginxTls: false,
    keepalived: 'lab',
    inodeOf: () => 0,
  });
  const plan = planUp({ topology, files: [], dirs: [] }, { networks: [], containers: [], applied: {}, files: {}, dirs: {} });
  await executePlan(ctx.rt, plan, { writer: new RecordingWriter(), workspaceRoot: 'w', experiment, keepalived: 'lab', onApplied: () => {} }, silentProgress());
  ctx.rt.calls = [];
  return { workspace };
}

/** `lab apply` on a running exp2 whose workspace file `rel` holds `content`. */
const applyWith = (rel: string, content: string | Buffer) => async (ctx: Ctx) => {
  const { workspace } = await runningLab(ctx);
  writeFileSync(path.join(workspace, rel), content);
  return lab(['apply'], ctx.deps);
};

/** No command of any kind reached these containers (no validation, no reload). */
function untouched(ctx: Ctx, role: string): void {
  const touched = ctx.rt.calls.filter((c) => /^(exec|signal) /.test(c) && c.split(' ')[1]!.includes(`-${role}`));
  expect(touched, `${role} containers were touched`).toEqual([]);
}

/** Reloads that reached a role's containers: the engine's signal, or lab's reload script (it signals from inside). */
const reloads = (ctx: Ctx, role: string) => ctx.rt.calls.filter((c) => c.includes(`-${role}`) && (c.startsWith('signal') || /\bkill -(USR2|HUP)\b/.test(c)));

/** The fake engine answers like a lab whose lvs1 holds the VIP and whose nodes are ready. */
function engineOfALab(rt: FakeRuntime): void {
  rt.execResults.push((name, cmd) => {
    if (cmd[0] !== 'ip') return undefined;
    const vip = rt.containers.get(name)?.spec?.env.LAB_VIP;
    return { exitCode: 0, stdout: name.endsWith('-lvs1') && vip ? `2: eth0    inet ${vip}/24 scope global eth0\n` : '', stderr: '' };
  });
}

let certsCache: string | undefined;
/** A valid certificate folder (made once, copied per row). */
async function certsIn(ctx: Ctx): Promise<string> {
  if (!certsCache) {
    certsCache = mkdtempSync(path.join(os.tmpdir(), 'lab-bad-certs-'));
    tmpRoots.push(certsCache);
    await ensureCerts({ outDir: certsCache });
  }
  const out = path.join(ctx.dir, 'certs');
  cpSync(certsCache, out, { recursive: true });
  return out;
}

function swapLeafKeys(certs: string, a: string, b: string): void {
  const ka = leafPaths(certs, a).key;
  const kb = leafPaths(certs, b).key;
  renameSync(ka, `${ka}.tmp`);
  renameSync(kb, ka);
  renameSync(`${ka}.tmp`, kb);
}

// A read-only tmpfs denies root as well; mounting one needs CAP_SYS_ADMIN (root on these machines).
let roMount: string | undefined;
function readOnlyFolder(): string | undefined {
  if (roMount !== undefined) return roMount || undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'lab-ro', dir], { stdio: 'ignore' });
    roMount = dir;
  } catch {
    roMount = '';
    rmSync(dir, { recursive: true, force: true });
  }
  return roMount || undefined;
}
afterAll(() => {
  if (roMount) {
    execFileSync('umount', [roMount]);
    rmSync(roMount, { recursive: true, force: true });
  }
});
const needsRo = () => (readOnlyFolder() ? false : 'this process may not mount a read-only tmpfs');

// An engine that goes away mid-run: a Docker API on a unix socket of our own that answers `lab exec`'s
// first two requests (a running client container), then vanishes before the exec (the socket file is
// gone) or in the middle of it (the connection drops).
const CLIENT = [{ Id: 'c1', Names: ['/lab-client'], Image: 'lab-client:1', State: 'running', Status: 'Up', NetworkSettings: { Networks: {} }, Labels: { 'lab.name': 'lab', 'lab.node': 'client', 'lab.role': 'client', 'lab.experiment': 'exp2' } }];

function vanishingEngine(ctx: Ctx, mode: 'between' | 'mid-request'): DockerRuntime {
  const socketPath = path.join(ctx.dir, 'docker.sock');
  let answered = 0;
  const vanish = () => {
    server.close();
    if (existsSync(socketPath)) unlinkSync(socketPath);
  };
  const server: Server = createServer((conn) => {
    conn.on('data', (req) => {
      const first = req.toString().split('\r\n')[0] ?? '';
      const body = /^GET \S*\/networks/.test(first) ? '[]' : /^GET \S*\/containers\/json/.test(first) ? JSON.stringify(CLIENT) : undefined;
      if (body === undefined) {
        conn.destroy(); // mid-request: the engine dies with the request in flight
        vanish();
        return;
      }
      conn.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      if (++answered === 2 && mode === 'between') vanish();
    });
  });
  server.listen(socketPath);
  return new DockerRuntime({ socketPath });
}

// A local listener on a free port of 127.0.0.1 (a held --publish port), in a child process so the
// error can name it by pid.
async function holdPort(): Promise<{ port: number; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},600000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, pid: child.pid!, stop: () => child.kill() };
}

// ---------------------------------------------------------------------------------------------------
// The corpus.

const BAD_HAPROXY = `global\n    log stdout format raw local0\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\nfrontend web\n    bind :80\n    block if { path_beg /admin }\n    default_backend b\nbackend b\n    server s1 nginx1:10080\n`;
const HAPROXY_BLOCK_OUTPUT = "[ALERT]    (31) : config : parsing [/etc/haproxy/haproxy.cfg:10] : The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.\n[ALERT]    (31) : config : Error(s) found in configuration file : /etc/haproxy/haproxy.cfg";
const NGINX_OUTPUT = '2026/11/25 09:48:46 [emerg] 15967#15967: unknown directive "servr_name" in /etc/nginx/conf.d/go-backend.liujun.com.conf:3\nnginx: configuration file /etc/nginx/nginx.conf test failed';

const rows: Row[] = [
  // ---- lab.yaml (through `lab validate`, the command experiment authors run)
  { case: 'lab.yaml: YAML syntax error', run: validate((t) => t.replace(/^title:/m, 'title: : x\n  oops:')), code: 1, error: /lab\.yaml:\d+: YAML syntax error/, hint: /hint: Fix: check the indentation/ },
  { case: 'lab.yaml: wrong type (points: "ten")', run: validate((t) => t.replace(/points: \d+/, 'points: ten')), code: 1, error: /lab\.yaml:\d+: checks\[0\]\.points: expected number, got string/, hint: /hint: Fix: give checks\[0\]\.points a number/ },
  { case: 'lab.yaml: unknown top-level key', run: validate((t) => `${t}\ntitel: typo\n`), code: 1, error: /lab\.yaml:\d+: titel: unknown key "titel"/, hint: /allowed here: .*title/ },
  { case: 'lab.yaml: unknown key in a check', run: validate((t) => t.replace(/^(\s+)points: (\d+)/m, '$1points: $2\n$1pionts: 1')), code: 1, error: /lab\.yaml:\d+: checks\[0\]\.pionts: unknown key "pionts"/, hint: /allowed here: .*points/ },
  { case: 'lab.yaml: required key missing', run: validate((t) => t.replace(/^workspace:\n(\s+-.*\n)+/m, '')), code: 1, error: /lab\.yaml(:\d+)?: workspace: required/, hint: /hint: Fix: add `workspace:`/ },
  { case: 'lab.yaml: duplicate key', run: validate((t) => t.replace(/^(id: .*)$/m, '$1\n$1')), code: 1, error: /lab\.yaml:\d+: YAML syntax error: Map keys must be unique/, hint: /remove one of the two keys/ },
  { case: 'lab.yaml: id does not match the folder', run: validate((t) => t.replace(/^id: .*$/m, 'id: exp9')), code: 1, error: /lab\.yaml:\d+: id is "exp9" but the folder is "exp2"/, hint: /set `id: exp2`/ },
  { case: 'lab.yaml: a step verifies an unknown check', run: validate((t) => t.replace(/(verify:\s*\n\s+checks: \[)([^\],]+)/, '$1no-such-check')), code: 1, error: /lab\.yaml:\d+: steps\[\d+\]\.verify\.checks\[0\]: no check "no-such-check"/, hint: /Fix: use one of / },
  { case: 'lab.yaml: a step runs on an unknown node', run: validate((t) => t.replace(/node: client/, 'node: haproxy3')), code: 1, error: /lab\.yaml:\d+: steps\[\d+\]\.run\[\d+\]\.node: no node "haproxy3"/, hint: /Fix: use one of client, office/ },
  { case: 'lab.yaml: a workspace path leaves the workspace', run: validate((t) => t.replace(/^workspace:\n/m, 'workspace:\n  - ../../etc/passwd\n')), code: 1, error: /lab\.yaml:\d+: workspace\[0\]: "\.\.\/\.\.\/etc\/passwd" leaves the workspace/, hint: /relative to the workspace/ },
  { case: 'lab.yaml: empty', run: validate(() => ''), code: 1, error: /lab\.yaml: id: required/, hint: /add `id:`/ },
  { case: 'lab.yaml: binary', run: validate(() => Buffer.from([0x69, 0x64, 0x3a, 0x00, 0xff, 0x01, 0x02])), code: 1, error: /lab\.yaml:1: is a binary file/, hint: /hint: / },
  { case: 'lab.yaml: not UTF-8 (Latin-1)', run: validate((t) => Buffer.concat([Buffer.from(t), Buffer.from('# caf\xe9\n', 'latin1')])), code: 1, error: /lab\.yaml:\d+: is not UTF-8 text/, hint: /Save it as UTF-8/ },
  { case: 'lab validate: no such path', run: (ctx) => lab(['validate', path.join(ctx.dir, 'nothere')], ctx.deps), code: 1, error: /nothere: no such file or folder/, hint: /pass an experiment folder/ },

  // ---- unknown experiments, commands, flags and values
  { case: 'lab check nope: unknown experiment (not "start it")', run: cli(['check', 'nope']), code: 2, error: /^error: unknown experiment "nope"$/, hint: /Choose one of: exp1, exp2/, after: (r) => expect(r.stderr).not.toMatch(/lab up nope|not running/) },
  { case: 'lab up epx2: closest experiment suggested', run: cli(['up', 'epx2']), code: 2, error: /^error: unknown experiment "epx2"$/, hint: /Did you mean exp2\?/ },
  { case: 'lab guide nope', run: cli(['guide', 'nope', '--print']), code: 2, error: /^error: unknown experiment "nope"$/, hint: /Choose one of/ },
  { case: 'lab reset exp9', run: cli(['reset', 'exp9', '--yes']), code: 2, error: /^error: unknown experiment "exp9"$/, hint: /Choose one of/ },
  { case: 'unknown command', run: cli(['chek', 'exp2']), code: 2, error: /unknown command 'chek'/, hint: /Did you mean check\?/ },
  { case: 'unknown flag', run: cli(['up', '--bogus']), code: 2, error: /^error: unknown option '--bogus'$/, hint: /^hint: .*lab up --help/m },
  { case: 'misspelt flag', run: cli(['status', '--jsno']), code: 2, error: /^error: unknown option '--jsno'$/, hint: /Did you mean --json\?/ },
  { case: 'missing argument', run: cli(['exec']), code: 2, error: /^error: missing required argument 'node'$/, hint: /^hint: .*lab exec --help/m },
  { case: 'bad lab name', run: cli(['--name', 'Bad_Name', 'status']), code: 2, error: /^error: invalid lab name "Bad_Name"$/, hint: /lowercase letters/ },
  { case: '--timeout not a number', run: cli(['up', '--timeout', 'abc']), code: 2, error: /^error: --timeout abc: expected a number of seconds$/, hint: /--timeout 90/ },
  { case: '--publish out of range', run: cli(['up', '--publish', '70000']), code: 2, error: /^error: --publish 70000: expected a port number$/, hint: /--publish 8080/ },
  { case: '--subnet without =', run: cli(['up', '--subnet', 'edge:172.30.8.0/24']), code: 2, error: /^error: --subnet edge:172\.30\.8\.0\/24: expected <network>=<cidr>$/, hint: /Networks are edge, proxy/ },
  { case: '--subnet not a CIDR', run: cli(['up', '--subnet', 'edge=10.0.0.0/33']), code: 2, error: /^error: --subnet edge=10\.0\.0\.0\/33: "10\.0\.0\.0\/33" is not an IPv4 subnet$/, hint: /edge=172\.30\.8\.0\/24/ },
  { case: '--subnet too small for the lab', run: cli(['up', '--subnet', 'edge=172.30.9.0/30']), code: 2, error: /^error: --subnet edge=172\.30\.9\.0\/30: too small/, hint: /\/24/ },
  { case: '--subnet outside the private ranges', run: cli(['up', '--subnet', 'edge=8.8.8.0/24']), code: 2, error: /^error: --subnet edge=8\.8\.8\.0\/24: not a private range/, hint: /10\.0\.0\.0\/8, 172\.16\.0\.0\/12 or 192\.168\.0\.0\/16/ },
  { case: '--days not a number', run: cli(['certs', '--days', 'x']), code: 2, error: /^error: --days takes a whole number of days, got "x"$/, hint: /--days 365/ },
  { case: '--retries out of range', run: cli(['check', 'exp2', '--retries', '99']), code: 2, error: /^error: --retries 99: expected 0\.\.10$/, hint: /--retries 0/ },
  { case: '--json with --tap', run: cli(['check', 'exp2', '--json', '--tap']), code: 2, error: /^error: --json and --tap both write to stdout$/, hint: /Choose one/ },
  { case: 'unknown fault', run: cli(['fault', 'app1', 'explode']), code: 2, error: /^error: unknown fault "explode"$/, hint: /Faults are: stop, start/ },
  { case: '--tail negative', run: cli(['logs', 'app1', '--tail', '-1']), code: 2, error: /^error: --tail -1: expected a whole number$/, hint: /--tail 20/ },

  // ---- unknown nodes (a running lab on the fake engine)
  { case: 'lab exec on an unknown node', run: async (ctx) => (await runningLab(ctx), lab(['exec', 'haproxy9', '--', 'true'], ctx.deps)), code: 2, error: /^error: no node "haproxy9" in lab "lab"$/, hint: /Nodes are: client, office, lvs1, lvs2, haproxy1/ },
  { case: 'lab logs of an unknown node', run: async (ctx) => (await runningLab(ctx), lab(['logs', 'nginx7'], ctx.deps)), code: 2, error: /^error: no node "nginx7" in lab "lab"$/, hint: /Nodes are: / },
  { case: 'an app fault on a director', run: async (ctx) => (await runningLab(ctx), lab(['fault', 'lvs1', 'unhealthy'], ctx.deps)), code: 2, error: /^error: unhealthy is a fault of app nodes; lvs1 is a director node$/, hint: /app1\.\.app3/ },
  { case: 'lab apply for another experiment than the running one', run: async (ctx) => (await runningLab(ctx), lab(['apply', 'exp3'], ctx.deps)), code: 2, error: /^error: lab "lab" runs exp2, not exp3$/, hint: /lab apply exp2/ },

  // ---- student files: refused on the host before any container sees them
  ...(
    [
      ['haproxy.cfg is binary', 'haproxy/haproxy.cfg', Buffer.concat([Buffer.from('global\n'), Buffer.from([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0xfe])]), /workspace\/exp2\/haproxy\/haproxy\.cfg:2: is a binary file/, /Nothing was sent to the container; haproxy1, haproxy2 keep running/],
      ['haproxy.cfg is not UTF-8', 'haproxy/haproxy.cfg', Buffer.from('global\n    # caf\xe9\n', 'latin1'), /workspace\/exp2\/haproxy\/haproxy\.cfg:2: is not UTF-8 text \(byte 0xe9/, /Save it as UTF-8/],
      ['haproxy.cfg is huge (3 MiB)', 'haproxy/haproxy.cfg', `global\n${'#'.repeat(3 * 1024 * 1024)}\n`, /workspace\/exp2\/haproxy\/haproxy\.cfg: is 3\.0 MiB; a config file over 1 MiB is not a config/, /restore it/],
      ['haproxy.cfg is empty', 'haproxy/haproxy.cfg', '\n  \n', /workspace\/exp2\/haproxy\/haproxy\.cfg: is empty/, /keep running on the last good config/],
      ['a map file beside haproxy.cfg is binary', 'haproxy/domains.map', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00]), /workspace\/exp2\/haproxy\/domains\.map:1: is a binary file/, /Nothing was sent/],
      ['an nginx server block is binary', 'nginx/conf.d/go-backend.liujun.com.conf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]), /workspace\/exp2\/nginx\/conf\.d\/go-backend\.liujun\.com\.conf:3: is a binary file/, /nginx1, nginx2, nginx3 keep running/],
      ['an nginx server block is not UTF-8', 'nginx/conf.d/stars.liujun.com.conf', Buffer.from('server { # \xfc\n}\n', 'latin1'), /workspace\/exp2\/nginx\/conf\.d\/stars\.liujun\.com\.conf:1: is not UTF-8 text/, /Save it as UTF-8/],
    ] as const
  ).map(([what, rel, content, error, hint]): Row => ({
    case: `lab apply: ${what}`,
    run: applyWith(rel, content),
    code: 1,
    error,
    hint,
    after: (r, ctx) => {
      const role = rel.startsWith('haproxy') ? 'haproxy' : 'nginx';
      untouched(ctx, role);
      // Nothing lost: the file is as the student left it.
      expect(readFileSync(path.join(ctx.dir, 'workspace', 'exp2', rel)).equals(Buffer.from(content as string | Buffer))).toBe(true);
    },
  })),
  {
    case: 'lab apply: haproxy -c rejects the config (errata: block)',
    run: async (ctx) => {
      ctx.rt.execResults.push((name, cmd) => (name.includes('-haproxy') && cmd[0] === 'haproxy' ? { exitCode: 1, stdout: '', stderr: HAPROXY_BLOCK_OUTPUT } : undefined));
      return applyWith('haproxy/haproxy.cfg', BAD_HAPROXY)(ctx);
    },
    code: 1,
    error: /^error: workspace\/exp2\/haproxy\/haproxy\.cfg:10: The 'block' directive is not supported anymore/m,
    hint: /hint: Errata 1: .*haproxy1, haproxy2 keep running on the last good config/,
    after: (_r, ctx) => expect(reloads(ctx, 'haproxy')).toEqual([]),
  },
  {
    case: 'lab apply: nginx -t rejects a server block',
    run: async (ctx) => {
      ctx.rt.execResults.push((name, cmd) => (name.includes('-nginx') && cmd[0] === 'nginx' ? { exitCode: 1, stdout: '', stderr: NGINX_OUTPUT } : undefined));
      return applyWith('nginx/conf.d/go-backend.liujun.com.conf', 'server {\n  listen 10080;\n  servr_name go-backend.liujun.com;\n}\n')(ctx);
    },
    code: 1,
    error: /^error: workspace\/exp2\/nginx\/conf\.d\/go-backend\.liujun\.com\.conf:3: unknown directive "servr_name"$/m,
    hint: /nginx1, nginx2, nginx3 keep running on the last good config/,
    after: (_r, ctx) => expect(reloads(ctx, 'nginx')).toEqual([]),
  },

  // ---- folders that cannot be written (a file where the folder should be; a read-only tmpfs)
  {
    case: 'lab up --workspace: a file stands there',
    run: (ctx) => lab(['up', 'exp2', '--yes', '--workspace', path.join(ctx.file, 'ws')], ctx.deps),
    code: 1,
    error: /in-the-way: is a file, not a folder$/,
    hint: /Move it away, or choose another folder/,
    after: (_r, ctx) => expect(ctx.rt.calls.filter((c) => c.startsWith('createContainer') && !c.endsWith('-lock'))).toEqual([]),
  },
  {
    case: 'lab reset --workspace: a file stands there',
    run: (ctx) => lab(['reset', 'exp2', '--yes', '--workspace', ctx.file], ctx.deps),
    code: 1,
    error: /in-the-way: is a file, not a folder$/,
    hint: /Move it away/,
    after: (_r, ctx) => expect(readFileSync(ctx.file, 'utf8')).toBe('a file where a folder should be\n'),
  },
  { case: 'lab certs --out: a file stands there', run: (ctx) => lab(['certs', '--out', ctx.file], ctx.deps), code: 1, error: /in-the-way: is a file, not a folder$/, hint: /Move it away/ },
  {
    case: 'lab certs --out on a read-only file system',
    skip: needsRo,
    run: (ctx) => lab(['certs', '--out', path.join(readOnlyFolder()!, 'certs')], ctx.deps),
    code: 1,
    error: /lab-ro-\w+\/certs: read-only file system$/,
    hint: /Choose a folder on a writable file system/,
  },
  {
    case: 'lab solve --workspace on a read-only file system',
    skip: needsRo,
    run: (ctx) => lab(['solve', 'exp2', '--yes', '--workspace', path.join(readOnlyFolder()!, 'ws')], ctx.deps),
    code: 1,
    error: /lab-ro-\w+\/ws(\/[\w/.]+)?: read-only file system$/,
    hint: /writable file system/,
  },

  // ---- certificates: corrupt or swapped files
  {
    case: 'certs: ca.key is garbage',
    run: async (ctx) => {
      const certs = await certsIn(ctx);
      writeFileSync(caPaths(certs).key, 'not a key\n', { mode: 0o600 });
      return lab(['certs', '--out', certs], ctx.deps);
    },
    code: 1,
    error: /certs\/ca\/ca\.key: is not a PEM RSA private key/,
    hint: /delete it, or rerun `lab certs --force`/,
  },
  {
    case: "certs verify: a leaf's key swapped with another's",
    run: async (ctx) => {
      const certs = await certsIn(ctx);
      swapLeafKeys(certs, 'go-backend.liujun.com', 'stars.liujun.com');
      return lab(['certs', 'verify', '--out', certs], ctx.deps);
    },
    code: 1,
    error: /^error: \S+certs\/go-backend\.liujun\.com\/private\.key: does not match certificate\.crt \(and 3 more of 23 files, listed above\)$/,
    hint: /`lab certs` regenerates the faulty files/,
    after: (r) => expect(r.stdout).toMatch(/FAIL +\S+stars\.liujun\.com\/private\.key +does not match certificate\.crt/),
  },
  {
    case: "lab up: a leaf's key swapped with another's (repaired, and said which)",
    run: async (ctx) => {
      await certsIn(ctx);
      swapLeafKeys(path.join(ctx.dir, 'certs'), 'go-backend.liujun.com', 'stars.liujun.com');
      engineOfALab(ctx.rt);
      return lab(['up', 'exp2', '--yes', '--timeout', '20'], ctx.deps);
    },
    code: 0,
    error: /certificates +go-backend\.liujun\.com: regenerated: its private key does not match the certificate/,
    hint: /stars\.liujun\.com: regenerated: its private key does not match/,
  },
  {
    case: 'lab up: a certificate is garbage',
    run: async (ctx) => {
      const certs = await certsIn(ctx);
      writeFileSync(leafPaths(certs, 'touch.liujun.com').cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      return lab(['up', 'exp2', '--yes'], ctx.deps);
    },
    code: 1,
    error: /certs\/touch\.liujun\.com\/certificate\.crt: holds a certificate that cannot be parsed/,
    hint: /delete it, or rerun `lab certs --force`/,
    after: (_r, ctx) => expect(ctx.rt.calls.filter((c) => c.startsWith('createContainer') && !c.endsWith('-lock'))).toEqual([]),
  },
  {
    case: 'certs: a folder where certificate.crt should be',
    run: async (ctx) => {
      const certs = await certsIn(ctx);
      rmSync(leafPaths(certs, 'stars.liujun.com').cert);
      mkdirSync(leafPaths(certs, 'stars.liujun.com').cert);
      return lab(['certs', '--out', certs], ctx.deps);
    },
    code: 1,
    error: /stars\.liujun\.com\/certificate\.crt: cannot read \(EISDIR\)/,
    hint: /a directory stands where a file should be/,
  },

  // ---- subnets and ports others hold
  {
    case: '--subnet held by another Docker network',
    run: async (ctx) => {
      ctx.rt.networks.set('someone-else', { id: 'x', name: 'someone-else', subnets: ['172.30.8.0/24'], labels: {} });
      return lab(['up', 'exp2', '--yes', '--subnet', 'edge=172.30.8.0/24'], ctx.deps);
    },
    code: 1,
    error: /^error: subnet 172\.30\.8\.0\/24 for the edge network overlaps 172\.30\.8\.0\/24 of Docker network "someone-else"$/,
    hint: /remove network "someone-else" if it is yours/,
    after: (_r, ctx) => expect(ctx.rt.calls.filter((c) => /^create(Container|Network)/.test(c) && !c.endsWith('-lock'))).toEqual([]),
  },
  ...(['port', 'port+363'] as const).map((which): Row => {
    let held: Awaited<ReturnType<typeof holdPort>> | undefined;
    return {
      case: `--publish: ${which} is held by a local listener`,
      run: async (ctx) => {
        held = await holdPort();
        const port = which === 'port' ? held.port : held.port - 363;
        try {
          return await lab(['up', 'exp2', '--yes', '--publish', String(port)], ctx.deps);
        } finally {
          held.stop();
        }
      },
      code: 1,
      error: /^error: --publish \d+: 127\.0\.0\.1:\d+ is already in use by node \(pid \d+\)$/,
      hint: /Stop it, or choose another port/,
      after: (r, ctx) => {
        expect(r.stderr).toContain(`127.0.0.1:${held!.port} is already in use by node (pid ${held!.pid})`);
        expect(ctx.rt.calls.filter((c) => /^create(Container|Network)/.test(c))).toEqual([]);
      },
    };
  }),

  // ---- the engine goes away
  { case: 'no engine at all', run: (ctx) => lab(['status'], { ...ctx.deps, runtime: new DockerRuntime({ socketPath: path.join(ctx.dir, 'none.sock') }) }), code: 1, error: /^error: cannot reach the Docker engine \(ENOENT\) while trying to list/, hint: /lab doctor --fix/ },
  { case: 'the engine vanishes between two requests (lab exec)', run: (ctx) => lab(['exec', 'client', '--', 'true'], { ...ctx.deps, runtime: vanishingEngine(ctx, 'between') }), code: 1, error: /^error: cannot reach the Docker engine \((ENOENT|ECONNREFUSED)\) while trying to run `true` in lab-client$/, hint: /lab doctor --fix/ },
  { case: 'the engine vanishes in the middle of a request (lab exec)', run: (ctx) => lab(['exec', 'client', '--', 'true'], { ...ctx.deps, runtime: vanishingEngine(ctx, 'mid-request') }), code: 1, error: /^error: the Docker engine went away \((ECONNRESET|connection closed)\) while trying to run `true` in lab-client$/, hint: /lab doctor --fix/ },

  // ---- --target inside the lab's subnets, held by no lab
  { case: '--target in the lab pool, no lab holds it', run: cli(['check', 'exp2', '--target', '172.28.200.7']), code: 2, error: /^error: --target 172\.28\.200\.7 is in the lab's address pool 172\.28\.0\.0\/14, but no network on this engine holds it$/, hint: /would leave this machine/ },
];

describe('bad input: one line naming the file, line and fix; no stack trace; nothing lost or applied', () => {
  it('has at least 40 cases', () => expect(rows.length).toBeGreaterThanOrEqual(40));

  for (const row of rows) {
    it.skipIf(!!row.skip?.())(row.case, async () => {
      const ctx = newCtx();
      const r = await row.run(ctx);
      expectClean(row, r);
      await row.after?.(r, ctx);
    });
  }

  it('--debug adds the stack trace, and only then', async () => {
    const ctx = newCtx();
    const run = (debug: boolean) => lab([...(debug ? ['--debug'] : []), 'reset', 'exp2', '--yes', '--workspace', ctx.file], ctx.deps, { NO_COLOR: '1', ...(debug ? { LAB_DEBUG: '1' } : {}) });
    expect((await run(false)).stderr).not.toMatch(STACK);
    expect((await run(true)).stderr).toMatch(STACK);
  });

  it('--target in the pool is allowed when a network holds it', async () => {
    const rt = new FakeRuntime();
    rt.networks.set('t-edge', { id: 'e', name: 't-edge', subnets: ['172.28.9.0/24'], labels: {} });
    await expect(assertTargetReachable(rt, '172.28.9.100')).resolves.toBeUndefined();
    await expect(assertTargetReachable(rt, '172.28.10.100')).rejects.toThrow(/no network on this engine holds it/);
  });
});
