// docs/errata.md is the project's own account of the tutorial pitfalls lab knows, written from the
// catalogue in src/labs/pitfalls.ts by `npm run docs`. These tests fail when the committed file differs
// from what the catalogue gives, when the catalogue and the detectors disagree, and when a message or a
// file names an erratum or a docs/errata.md#N anchor that does not exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPitfalls } from '../../src/guide/pitfall-warnings.js';
import { sectionIds, sectionTable } from '../../src/guide/tutorial-ref.js';
import { detection, renderErrataDoc } from '../../src/labs/errata-doc.js';
import { ERRATA, ERRATA_DOC, errataLink, findPitfalls } from '../../src/labs/pitfalls.js';
import { hintFor } from '../../src/apply/apply.js';
import { packageRoot } from '../../src/util/paths.js';

const doc = () => readFileSync(path.join(packageRoot, ERRATA_DOC), 'utf8');

/** Text files of the product: what a user's clone of the repository carries, tests aside. */
function productFiles(): string[] {
  const walk = (rel: string): string[] =>
    statSync(path.join(packageRoot, rel)).isDirectory() ? readdirSync(path.join(packageRoot, rel)).flatMap((n) => walk(path.join(rel, n))) : [rel];
  return ['src', 'labs', 'templates', 'docs', 'README.md', 'certs/README.md'].flatMap(walk).filter((f) => !/\.(pem|crt|key|png|jpg)$/.test(f));
}

describe('docs/errata.md', () => {
  it('is what `npm run docs` writes from the catalogue (run it after changing src/labs/pitfalls.ts)', () => {
    expect(doc()).toBe(renderErrataDoc());
  });

  it('has an anchor for every erratum, so `docs/errata.md#N` links land on it', () => {
    const anchors = [...doc().matchAll(/^<a id="(\d+)"><\/a>$/gm)].map((m) => Number(m[1]));
    expect(anchors).toEqual(ERRATA.map((e) => e.errata));
    expect(errataLink(13)).toBe('docs/errata.md#13');
  });
});

describe('the catalogue', () => {
  it('is numbered 1..n, each entry in both languages, on sections the section table knows', () => {
    expect(ERRATA.map((e) => e.errata)).toEqual(ERRATA.map((_, i) => i + 1));
    const table = sectionTable();
    for (const e of ERRATA) {
      for (const field of [e.title, e.snippet, e.happens, e.fix, ...(e.lab ? [e.lab] : [])]) {
        expect(field.en.trim(), `errata ${e.errata}`).not.toBe('');
        expect(field.zh, `errata ${e.errata}`).toMatch(/[\u4e00-\u9fff`]/);
      }
      expect(e.sections.length).toBeGreaterThan(0);
      for (const s of e.sections) expect(sectionIds(s).every((id) => table.has(id)), `errata ${e.errata}: ${s}`).toBe(true);
    }
  });

  it('every detector and tool-error signature in pitfalls.ts reports a number the catalogue has', () => {
    const source = readFileSync(path.join(packageRoot, 'src/labs/pitfalls.ts'), 'utf8');
    const code = source.slice(0, source.indexOf('export const ERRATA'));
    const used = new Set([...code.matchAll(/errata: (\d+)/g)].map((m) => Number(m[1])));
    expect(used.size).toBeGreaterThan(10);
    for (const n of used) expect(ERRATA.some((e) => e.errata === n), `errata ${n}`).toBe(true);
  });

  it('each example is found by findPitfalls under its own number, so "lab looks for it in" is true', () => {
    for (const e of ERRATA) {
      for (const ex of e.examples ?? []) expect(findPitfalls(ex.file, ex.text).map((p) => p.errata), `errata ${e.errata} in ${ex.file}`).toContain(e.errata);
      expect(() => detection(e)).not.toThrow();
    }
    // And every number a detector can report has an example.
    const withExamples = new Set(ERRATA.filter((e) => e.examples?.length).map((e) => e.errata));
    expect([...withExamples].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });
});

describe('references to errata across the repository', () => {
  it('"errata N" and "勘误 N" in product files name entries that exist', () => {
    const bad: string[] = [];
    for (const f of productFiles()) {
      readFileSync(path.join(packageRoot, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const m of line.matchAll(/(?:errata|勘误)\s*(\d+)/gi)) if (!ERRATA.some((e) => e.errata === Number(m[1]))) bad.push(`${f}:${i + 1}: ${m[0]}`);
        });
    }
    expect(bad).toEqual([]);
  });

  it('every docs/errata.md#N link in product files lands on an anchor', () => {
    const anchors = new Set([...doc().matchAll(/^<a id="(\d+)"><\/a>$/gm)].map((m) => m[1]));
    const links = productFiles().flatMap((f) => [...readFileSync(path.join(packageRoot, f), 'utf8').matchAll(/errata\.md#([\w-]+)/g)].map((m) => ({ f, anchor: m[1]! })));
    expect(links.filter((l) => l.f === 'README.md').length).toBeGreaterThan(0);
    expect(links.filter((l) => !anchors.has(l.anchor) && l.anchor !== 'N')).toEqual([]);
  });

  it('lab apply\'s hint for a known pitfall and the guide\'s warning link the entry', () => {
    const { hint } = hintFor({ output: "[ALERT] parsing [/etc/haproxy/haproxy.cfg:9] : The 'block' directive is not supported anymore", message: 'x', file: 'elsewhere/haproxy.cfg', line: 9 }, '/nonexistent', 'workspace/exp5', ['haproxy1']);
    expect(hint).toBe('Errata 1: write `http-request deny if <condition>` instead: same syntax (docs/errata.md#1). haproxy1 keeps running on the last good config.');
    const [warning] = formatPitfalls([{ errata: 6, line: 2, file: 'haproxy/haproxy.cfg', severity: 'warning', message: 'logs vanish', fix: 'log to stdout' }], 'workspace/exp1', 'en');
    expect(warning).toBe('⚠ Careful (errata 6): workspace/exp1/haproxy/haproxy.cfg:2: logs vanish\n  Fix: log to stdout (docs/errata.md#6)');
  });
});
