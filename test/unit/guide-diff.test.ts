// The guide's solution diff (src/guide/diff.ts, on jsdiff) against the hand-written LCS diff it replaced,
// kept below as the oracle: byte-identical on every start → solution file of the labs, and on random
// edits a diff of the same size (both are minimal) in the same format — headers, `@@ -a,n +b,m @@` with
// the counts always written, deletions before insertions, three lines of context — that turns the
// student's file into the solution. Where lines repeat, the two may align a change differently (so does
// GNU diff, with either of them).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/guide/diff.js';
import { listLabs } from '../../src/labs/load.js';
import { labsDir } from '../../src/util/paths.js';

function oracle(aText: string, bText: string, aName: string, bName: string, context = 3): string {
  type Op = { t: ' ' | '-' | '+'; line: string; a: number; b: number };
  const lines = (text: string) => {
    const l = text.split('\n');
    if (l[l.length - 1] === '') l.pop();
    return l;
  };
  const [a, b] = [lines(aText), lines(bText)];
  const [n, m] = [a.length, b.length];
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const all: Op[] = [];
  let [i, j] = [0, 0];
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) all.push({ t: ' ', line: a[i]!, a: i++, b: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) all.push({ t: '-', line: a[i]!, a: i++, b: j });
    else all.push({ t: '+', line: b[j]!, a: i, b: j++ });
  }
  const changed = all.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return '';
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const [lo, hi] = [Math.max(0, k - context), Math.min(all.length - 1, k + context)];
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else hunks.push([lo, hi]);
  }
  const out = [`--- ${aName}`, `+++ ${bName}`];
  for (const [lo, hi] of hunks) {
    const slice = all.slice(lo, hi + 1);
    const aLen = slice.filter((o) => o.t !== '+').length;
    const bLen = slice.filter((o) => o.t !== '-').length;
    const aStart = aLen ? slice.find((o) => o.t !== '+')!.a + 1 : slice[0]!.a;
    const bStart = bLen ? slice.find((o) => o.t !== '-')!.b + 1 : slice[0]!.b;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const o of slice) out.push(`${o.t}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

/** Applies a unified diff strictly (every context and deleted line must match); the result's lines. */
function applyDiff(aText: string, diff: string): string[] {
  const a = aText.split('\n');
  if (a[a.length - 1] === '') a.pop();
  const out: string[] = [];
  let next = 0; // index into a
  const lines = diff.split('\n').slice(2, -1);
  for (let k = 0; k < lines.length; ) {
    const h = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[k++]!);
    if (!h) throw new Error(`not a hunk header: ${lines[k - 1]}`);
    const [aStart, aLen, bStart, bLen] = h.slice(1).map(Number) as [number, number, number, number];
    const from = aLen ? aStart - 1 : aStart;
    while (next < from) out.push(a[next++]!);
    if (out.length !== (bLen ? bStart - 1 : bStart)) throw new Error('new start is off');
    let [seenA, seenB] = [0, 0];
    while (k < lines.length && !lines[k]!.startsWith('@@')) {
      const [t, text] = [lines[k]![0], lines[k]!.slice(1)];
      k++;
      if (t === ' ' || t === '-') {
        if (a[next] !== text) throw new Error(`line ${next + 1} is "${a[next]}", the diff says "${text}"`);
        next++;
        seenA++;
      }
      if (t === ' ' || t === '+') {
        out.push(text);
        seenB++;
      }
    }
    if (seenA !== aLen || seenB !== bLen) throw new Error('hunk counts are off');
  }
  while (next < a.length) out.push(a[next++]!);
  return out;
}

const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)).map((f) => path.join(n, f)) : [n])) : []);

describe('unifiedDiff (jsdiff)', () => {
  it('byte-identical to the hand-written diff on every start → solution file of every lab', () => {
    let files = 0;
    for (const id of listLabs()) {
      const [start, solution] = [path.join(labsDir, id, 'start'), path.join(labsDir, id, 'solution')];
      for (const rel of new Set([...walk(start), ...walk(solution)])) {
        const read = (dir: string) => (existsSync(path.join(dir, rel)) ? readFileSync(path.join(dir, rel), 'utf8') : '');
        const [a, b] = [read(start), read(solution)];
        expect(unifiedDiff(a, b, `workspace/${id}/${rel}`, `solution/${rel}`), `${id}/${rel}`).toBe(oracle(a, b, `workspace/${id}/${rel}`, `solution/${rel}`));
        files++;
      }
    }
    expect(files).toBeGreaterThan(10);
  });

  it('edge cases as before: equal texts, empty sides, a missing final newline is no difference, CR kept, names never quoted', () => {
    const pairs: [string, string][] = [
      ['a\nb\n', 'a\nb\n'],
      ['a\nb', 'a\nb\n'],
      ['', 'new\n'],
      ['old\n', ''],
      ['\n', ''],
      ['x\r\ny\r\n', 'x\ny\r\n'],
      ['1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n', '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n'],
      ['1\n2\n3\n4\n5\n6\n7\nA\n', 'B\n1\n2\n3\n4\n5\n6\n7\n'],
    ];
    for (const [a, b] of pairs) expect(unifiedDiff(a, b, 'my file', 'solution/x y'), JSON.stringify([a, b])).toBe(oracle(a, b, 'my file', 'solution/x y'));
    expect(unifiedDiff('a\n', 'b\n', 'x', 'y', 0)).toBe(oracle('a\n', 'b\n', 'x', 'y', 0));
  });

  it('on 2000 random edits of texts with many repeated lines: minimal like the old one, same format, and it applies', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const a = Array.from({ length: rnd(40) }, () => ['', '    mode http', 'server a', 'b', 'c'][rnd(5)]!);
      const b = a.flatMap((l) => {
        const r = rnd(12);
        return r === 0 ? [] : r === 1 ? [`new ${rnd(3)}`] : r === 2 ? [l, ['', 'b', `add ${rnd(3)}`][rnd(3)]!] : [l];
      });
      const [at, bt] = [a.map((l) => `${l}\n`).join(''), b.map((l) => `${l}\n`).join('')];
      const got = unifiedDiff(at, bt, 'mine', 'solution');
      const want = oracle(at, bt, 'mine', 'solution');
      const count = (d: string, t: string) => d.split('\n').filter((l) => l.startsWith(t) && !l.startsWith(`${t}${t}${t} `)).length;
      expect(count(got, '-'), JSON.stringify([at, bt])).toBe(count(want, '-'));
      expect(count(got, '+')).toBe(count(want, '+'));
      if (!want) {
        expect(got).toBe('');
        continue;
      }
      expect(got.startsWith('--- mine\n+++ solution\n@@ -')).toBe(true);
      expect(got, 'an insertion directly followed by a deletion').not.toMatch(/^\+.*\n-/m);
      expect(applyDiff(at, got)).toEqual(b);
    }
  });
});
