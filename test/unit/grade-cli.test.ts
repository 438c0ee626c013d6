// `lab grade` and `lab grade report` in-process, without an engine: flags are checked before anything
// starts, a class of only unreadable submissions is stored without a lab, and the gradebook is rebuilt
// from stored results alone.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { writeResult } from '../../src/grade/results.js';
import { solutionSet, startSet } from '../../src/grade/swap.js';
import { solutionFiles } from '../../src/workspace/replace.js';
import { lab } from '../helpers/cli.js';
import { record } from '../fixtures/grade/records.js';

const exp2 = loadLab('exp2');

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lab-grade-cli-'));
}

describe('lab grade: flags', () => {
  it.each([
    [['grade', 'exp2'], /no submissions/],
    [['grade', 'exp2', 'a', '--roster', 'r.csv'], /either as paths or with --roster/],
    [['grade', 'exp2', 'a', '--resume', '--fresh'], /contradict/],
    [['grade', 'exp2', 'a', '--jobs', '0'], /--jobs 0: expected a whole number/],
    [['grade', 'exp2', 'a', '--engine', 'ftp://x'], /not an engine protocol/],
    [['grade', 'exp2', 'a', '--engine', 'tcp://h:1', '--engine', 'tcp://h:1'], /given twice/],
    [['grade', 'exp2', 'a', '--engine', 'tcp://h:1', '--engine', 'tcp://h:2', '--jobs', '1'], /fewer than the 2 engines/],
    [['grade', 'exp2', 'a', '--lang', 'fr'], /--lang fr/],
    [['grade', 'nope', 'a'], /unknown experiment "nope"/],
    [['-n', 'a-very-long-lab-name-of-29chars', 'grade', 'exp2', 'a', '--jobs', '2'], /longer than a lab name may be/],
    [['grade', 'exp2', 'a', '--stats-password-file', 'no-such-file'], /--stats-password-file .*no-such-file: no such file/],
  ])('%j is refused: %s', async (argv, msg) => {
    const r = await lab(argv as string[], { cwd: tmp() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(msg as RegExp);
  });
});

describe("lab grade with the class's stats password", () => {
  it('a malformed LAB_STATS_PASSWORD is refused before anything starts, without echoing it', async () => {
    const r = await lab(['grade', 'exp2', 'a'], { cwd: tmp() }, { NO_COLOR: '1', LAB_STATS_PASSWORD: 'has space 1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LAB_STATS_PASSWORD: the stats password must be 8 to 64 characters/);
    expect(r.stderr).not.toContain('has space');
  });

  it("the worker's start and reference files carry it, as the class's students have them", () => {
    const exp1 = loadLab('exp1');
    const pw = 'Class-pw-2026';
    const plain = solutionSet(exp1, solutionFiles(exp1)).get('haproxy/haproxy.cfg')!.toString();
    const withPw = solutionSet(exp1, solutionFiles(exp1), pw).get('haproxy/haproxy.cfg')!.toString();
    expect(plain).toMatch(/stats auth admin:123456$/m);
    expect(withPw).toBe(plain.replace(/admin:123456(?=\s|$)/gm, `admin:${pw}`));
    const start = startSet(exp2, pw).get('haproxy/haproxy.cfg')!.toString();
    expect(startSet(exp2).get('haproxy/haproxy.cfg')!.toString()).toContain('admin:123456');
    expect(start).toContain(`admin:${pw}`);
    expect(start).not.toContain('admin:123456');
  });
});

describe('lab grade without a lab', () => {
  it('stores submissions that cannot be graded (score 0, problems) and starts no worker', async () => {
    const dir = tmp();
    try {
      mkdirSync(path.join(dir, 'subs', 'empty'), { recursive: true });
      writeFileSync(path.join(dir, 'subs', 'notes.txt'), 'hello');
      const r = await lab(['grade', 'exp2', 'subs/empty', 'subs/notes.txt', '--jobs', '1', '--json', '--lang', 'en'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.notGradable.sort()).toEqual(['empty', 'notes.txt']);
      expect(j.workers).toEqual([]);
      const csv = readFileSync(path.join(dir, 'grades', 'exp2', 'gradebook.csv'), 'utf8');
      expect(csv).toMatch(/empty,.*,0,100,false,"none of exp2's files is in the submission/);
      expect(r.deps!.runtime).toBeDefined();
      // Run again: stored results are not silently overwritten.
      const again = await lab(['grade', 'exp2', 'subs/empty', '--jobs', '1'], { cwd: dir });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already holds 2 result\(s\).*\n.*--resume/);
      const resumed = await lab(['grade', 'exp2', 'subs/empty', 'subs/notes.txt', '--jobs', '1', '--resume', '--json'], { cwd: dir });
      expect(JSON.parse(resumed.stdout).skipped.sort()).toEqual(['empty', 'notes.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab grade report', () => {
  it('rebuilds the gradebook from stored results, regrading nobody', async () => {
    const dir = tmp();
    try {
      const g = path.join(dir, 'grades', 'exp2');
      await writeResult(g, record(exp2, { name: 'alice', pass: exp2.def.checks.map((c) => c.id), lang: 'zh' }));
      await writeResult(g, record(exp2, { name: 'bob', pass: [] }));
      const r = await lab(['grade', 'report', 'grades/exp2'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Gradebook of exp2 rebuilt from 2 stored result\(s\), nobody regraded/);
      for (const f of ['gradebook.csv', 'gradebook.json', 'report.html', 'junit/alice.xml', 'junit/bob.xml']) expect(existsSync(path.join(g, f)), f).toBe(true);
      // The page speaks the language the results were graded in (alice's, the first stored), or --lang.
      expect(readFileSync(path.join(g, 'report.html'), 'utf8')).toMatch(/lang="zh/);
      await lab(['grade', 'report', 'grades/exp2', '--lang', 'en'], { cwd: dir });
      expect(readFileSync(path.join(g, 'report.html'), 'utf8')).toMatch(/lang="en/);
      const none = await lab(['grade', 'report', 'nowhere'], { cwd: dir });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/no results in nowhere\/results/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab images: flags reach the subcommand', () => {
  it('save --json and prune --dry-run --json', async () => {
    const { FakeRuntime } = await import('../helpers/fake-runtime.js');
    const rt = new FakeRuntime();
    const r = await lab(['images', 'prune', '--dry-run', '--json'], { runtime: rt });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ removed: [], inUse: [], failed: [] });
    const l = await lab(['images', '--json'], { runtime: rt });
    expect(JSON.parse(l.stdout)).toEqual([]);
  });
});
