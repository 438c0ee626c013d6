// Class grading over more than one engine, and a run that is interrupted and resumed.
//   * Two endpoints of this machine's one dockerd: the local socket, and tcp://127.0.0.1:<port> through
//     a socat listener this test starts (dockerd itself is never touched: others use it). Mid-run, while
//     the tcp worker grades a submission, the socat dies: that submission goes back to the queue and the
//     local worker grades it; every student ends with exactly one result, none written twice.
//   * Ctrl-C after the first result (--keep): the next run with --resume grades only the others, on the
//     kept lab, and a third run has nothing left to grade and removes the kept lab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa, execaSync, type ResultPromise } from 'execa';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { loadLab } from '../../src/labs/load.js';
import { downLab } from '../../src/lifecycle/down.js';
import { gradeClass, type ClassEvent } from '../../src/grade/orchestrator.js';
import { dockerOptions, parseEndpoint } from '../../src/grade/engine-endpoint.js';
import { rosterFromPaths } from '../../src/grade/roster.js';
import { silentProgress } from '../../src/progress/progress.js';
import { InterruptedError } from '../../src/util/errors.js';
import { lab as cli } from '../helpers/cli.js';
import { runPrefix } from '../helpers/lab.js';
import { makeSubmission } from '../fixtures/grade/class.mjs';
import { freePort, listening } from '../helpers/ports.js';

const exp2 = loadLab('exp2');
const local = new DockerRuntime();
let tmp: string;
let prefix: string;
let socat: ResultPromise | undefined;

async function waitForPort(port: number): Promise<void> {
  if (!(await listening(port))) throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

const results = (dir: string) =>
  Object.fromEntries(
    readdirSync(path.join(dir, 'results'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const r = JSON.parse(readFileSync(path.join(dir, 'results', f), 'utf8'));
        return [r.name as string, r];
      }),
  );

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-grade-eng-'));
  prefix = `${runPrefix()}ge${randomBytes(2).toString('hex')}`;
});
/**
 * The engine is lost as a machine is lost: the listener and every connection it forked. (Killing the
 * listener alone left its forked children serving the HTTP connections Node keeps alive, so the engine
 * still answered `version` on them and the cut-off submission went back as a worker failure, without
 * its `requeued` event: seen once in CI.) Stopped first, so it forks no child while they are killed.
 */
function killSocat(): void {
  const pid = socat?.pid;
  if (!pid) return;
  try {
    process.kill(pid, 'SIGSTOP');
    execaSync('pkill', ['-KILL', '-P', String(pid)], { reject: false });
  } catch {
    // Already gone.
  }
  socat?.kill('SIGKILL');
}

afterAll(async () => {
  killSocat();
  for (const w of ['w1', 'w2', 'w3']) await downLab(local, `${prefix}-${w}`, { force: true }).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe('lab grade over two engines', () => {
  it('a lost engine\'s submission is graded on the other engine; nothing is lost or graded twice', { timeout: 1_200_000 }, async () => {
    const port = await freePort();
    socat = execa('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'UNIX-CONNECT:/var/run/docker.sock'], { reject: false });
    await waitForPort(port);
    const tcp = parseEndpoint(`tcp://127.0.0.1:${port}`);
    const unix = parseEndpoint('unix:///var/run/docker.sock');
    const subs = path.join(tmp, 'subs');
    const kinds = ['solution', 'no-xff', 'renamed', 'broken-nginx', 'reordered', 'solution', 'renamed', 'solution'];
    const paths = kinds.map((k, i) => makeSubmission(subs, `st${i + 1}-${k}`, k));
    const out = path.join(tmp, 'grades-two');
    const events: ClassEvent[] = [];
    let tcpGradings = 0;
    let killedDuring: string | undefined;
    const r = await gradeClass({
      lab: exp2,
      entries: rosterFromPaths(paths),
      gradesDir: out,
      engines: [
        { endpoint: unix, runtime: local, jobs: 1 },
        { endpoint: tcp, runtime: new DockerRuntime(dockerOptions(tcp) as never), jobs: 1 },
      ],
      resume: false,
      fresh: false,
      keep: false,
      lang: 'en',
      prefix,
      progress: silentProgress(),
      readyTimeoutMs: 240_000,
      heartbeatMs: 1000,
      onEvent: (e) => {
        events.push(e);
        // The second submission the tcp worker starts is cut off mid-grade.
        if (e.type === 'grading' && e.engine === tcp.endpoint && ++tcpGradings === 2) {
          killedDuring = e.name;
          killSocat();
        }
      },
    });
    expect(killedDuring, 'the tcp worker graded two submissions').toBeDefined();
    expect(r.lostEngines.map((l) => l.engine)).toEqual([tcp.endpoint]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'requeued', name: killedDuring, engine: tcp.endpoint }));
    expect(r.unfinished).toEqual([]);
    // Every student exactly once.
    const written = events.filter((e) => e.type === 'written').map((e) => (e as { name: string }).name);
    expect([...written].sort()).toEqual(paths.map((p) => path.basename(p)).sort());
    expect(new Set(written).size).toBe(written.length);
    const stored = results(out);
    expect(Object.keys(stored).sort()).toEqual([...written].sort());
    expect(stored[killedDuring!].grader.engine).toBe(unix.endpoint);
    expect(Object.values(stored).some((x) => x.grader.engine === tcp.endpoint)).toBe(true);
    // The same class, graded the same: the correct ones pass, the rejected nginx config is noted.
    const why = (name: string) => stored[name].report.checks.filter((c: { status: string }) => c.status !== 'pass').map((c: { id: string; message: string }) => `${c.id}: ${c.message}`).join('; ');
    // Whichever engine graded them, each the same as on the other: a probe's output lost on the proxied
    // engine once failed every check of a correct submission graded there (socat closes the connection
    // 0.5 s after a half-close; runtime-exec.test.ts).
    for (const [n, x] of Object.entries(stored) as [string, { grader: { engine: string } }][]) {
      if (/-(solution|renamed|reordered)$/.test(n)) expect(why(n), `${n} on ${x.grader.engine}`).toBe('');
      if (n.endsWith('-no-xff')) expect(why(n), `${n} on ${x.grader.engine}`).toMatch(/^forwarded-for: [^;]*the app saw X-Forwarded-For/);
    }
    expect(stored['st4-broken-nginx'].applied).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'nginx', status: 'invalid' })]));
    // The local worker's lab is gone; the lost engine's is left (it could not be reached) and says so.
    expect(r.leftLabs).toEqual([`${prefix}-w2`]);
    expect(await local.listContainers({ 'lab.name': `${prefix}-w1` })).toEqual([]);
    await downLab(local, `${prefix}-w2`, { force: true });
  });
});

describe('lab grade interrupted and resumed', () => {
  it('Ctrl-C keeps what was stored; --resume grades only the rest, on the kept lab; nobody is graded twice', { timeout: 1_200_000 }, async () => {
    const subs = path.join(tmp, 'subs2');
    const paths = ['solution', 'no-xff', 'renamed'].map((k, i) => makeSubmission(subs, `r${i + 1}-${k}`, k));
    const out = path.join(tmp, 'grades-resume');
    const ac = new AbortController();
    const engine = { endpoint: parseEndpoint('unix:///var/run/docker.sock'), runtime: local, jobs: 1 };
    const base = { lab: exp2, entries: rosterFromPaths(paths), gradesDir: out, engines: [engine], fresh: false, lang: 'en' as const, prefix: `${prefix}r`, progress: silentProgress(), readyTimeoutMs: 240_000 };
    const err = await gradeClass({ ...base, resume: false, keep: true, signal: ac.signal, onEvent: (e) => e.type === 'written' && ac.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.message).toMatch(/1 of 3 results are stored in/);
    expect(err.hint).toMatch(/--resume/);
    expect(Object.keys(results(out))).toEqual(['r1-solution']);
    const first = results(out)['r1-solution'];
    const kept = (await local.listContainers({ 'lab.name': `${prefix}r-w1` })).filter((c) => c.labels['lab.role'] === 'client');
    expect(kept).toHaveLength(1);

    // Without --resume or --fresh, stored results are not overwritten.
    const refused = await cli(['-n', `${prefix}r`, 'grade', 'exp2', ...paths, '--out', out], { runtime: local, cwd: tmp });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds 1 result\(s\)/);

    const events: ClassEvent[] = [];
    const again = await gradeClass({ ...base, resume: true, keep: true, onEvent: (e) => events.push(e) });
    expect(again.skipped).toEqual(['r1-solution']);
    expect(again.written.sort()).toEqual(['r2-no-xff', 'r3-renamed']);
    expect(events.filter((e) => e.type === 'grading').map((e) => (e as { name: string }).name)).not.toContain('r1-solution');
    // The kept lab was reused (same client container), and its finished result untouched.
    const client = (await local.listContainers({ 'lab.name': `${prefix}r-w1` })).find((c) => c.labels['lab.role'] === 'client');
    expect(client?.id).toBe(kept[0]!.id);
    expect(results(out)['r1-solution']).toEqual(first);
    expect(results(out)['r2-no-xff'].report.checks.find((c: { id: string }) => c.id === 'forwarded-for').status).toBe('fail');

    // Nothing left to grade: no worker starts, and without --keep the kept lab goes.
    const third = await cli(['-n', `${prefix}r`, 'grade', 'exp2', ...paths, '--out', out, '--resume', '--json'], { runtime: local, cwd: tmp });
    expect(third.code, third.stderr).toBe(0);
    const j = JSON.parse(third.stdout);
    expect(j.skipped).toHaveLength(3);
    expect(j.workers).toEqual([]);
    expect(await local.listContainers({ 'lab.name': `${prefix}r-w1` })).toEqual([]);

    // The gradebook again, from the stored results alone.
    const rep = await cli(['grade', 'report', out], { runtime: local, cwd: tmp });
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/rebuilt from 3 stored result\(s\), nobody regraded/);
  });
});
