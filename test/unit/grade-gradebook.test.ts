// The gradebook is rebuilt from stored results alone: CSV (RFC 4180, columns in lab.yaml's order),
// JSON, one JUnit file per student and report.html.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { parseCsv } from '../../src/grade/csv.js';
import { buildGradebook, gradebookCsv, writeGradebook, type Gradebook } from '../../src/grade/gradebook.js';
import { GradeRecord, listFinished, resultsDir, writeResult } from '../../src/grade/results.js';
import { LabError } from '../../src/util/errors.js';
import { record } from '../fixtures/grade/records.js';

const exp2 = loadLab('exp2');
const ids = exp2.def.checks.map((c) => c.id);
const now = new Date('2026-03-01T10:00:00.000Z');
let dir: string;

beforeEach(async () => {
  dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lab-gradebook-')), 'grades', 'exp2');
  await writeResult(dir, record(exp2, { name: 'alice', pass: ids }));
  await writeResult(dir, record(exp2, { name: 'bob', pass: ids.slice(0, 3) }));
  await writeResult(dir, record(exp2, { name: '=HYPERLINK("http://evil","click"), "Jr."\nLi', pass: [ids[0]!] }));
  await writeResult(dir, record(exp2, { name: 'carol', problems: [{ file: 'haproxy/haproxy.cfg', line: 2, message: 'is a binary file', hint: 'Hand in text.' }] }));
});
afterEach(() => rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true }));

const pointsOf = (pass: string[]) => exp2.def.checks.map((c) => (pass.includes(c.id) ? c.points : 0));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('writeGradebook', () => {
  it('writes gradebook.csv, gradebook.json, one JUnit file per student and report.html', async () => {
    const out = await writeGradebook(dir, exp2, 'en', { now });
    expect(out.skipped).toEqual([]);
    expect(out.files.map((f) => path.relative(dir, f)).sort()).toEqual([
      'gradebook.csv',
      'gradebook.json',
      'junit/%3DHYPERLINK%28%22http%3A%2F%2Fevil%22%2C%22click%22%29%2C%20%22Jr%2E%22%0ALi.xml',
      'junit/alice.xml',
      'junit/bob.xml',
      'junit/carol.xml',
      'report.html',
    ]);
  });

  it('gradebook.csv: one row per student, each check\'s points in lab.yaml order, total, maxScore, passed, problems', async () => {
    await writeGradebook(dir, exp2, 'en', { now });
    const text = readFileSync(path.join(dir, 'gradebook.csv'), 'utf8');
    expect(text.startsWith('\ufeffname,')).toBe(true);
    expect(text.includes('\r\n')).toBe(true);
    const rows = parseCsv(text).map((r) => r.cells);
    expect(rows[0]).toEqual(['name', ...ids, 'total', 'maxScore', 'passed', 'problems', 'notes']);
    const ab = pointsOf(ids.slice(0, 3));
    expect(rows.slice(1)).toEqual([
      // A formula-looking name is defused with an apostrophe; its comma, quotes and newline survive quoting.
      ["'=HYPERLINK(\"http://evil\",\"click\"), \"Jr.\"\nLi", ...pointsOf([ids[0]!]).map(String), String(sum(pointsOf([ids[0]!]))), '100', 'false', '', ''],
      ['alice', ...pointsOf(ids).map(String), '100', '100', 'true', '', ''],
      ['bob', ...ab.map(String), String(sum(ab)), '100', 'false', '', ''],
      ['carol', ...ids.map(() => '0'), '0', '100', 'false', 'haproxy/haproxy.cfg:2: is a binary file', ''],
    ]);
  });

  it('gradebook.json: pass rates per check and the class summary', async () => {
    await writeGradebook(dir, exp2, 'en', { now });
    const g = JSON.parse(readFileSync(path.join(dir, 'gradebook.json'), 'utf8')) as Gradebook;
    expect(g.experiment).toBe('exp2');
    expect(g.generatedAt).toBe(now.toISOString());
    expect(g.checks.map((c) => c.id)).toEqual(ids);
    expect(g.checks[0]).toMatchObject({ passed: 3, students: 4, passRate: 0.75 });
    expect(g.checks[ids.length - 1]).toMatchObject({ passed: 1, students: 4, passRate: 0.25 });
    expect(g.summary).toMatchObject({ students: 4, passed: 1, notGraded: 1, medianScore: (sum(pointsOf(ids.slice(0, 3))) + sum(pointsOf([ids[0]!]))) / 2 });
    expect(g.students.find((s) => s.name === 'carol')).toMatchObject({ notGraded: true, score: 0, problems: ['haproxy/haproxy.cfg:2: is a binary file'] });
  });

  it('JUnit files come from the reporter lab check --junit uses', async () => {
    await writeGradebook(dir, exp2, 'en', { now });
    const bob = readFileSync(path.join(dir, 'junit', 'bob.xml'), 'utf8');
    expect(bob).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    expect(bob).toContain(`<testsuite name="exp2" tests="${ids.length}" failures="${ids.length - 3}"`);
    expect(bob).toContain(`<property name="score" value="${sum(pointsOf(ids.slice(0, 3)))}"/>`);
    expect(readFileSync(path.join(dir, 'junit', 'carol.xml'), 'utf8')).toContain('Not graded: the submission has problems: haproxy/haproxy.cfg:2: is a binary file');
  });

  it('regenerates everything from the stored results alone, identically, dropping students no longer there', async () => {
    await writeGradebook(dir, exp2, 'en', { now });
    const before = Object.fromEntries(['gradebook.csv', 'gradebook.json', 'report.html'].map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    for (const f of Object.keys(before)) rmSync(path.join(dir, f));
    rmSync(path.join(resultsDir(dir), 'bob.json'));
    await writeGradebook(dir, exp2, 'en', { now });
    expect(readdirSync(path.join(dir, 'junit')).sort()).not.toContain('bob.xml');
    expect(readFileSync(path.join(dir, 'gradebook.csv'), 'utf8')).toBe(before['gradebook.csv']!.split('\r\n').filter((l) => !l.startsWith('bob,')).join('\r\n'));
    await writeResult(dir, record(exp2, { name: 'bob', pass: ids.slice(0, 3) }));
    await writeGradebook(dir, exp2, 'en', { now });
    for (const [f, text] of Object.entries(before)) expect(readFileSync(path.join(dir, f), 'utf8'), f).toBe(text);
  });

  it('skips results of another experiment and unreadable files, and says so', async () => {
    await writeResult(dir, { ...record(exp2, { name: 'dave' }), experiment: 'exp3' });
    writeFileSync(path.join(resultsDir(dir), 'junk.json'), 'nope');
    const out = await writeGradebook(dir, exp2, 'en', { now });
    expect(out.gradebook.students.map((s) => s.name)).not.toContain('dave');
    expect(out.skipped.map((s) => [path.basename(s.file), s.message.replace(/^.*?: /, '')])).toEqual([
      ['junk.json', expect.stringMatching(/not a readable result/)],
      ['dave.json', 'graded for exp3, not exp2'],
    ]);
  });

  it('no results is an error with a hint, not an empty report', async () => {
    const empty = path.join(dir, '..', 'exp9');
    await expect(writeGradebook(empty, exp2, 'en')).rejects.toBeInstanceOf(LabError);
    await expect(writeGradebook(empty, exp2, 'en')).rejects.toThrow(/no results of exp2/);
    expect(existsSync(path.join(empty, 'gradebook.csv'))).toBe(false);
  });
});

describe('buildGradebook', () => {
  it('takes check titles in the requested language and sorts Chinese names by pinyin', async () => {
    const records = [...(await listFinished(dir)).records.values()];
    const zh = buildGradebook(
      [...records, GradeRecord.parse(record(exp2, { name: '张三' })), GradeRecord.parse(record(exp2, { name: '李四' })), GradeRecord.parse(record(exp2, { name: '王五' }))],
      exp2,
      'zh',
      now,
    );
    expect(zh.title).toBe(exp2.def.title.zh);
    expect(zh.checks[0]!.title).toBe(exp2.def.checks[0]!.title.zh);
    expect(zh.students.map((s) => s.name).filter((n) => /\p{Script=Han}/u.test(n))).toEqual(['李四', '王五', '张三']);
  });

  it('a check missing from an old result is an empty cell, not a zero', () => {
    const r = GradeRecord.parse(record(exp2, { name: 'old', pass: ids }));
    r.report.checks = r.report.checks.filter((c) => c.id !== ids[1]);
    const g = buildGradebook([r], exp2, 'en', now);
    expect(g.students[0]!.points[ids[1]!]).toBeNull();
    expect(parseCsv(gradebookCsv(g))[1]!.cells[2]).toBe('');
  });
});
