// A lab's own stats password, through the built binary (the redactor is installed there) on a real
// exp1 lab: given in a file, kept 0600, written into the solution the student gets, the page really
// asks for it (and no longer takes 123456), the grader logs in with it, and it is printed nowhere:
// not by lab up, lab check --json, lab guide, lab exec, an error, lab report, nor in any container's
// inspect data.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { downLab } from '../../src/lifecycle/down.js';
import { walkFiles } from '../../src/util/files.js';
import { uniqueLabName } from '../helpers/lab.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const PW = `Pw-${randomBytes(6).toString('hex')}`;
const name = uniqueLabName('statspw');
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-statspw-'));
const pwFile = path.join(cwd, 'stats-password');
const runtime = new DockerRuntime();
const printed: string[] = [];

/** The binary in the lab's folder; everything it prints is kept, to be searched for the password. */
async function lab(args: string[], env: Record<string, string> = {}) {
  const r = await execa('node', [bin, '-n', name, ...args], { cwd, reject: false, env: { NO_COLOR: '1', LAB_DEBUG: '', LAB_STATS_PASSWORD: '', ...env } });
  // The command line as the test wrote it (with the password, for curl) is not lab's output.
  printed.push(`$ lab ${args.join(' ').split(PW).join('<pw>')}\n${r.stdout}\n${r.stderr}`);
  return r;
}
const statusWith = async (login?: string) =>
  (await lab(['exec', 'haproxy1', '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', ...(login ? ['-u', login] : []), 'http://127.0.0.1:8404/stats'])).stdout.trim();

beforeAll(async () => {
  writeFileSync(pwFile, `${PW}\n`, { mode: 0o600 });
  const up = await lab(['up', 'exp1', '--yes', '--stats-password-file', pwFile]);
  expect(up.exitCode, up.stderr).toBe(0);
  const solved = await lab(['solve', 'exp1', '--yes']);
  expect(solved.exitCode, solved.stderr).toBe(0);
}, 600_000);
afterAll(async () => {
  await downLab(runtime, name, { force: true });
  rmSync(cwd, { recursive: true, force: true });
});

describe('the stats password of one lab', () => {
  it('is kept in .lab/<name>/secrets.json with mode 0600, and lab up says where', () => {
    const f = path.join(cwd, '.lab', name, 'secrets.json');
    expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ statsPassword: PW });
    expect(printed[0]).toMatch(new RegExp(`stats page\\s+admin with this lab's password \\(kept in \\.lab/${name}/secrets\\.json, mode 0600\\)`));
  });

  it("is what the solution the student got says, and what the running stats page asks for (123456 no longer works)", async () => {
    const cfg = readFileSync(path.join(cwd, 'workspace', 'exp1', 'haproxy', 'haproxy.cfg'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^\\s*stats auth admin:${PW}$`, 'm'));
    expect(cfg).not.toContain('admin:123456');
    expect(await statusWith()).toBe('401');
    expect(await statusWith('admin:123456')).toBe('401');
    expect(await statusWith(`admin:${PW}`)).toBe('200');
  });

  it('the grader logs in with it: lab check exp1 passes the login checks, and --json never shows it', async () => {
    const r = await lab(['check', 'exp1', '--json']);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] };
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(by['stats-auth'], r.stdout).toMatchObject({ status: 'pass' });
    for (const c of report.checks) expect(c.status, `${c.id}: ${c.message}`).toBe('pass');
  });

  it('a later lab up without it keeps the lab password', async () => {
    const r = await lab(['up', 'exp1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await statusWith(`admin:${PW}`)).toBe('200');
    expect(JSON.parse(readFileSync(path.join(cwd, '.lab', name, 'secrets.json'), 'utf8')).statsPassword).toBe(PW);
  });

  it('a damaged secrets.json: lab check and lab up stop with one line naming the file, the line and the fix; lab up with the password repairs it', async () => {
    const f = path.join(cwd, '.lab', name, 'secrets.json');
    writeFileSync(f, `{\n  "statsPassword": "${PW}\n}\n`, { mode: 0o600 }); // the closing quote lost
    for (const args of [['check', 'exp1'], ['up', 'exp1']]) {
      const r = await lab(args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`error: .*\\.lab/${name}/secrets\\.json:\\d+: is not valid JSON`));
      expect(r.stderr).toMatch(/hint: .*LAB_STATS_PASSWORD=… lab up/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    }
    const fixed = await lab(['up', 'exp1', '--stats-password-file', pwFile]);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ statsPassword: PW });
    expect(await statusWith(`admin:${PW}`)).toBe('200');
  });

  it('is masked wherever lab prints it: guide commands, lab exec output, an error that quotes it', async () => {
    const guide = await lab(['guide', 'exp1', '--print']);
    expect(guide.exitCode, guide.stderr).toBe(0);
    expect(guide.stdout).toContain('-u admin:********');
    expect(guide.stdout).toContain('stats auth admin:********');
    // Texts, hints, the reference answer and commands alike: the course's login is nowhere.
    expect(guide.stdout).not.toContain('admin:123456');
    const exec = await lab(['exec', 'haproxy1', '--', 'grep', 'stats auth', '/etc/haproxy/haproxy.cfg']);
    expect(exec.stdout).toMatch(/stats auth admin:\*{8}/);
    const failing = await lab(['exec', 'haproxy1', '--', 'sh', '-c', `echo "no such user admin:${PW}" >&2; exit 3`]);
    expect(failing.exitCode).toBe(3);
    expect(failing.stderr).toContain('admin:********');
    // A bad password given later is refused by name, without echoing it.
    const bad = await lab(['up', 'exp1'], { LAB_STATS_PASSWORD: `${PW} x` });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: LAB_STATS_PASSWORD: the stats password must be/m);
  });

  it('is in no container: not in an env, a label, a command or an argument', async () => {
    const docker = new Docker();
    const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`lab.name=${name}`] }) });
    expect(list.length).toBeGreaterThan(3);
    for (const c of list) {
      const info = await docker.getContainer(c.Id).inspect();
      const exposed = JSON.stringify({ env: info.Config.Env, labels: info.Config.Labels, cmd: info.Config.Cmd, entry: info.Config.Entrypoint, args: info.Args, path: info.Path });
      expect(exposed, info.Name).not.toContain(PW);
    }
  });

  it('lab report leaves it out, as text and as Basic credentials', async () => {
    const out = path.join(cwd, 'r.tar.gz');
    const r = await lab(['report', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-statspw-r-'));
    try {
      await extract({ file: out, cwd: dir });
      const files = walkFiles(dir);
      expect(files.some((f) => f.endsWith('workspace/exp1/haproxy/haproxy.cfg'))).toBe(true);
      for (const f of files) {
        const text = readFileSync(path.join(dir, f), 'latin1');
        for (const s of [PW, Buffer.from(`admin:${PW}`).toString('base64')]) expect(text.includes(s), `${f} holds the password`).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lab grade with the class's password: the grader logs in with it, a submission still on 123456 loses the login checks, and no result file holds it", async () => {
    const subs = path.join(cwd, 'subs');
    const put = (who: string, cfg: string) => {
      mkdirSync(path.join(subs, who, 'haproxy'), { recursive: true });
      writeFileSync(path.join(subs, who, 'haproxy', 'haproxy.cfg'), cfg);
    };
    // The solution as this class's students have it (lab solve wrote the password in), and as the course prints it.
    put('alice', readFileSync(path.join(cwd, 'workspace', 'exp1', 'haproxy', 'haproxy.cfg'), 'utf8'));
    put('bob', readFileSync(path.join(root, 'labs', 'exp1', 'solution', 'haproxy', 'haproxy.cfg'), 'utf8'));
    const out = path.join(cwd, 'grades');
    const r = await execa('node', [bin, '-n', uniqueLabName('spg'), 'grade', 'exp1', path.join(subs, 'alice'), path.join(subs, 'bob'), '--jobs', '1', '-o', out, '--stats-password-file', pwFile, '--json'], {
      cwd, reject: false, env: { NO_COLOR: '1', LAB_STATS_PASSWORD: '' },
    });
    printed.push(`$ lab grade …\n${r.stdout}\n${r.stderr}`);
    expect(r.exitCode, r.stderr).toBe(0);
    const book = JSON.parse(readFileSync(path.join(out, 'gradebook.json'), 'utf8')) as {
      students: { name: string; score: number; maxScore: number; status: Record<string, string>; checks: { id: string; status: string; message: string }[] }[];
    };
    const by = Object.fromEntries(book.students.map((x) => [x.name, x]));
    // On failure, what the failed checks said (the statuses alone do not tell a slow socket from a wrong one).
    const failed = by.alice!.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`);
    expect(by.alice!.score, failed.join('\n')).toBe(by.alice!.maxScore);
    // bob's page asks for 123456; the grader, told the class's password, is refused like any visitor.
    expect(by.bob!.status['stats-auth']).toBe('fail');
    expect(by.bob!.status['config-valid']).toBe('pass');
    for (const f of walkFiles(out)) expect(readFileSync(path.join(out, f), 'latin1').includes(PW), `${f} holds the password`).toBe(false);
  });

  it('nothing lab printed in this file showed it', () => {
    expect(printed.length).toBeGreaterThan(8);
    for (const p of printed) expect(p.includes(PW), p.slice(0, 200)).toBe(false);
  });
});
