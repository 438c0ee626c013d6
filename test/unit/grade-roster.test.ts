// Rosters as spreadsheets and LMSs export them, and RFC 4180 CSV both ways.
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { csvField, csvText, formatCsv, parseCsv } from '../../src/grade/csv.js';
import { parseRoster, rosterFromPaths } from '../../src/grade/roster.js';
import { FileError, UsageError } from '../../src/util/errors.js';

describe('CSV', () => {
  it('parses quoted fields with commas, doubled quotes and line breaks; CRLF or LF; BOM dropped', () => {
    const text = '\ufeffname,submission\r\n"Li, Wei","subs/li ""wei"".zip"\r\n"multi\nline",x\n\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['name', 'submission'] },
      { line: 2, cells: ['Li, Wei', 'subs/li "wei".zip'] },
      { line: 3, cells: ['multi\nline', 'x'] },
    ]);
  });

  it('keeps empty fields, skips blank lines, accepts a last line without newline', () => {
    expect(parseCsv('a,,""\n\nb,c')).toEqual([
      { line: 1, cells: ['a', '', ''] },
      { line: 3, cells: ['b', 'c'] },
    ]);
  });

  it('says where a malformed field is', () => {
    expect(() => parseCsv('a,b\nx,"open\n')).toThrow(/not closed/);
    expect(() => parseCsv('a,b"c"\n')).toThrow(/quote in the middle/);
    expect(() => parseCsv('"a"b,c\n')).toThrow(/after the closing quote/);
  });

  it('writes RFC 4180: quotes only when needed, quotes doubled, CRLF', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(formatCsv([['a', 1, true], ['b,c', 2, false]])).toBe('a,1,true\r\n"b,c",2,false\r\n');
    const round = [['张三', '=1+1', 'x "y", z\r\nw']];
    expect(parseCsv(formatCsv(round)).map((r) => r.cells)).toEqual(round);
  });

  it('defuses spreadsheet formulas in text cells', () => {
    expect(csvText('=HYPERLINK("http://x","y")')).toBe('\'=HYPERLINK("http://x","y")');
    for (const s of ['+1', '-1', '@SUM(A1)', '\t=x']) expect(csvText(s).startsWith("'")).toBe(true);
    expect(csvText('Alice')).toBe('Alice');
  });
});

describe('rosters', () => {
  const file = '/class/roster.csv';

  it('finds the columns by header (any order, extra columns), resolves paths from the roster\'s folder', () => {
    const r = parseRoster(file, 'id,Submission,Name\n1,subs/alice.zip,Alice\n2,/abs/bob,"Bob, Jr."\n');
    expect(r).toEqual([
      { name: 'Alice', path: '/class/subs/alice.zip', line: 2 },
      { name: 'Bob, Jr.', path: '/abs/bob', line: 3 },
    ]);
  });

  it('takes name,path without a header, and Chinese headers', () => {
    expect(parseRoster(file, 'alice,a.zip\nbob,b.tgz\n').map((e) => e.name)).toEqual(['alice', 'bob']);
    expect(parseRoster(file, '\ufeff姓名,提交\n张三,zhang.zip\n')).toEqual([{ name: '张三', path: '/class/zhang.zip', line: 2 }]);
  });

  it('a duplicate name is an error naming both lines', () => {
    try {
      parseRoster(file, 'name,submission\nalice,a.zip\nbob,b.zip\nalice,a2.zip\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FileError);
      expect((e as FileError).message).toBe('/class/roster.csv:4: the name "alice" is already on line 2');
      expect((e as FileError).hint).toMatch(/unique/);
    }
  });

  it('rows without a name or path, bad CSV, and empty rosters are file errors with the line', () => {
    expect(() => parseRoster(file, 'name,submission\nalice,\n')).toThrow(/roster\.csv:2: a row needs a name and a submission path/);
    expect(() => parseRoster(file, 'name,submission\n"alice,a.zip\n')).toThrow(FileError);
    expect(() => parseRoster(file, 'name,submission\n')).toThrow(/lists no student/);
  });

  it('from paths: base names, and two submissions with one name are a usage error', () => {
    expect(rosterFromPaths(['subs/alice.zip', 'subs/bob/']).map((e) => e.name)).toEqual(['alice', 'bob']);
    expect(rosterFromPaths(['x.tgz'])[0]!.path).toBe(path.resolve('x.tgz'));
    expect(() => rosterFromPaths(['a/alice.zip', 'b/alice.tar.gz'])).toThrow(UsageError);
    expect(() => rosterFromPaths(['a/alice.zip', 'b/alice.tar.gz'])).toThrow(/both named "alice"/);
  });
});
