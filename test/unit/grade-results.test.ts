// The results store: one atomic JSON per student, read back for --resume and for the gradebook.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { studentFileName } from '../../src/grade/file-names.js';
import { problemReport } from '../../src/grade/problem-report.js';
import { GradeRecord, isFinished, listFinished, readResult, resultPath, resultsDir, writeResult } from '../../src/grade/results.js';
import { writeFileAtomic } from '../../src/grade/atomic-write.js';
import { FileError } from '../../src/util/errors.js';
import { record } from '../fixtures/grade/records.js';

const exp2 = loadLab('exp2');
const ids = exp2.def.checks.map((c) => c.id);
let dir: string;
beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lab-grade-results-')), 'grades', 'exp2');
});
afterEach(() => rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true }));

describe('student file names', () => {
  it('keep letters of any script and encode everything else, injectively', () => {
    expect(studentFileName('alice')).toBe('alice');
    expect(studentFileName('张三')).toBe('张三');
    expect(studentFileName('li_wei-2')).toBe('li_wei-2');
    expect(studentFileName('../etc/passwd')).toBe('%2E%2E%2Fetc%2Fpasswd');
    expect(studentFileName('.hidden')).toBe('%2Ehidden');
    expect(studentFileName('a b')).toBe('a%20b');
    expect(studentFileName('a%20b')).toBe('a%2520b');
    expect(studentFileName('CON')).toBe('%43ON');
    expect(studentFileName('')).toBe('%');
    const names = ['a b', 'a%20b', 'a_b', 'a-b', 'A B', 'a/b', 'a\\b', 'a.b', 'a..b'];
    expect(new Set(names.map(studentFileName)).size).toBe(names.length);
  });

  it('cut long names to a safe length, still unique', () => {
    const a = studentFileName('x'.repeat(300));
    const b = studentFileName(`${'x'.repeat(299)}y`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(160);
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(studentFileName('张'.repeat(200)))).toBeLessThanOrEqual(160);
  });
});

describe('writing results', () => {
  it('stores one JSON per student under results/, atomically (no temporary file left)', async () => {
    const file = await writeResult(dir, record(exp2, { name: 'alice', pass: ids }));
    expect(file).toBe(path.join(dir, 'results', 'alice.json'));
    expect(readdirSync(resultsDir(dir))).toEqual(['alice.json']);
    const back = await readResult(file);
    expect(back.report.score).toBe(100);
    expect(back.grader.worker).toBe('w1');
    expect(back.timings.phases.checks).toBe(3300);
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe(1);
  });

  it('refuses a record that does not fit the schema (a bug in the caller), writing nothing', async () => {
    const bad = { ...record(exp2, { name: 'bob' }), hash: '' };
    await expect(writeResult(dir, bad)).rejects.toThrow();
    expect(await listFinished(dir)).toEqual({ records: new Map(), unreadable: [] });
  });

  it('an overwrite replaces the whole file, never leaves half of one', async () => {
    await writeResult(dir, record(exp2, { name: 'carol' }));
    await writeResult(dir, record(exp2, { name: 'carol', pass: ids }));
    expect((await readResult(resultPath(dir, 'carol'))).report.score).toBe(100);
    expect(readdirSync(resultsDir(dir))).toEqual(['carol.json']);
  });

  it('writeFileAtomic cleans up after a failed rename', async () => {
    mkdirSync(path.join(dir, 'target.json'), { recursive: true });
    writeFileSync(path.join(dir, 'target.json', 'x'), 'a non-empty folder cannot be renamed over');
    await expect(writeFileAtomic(path.join(dir, 'target.json'), 'data')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['target.json']);
  });
});

describe('resuming', () => {
  it('lists finished students by name and skips exactly those graded from the same submission', async () => {
    await writeResult(dir, record(exp2, { name: 'alice', hash: 'sha256:a' }));
    await writeResult(dir, record(exp2, { name: 'Li Wei', hash: 'sha256:b' }));
    // An interrupted run leaves temporary files; they are not results.
    writeFileSync(path.join(resultsDir(dir), '.bob.json.123.abcd.tmp'), '{"half":');
    const done = await listFinished(dir);
    expect([...done.records.keys()]).toEqual(['Li Wei', 'alice']);
    expect(done.unreadable).toEqual([]);
    expect(isFinished(done, 'alice', 'sha256:a')).toBe(true);
    expect(isFinished(done, 'alice', 'sha256:changed')).toBe(false);
    expect(isFinished(done, 'alice', 'sha256:a', 'exp3')).toBe(false);
    expect(isFinished(done, 'bob', 'sha256:x')).toBe(false);
    expect(isFinished(done, 'Li Wei', 'sha256:b', 'exp2')).toBe(true);
  });

  it('a corrupt, foreign or misplaced result counts as not finished, and is reported', async () => {
    await writeResult(dir, record(exp2, { name: 'alice' }));
    writeFileSync(path.join(resultsDir(dir), 'broken.json'), '{ not json');
    writeFileSync(path.join(resultsDir(dir), 'other.json'), JSON.stringify({ hello: 'world' }));
    writeFileSync(path.join(resultsDir(dir), 'renamed.json'), JSON.stringify(GradeRecord.parse(record(exp2, { name: 'dan' }))));
    const done = await listFinished(dir);
    expect([...done.records.keys()]).toEqual(['alice']);
    expect(done.unreadable.map((u) => [path.basename(u.file), u.message.replace(/^.*?\.json: /, '')])).toEqual([
      ['broken.json', expect.stringMatching(/^not a readable result/)],
      ['other.json', expect.stringMatching(/^not a result lab wrote: format/)],
      ['renamed.json', 'holds the result of "dan", whose file is dan.json'],
    ]);
    await expect(readResult(path.join(resultsDir(dir), 'broken.json'))).rejects.toBeInstanceOf(FileError);
  });

  it('an absent results folder is an empty run', async () => {
    expect(await listFinished(path.join(dir, 'nowhere'))).toEqual({ records: new Map(), unreadable: [] });
  });
});

describe('reports of submissions that were not graded', () => {
  it('fail every check with 0 points, in the run\'s language, and name the problems', () => {
    const problems = [{ file: 'haproxy/haproxy.cfg', line: 3, message: 'is a binary file', hint: 'Hand in the config itself.' }];
    const { report, meta } = problemReport(exp2, problems, 'zh');
    expect(report).toMatchObject({ experiment: 'exp2', score: 0, maxScore: 100, passed: false });
    expect(report.checks.map((c) => c.id)).toEqual(ids);
    expect(report.checks.every((c) => c.status === 'fail' && c.points === 0)).toBe(true);
    expect(report.checks[0]!.title).toBe(exp2.def.checks[0]!.title.zh);
    expect(report.checks[0]!.message).toBe('未评分：提交的文件有问题：haproxy/haproxy.cfg:3: is a binary file');
    expect(report.checks[0]!.hint).toBe('Hand in the config itself.');
    expect(meta.lang).toBe('zh');
    expect(Object.keys(meta.required)).toEqual(ids);
  });
});
