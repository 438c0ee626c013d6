// Every probe's decision, replayed without a lab: test/fixtures/observations/<exp>/<variant>/<check>.json
// are observations recorded from real labs by the e2e grading contract (LAB_RECORD_OBSERVATIONS=DIR,
// see test/helpers/contract.ts) — the reference solutions, the correct variants written differently, and
// the wrong configs of issue 8 — each with the outcome the contract expects. A false pass or a false fail
// in a decide function shows up here, in milliseconds.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObservingProbe } from '../../src/checks/probes/define.js';
import { PROBES } from '../../src/checks/probes/index.js';
import { Probe, PROBE_KINDS } from '../../src/checks/schema.js';
import { loadLab } from '../../src/labs/load.js';

const root = path.join(import.meta.dirname, '..', 'fixtures', 'observations');

interface Fixture {
  exp: string;
  variant: string;
  check: string;
  kind: string;
  params: unknown;
  expected: 'pass' | 'fail';
  status: string;
  message: string;
  observed: unknown;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.json') ? [p] : [];
  });
}

// Only the experiments' recordings (exp1/, exp2/, …): other folders beside them may hold other shapes.
const fixtures = readdirSync(root)
  .filter((d) => /^exp\d+$/.test(d))
  .flatMap((d) => walk(path.join(root, d)))
  .map((file) => ({ file: path.relative(root, file), f: JSON.parse(readFileSync(file, 'utf8')) as Fixture }));

const decideOf = (kind: string) => (PROBES as unknown as Record<string, ObservingProbe<unknown, unknown>>)[kind]!;

describe('decide functions replay recorded observations', () => {
  it('every probe kind has observe and decide; every kind exp1..exp5 use has recordings that pass and that fail', () => {
    for (const kind of PROBE_KINDS) {
      expect(typeof decideOf(kind).decide, kind).toBe('function');
      expect(typeof decideOf(kind).observe, kind).toBe('function');
    }
    const used = new Set(['exp1', 'exp2', 'exp3', 'exp4', 'exp5'].flatMap((e) => loadLab(e).def.checks.map((c) => c.probe.kind)));
    for (const kind of used) {
      const mine = fixtures.filter((x) => x.f.kind === kind);
      expect(mine.some((x) => x.f.expected === 'pass'), `${kind}: a recording that passes`).toBe(true);
      expect(mine.some((x) => x.f.expected === 'fail'), `${kind}: a recording that fails`).toBe(true);
    }
  });

  it('every experiment has recordings of its start, its solution and at least 3 correct and 6 wrong variants', () => {
    for (const exp of ['exp1', 'exp2', 'exp3', 'exp4', 'exp5']) {
      const variants = new Map<string, Fixture[]>();
      for (const { f } of fixtures.filter((x) => x.f.exp === exp)) variants.set(f.variant, [...(variants.get(f.variant) ?? []), f]);
      expect(variants.has('start') && variants.has('solution'), exp).toBe(true);
      const wrong = [...variants.values()].filter((fs) => fs.some((f) => f.expected === 'fail') && fs[0]!.variant !== 'start');
      const correct = [...variants.values()].filter((fs) => fs.every((f) => f.expected === 'pass') && fs[0]!.variant !== 'solution');
      expect(wrong.length, `${exp}: wrong variants`).toBeGreaterThanOrEqual(6);
      expect(correct.length, `${exp}: correct variants`).toBeGreaterThanOrEqual(3);
    }
  });

  for (const { file, f } of fixtures) {
    it(`${file}: ${f.expected}`, () => {
      const params = Probe.parse(f.params);
      const out = decideOf(f.kind).decide(f.observed, params);
      expect(out.status, `${out.message.en}\nrecorded: ${f.message}`).toBe(f.expected);
      expect(out.message.en.length).toBeGreaterThan(0);
      expect(out.message.zh.length).toBeGreaterThan(0);
      // The decision is pure: the same observations give the same outcome.
      expect(decideOf(f.kind).decide(f.observed, params)).toEqual(out);
    });
  }
});

describe('derived from recordings', () => {
  it('tls-sni: a pass-through with two handshakes cut (its servers DOWN) still says first that HAProxy did not terminate TLS', () => {
    // The recorded pass-through, with the first two SNIs cut as a CI run saw them after a reload: the
    // lesson's finding must not fall behind the per-SNI ones, which are listed three at most.
    const { f } = fixtures.find((x) => x.f.exp === 'exp2' && x.f.check === 'tls-certificates' && x.f.variant.startsWith('443 in mode tcp'))!;
    const o = structuredClone(f.observed) as { certs: { sni: string }[]; ssl: { before: number; after: number } };
    o.certs[0] = { sni: o.certs[0]!.sni, error: 'the connection was closed during the handshake' } as never;
    o.certs[1] = { sni: o.certs[1]!.sni, error: 'the connection was closed during the handshake' } as never;
    expect(o.ssl.after - o.ssl.before).toBe(0);
    const out = decideOf('tls-sni').decide(o, Probe.parse(f.params));
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/^nginx1, nginx2, nginx3 still answer TLS on port 10443: .*; the 5 handshakes got the right certificates, but HAProxy's frontends established 0 TLS sessions meanwhile: HAProxy did not terminate TLS/);
    expect(out.message.en).toContain('go-backend.liujun.com: no certificate (the connection was closed during the handshake); and 1 more');
  });
});
