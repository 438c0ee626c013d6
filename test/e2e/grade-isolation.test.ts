// Class grading reuses one lab per worker, so what one student's configs leave behind must never reach
// the next student's grade. One worker grades hostile submissions, each followed by a correct one, and
// a config HAProxy rejects last; every correct one must get exactly the result it gets graded alone on
// an ordinary lab (lab apply, lab check), and the rejected one exactly the start state's, with the
// validator's message in its result. The hostile ones try what outlives a reload:
//   hostile-env     setenv/presetenv/ulimit-n: HAProxy's master keeps them across re-executions;
//   hostile-files   Nginx writes its access log (constant text: a broken server block) into
//                   /etc/nginx/sites-enabled/, which the next config load would include;
//   hostile-socket  a stats socket at the path of lab's master socket, which grading reads through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { loadLab } from '../../src/labs/load.js';
import { swapFiles } from '../../src/grade/swap.js';
import { walkFiles } from '../../src/util/files.js';
import { downLab } from '../../src/lifecycle/down.js';
import { lab as cli } from '../helpers/cli.js';
import { converge, explain, grade } from '../helpers/grading.js';
import { runPrefix, startLab, type TestLab } from '../helpers/lab.js';
import { makeSubmission } from '../fixtures/grade/class.mjs';

const exp2 = loadLab('exp2');
type Statuses = Record<string, string>;
const statuses = (checks: { id: string; status: string }[]): Statuses => Object.fromEntries(checks.map((c) => [c.id, c.status]));

function filesOf(dir: string): Map<string, Buffer> {
  return new Map(walkFiles(dir).map((rel) => [rel.split(path.sep).join('/'), readFileSync(path.join(dir, rel))]));
}

let tmp: string;
let ref: TestLab | undefined;
let prefix: string;
const runtime = new DockerRuntime();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-grade-iso-'));
  prefix = `${runPrefix()}gi${randomBytes(2).toString('hex')}`;
});
afterAll(async () => {
  await ref?.destroy();
  await downLab(runtime, `${prefix}-w1`, { force: true }).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe('lab grade: one worker lab, student after student', () => {
  it('leaks nothing from a hostile submission into the next, and grades a rejected config as the start state', { timeout: 1_200_000 }, async () => {
    const subs = path.join(tmp, 'subs');
    const good = makeSubmission(subs, 'reference-good', 'solution');
    const start = makeSubmission(subs, 'reference-start', 'start');

    // Graded alone, the ordinary way: an ordinary lab, the files in its workspace, apply, check.
    ref = await startLab('exp2', 'gref');
    const ws = ref.result.workspaceDir;
    const alone = async (dir: string) => {
      swapFiles(ws, exp2.def.workspace, filesOf(dir));
      await converge(ref!, 'exp2', { settleMs: 1500 });
      return grade(ref!, 'exp2', exp2.def.checks);
    };
    const goodAlone = await alone(good);
    expect(goodAlone.passed, explain(goodAlone)).toBe(true);
    const startAlone = await alone(start);
    expect(startAlone.score).toBe(0);
    await ref.destroy();
    ref = undefined;

    const order = ['hostile-env', 'good-a', 'hostile-files', 'good-b', 'hostile-socket', 'good-c', 'rejected'];
    const kindOf: Record<string, string> = { 'good-a': 'solution', 'good-b': 'solution', 'good-c': 'solution', rejected: 'broken-haproxy' };
    const paths = order.map((n) => makeSubmission(subs, n, kindOf[n] ?? n));
    const out = path.join(tmp, 'grades');
    const r = await cli(['-n', prefix, 'grade', 'exp2', ...paths, '--jobs', '1', '--out', out, '--json', '--lang', 'en'], { runtime, cwd: tmp });
    // On failure: lab grade --json says which submissions went unfinished and why, and what stopped a worker.
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 4000)}`).toBe(0);
    const summary = JSON.parse(r.stdout) as { written: string[]; unfinished: unknown[]; workers: { graded: number; recreations: number }[]; leftLabs: string[] };
    expect(summary.unfinished).toEqual([]);
    expect(summary.written).toEqual(order);
    expect(summary.workers).toHaveLength(1);
    expect(summary.leftLabs).toEqual([]);
    // hostile-env: both HAProxy nodes; hostile-files: the three Nginx nodes (hostile-socket: the master
    // binds its socket again on every reload, so the reset itself repairs it and the proof passes).
    expect(summary.workers[0]!.recreations).toBeGreaterThanOrEqual(5);

    const results = Object.fromEntries(
      readdirSync(path.join(out, 'results')).map((f) => {
        const rec = JSON.parse(readFileSync(path.join(out, 'results', f), 'utf8'));
        return [rec.name as string, rec];
      }),
    );
    for (const g of ['good-a', 'good-b', 'good-c']) {
      expect(statuses(results[g].report.checks), `${g}:\n${explain(results[g].report)}`).toEqual(statuses(goodAlone.checks));
      expect(results[g].report.score).toBe(goodAlone.score);
    }
    const rej = results.rejected;
    expect(statuses(rej.report.checks), explain(rej.report)).toEqual(statuses(startAlone.checks));
    expect(rej.applied).toEqual(
      expect.arrayContaining([expect.objectContaining({ role: 'haproxy', tool: 'haproxy -c', status: 'invalid', file: 'haproxy/haproxy.cfg', line: expect.any(Number), message: expect.stringMatching(/frontendd/) })]),
    );
    expect(readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toMatch(/haproxy -c rejected the config: haproxy\/haproxy\.cfg:\d+: .*frontendd/);
    // No worker lab is left behind.
    expect(await runtime.listContainers({ 'lab.name': `${prefix}-w1` })).toEqual([]);
  });
});
