// `lab check --junit`: written with xmlbuilder2, the same document as the hand-written writer it replaced
// (kept below as the oracle): same elements, attributes and texts, compared after parsing both, so only
// the layout of whitespace between elements may differ. Also well-formed when messages carry control
// characters, quotes, markup or Chinese text.
import { describe, expect, it } from 'vitest';
import { convert } from 'xmlbuilder2';
import { junit } from '../../src/checks/report.js';
import type { Report, ReportMeta } from '../../src/checks/types.js';

function oracle(r: Report, meta: ReportMeta): string {
  // eslint-disable-next-line no-control-regex
  const xml = (s: string) => s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const failures = r.checks.filter((c) => c.status === 'fail').length;
  const skipped = r.checks.filter((c) => c.status === 'skip').length;
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="lab.check.${xml(r.experiment)}" name="${xml(`${c.id}: ${c.title}`)}" time="${secs(meta.durationMs[c.id] ?? 0)}">`;
    const props = `      <properties><property name="points" value="${c.points}"/><property name="maxPoints" value="${c.maxPoints}"/><property name="required" value="${meta.required[c.id] !== false}"/></properties>`;
    const body =
      c.status === 'fail'
        ? `      <failure message="${xml(c.message)}" type="check-failed">${xml(`${c.message}\nhint: ${c.hint}`)}</failure>`
        : c.status === 'skip'
          ? `      <skipped message="${xml(c.message)}"/>`
          : `      <system-out>${xml(c.message)}</system-out>`;
    return [open, props, body, '    </testcase>'].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lab check" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${secs(meta.totalMs)}">`,
    `  <testsuite name="${xml(r.experiment)}" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${secs(meta.totalMs)}">`,
    `    <properties><property name="score" value="${r.score}"/><property name="maxScore" value="${r.maxScore}"/><property name="passed" value="${r.passed}"/>${meta.target ? `<property name="target" value="${xml(meta.target)}"/>` : ''}</properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

const check = (id: string, status: 'pass' | 'fail' | 'skip', message: string, extra: Partial<Report['checks'][number]> = {}) => ({ id, title: `title of ${id}`, status, points: status === 'pass' ? 5 : 0, maxPoints: 5, message, hint: `hint for ${id}`, ...extra });

const cases: [string, Report, ReportMeta][] = [
  [
    'mixed results, escaping, a target',
    {
      experiment: 'exp2',
      score: 10,
      maxScore: 30,
      passed: false,
      checks: [
        check('a', 'pass', 'ok "quoted" & <b>', { title: 'Routes #1 & <2>' }),
        check('b', 'fail', 'SNI x: got y\nline two\ttab', { hint: 'look at "bind" <ssl>' }),
        check('c', 'skip', 'needs the lab'),
      ],
    },
    { required: { a: true, b: true, c: false }, durationMs: { a: 5, b: 1500, c: 0 }, attempts: {}, totalMs: 1600, lang: 'en', target: 'haproxy.school&lab' },
  ],
  [
    'control characters are dropped, Chinese text kept',
    {
      experiment: 'exp1',
      score: 0,
      maxScore: 10,
      passed: false,
      checks: [check('x\u0001', 'fail', 'bell\u0007 and escape\u001b[31m red\u000b', { title: '统计页面\u0000', hint: '提示\u0008' }), check('y', 'skip', 'nul\u0000')],
    },
    { required: {}, durationMs: {}, attempts: {}, totalMs: 0, lang: 'zh' },
  ],
  ['no checks at all', { experiment: 'exp9', score: 0, maxScore: 0, passed: true, checks: [] }, { required: {}, durationMs: {}, attempts: {}, totalMs: 12, lang: 'en', target: '' }],
];

describe('junit (xmlbuilder2)', () => {
  for (const [name, report, meta] of cases) {
    it(`the same document as the hand-written writer: ${name}`, () => {
      const got = junit(report, meta);
      expect(got.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
      expect(got.endsWith('</testsuites>\n')).toBe(true);
      expect(convert(got, { format: 'object' })).toEqual(convert(oracle(report, meta), { format: 'object' }));
      // eslint-disable-next-line no-control-regex
      expect(got).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    });
  }

  it('elements in order: suite properties first, then per testcase its properties and one result element', () => {
    const [, report, meta] = cases[0]!;
    const x = junit(report, meta);
    const tags = [...x.matchAll(/<([a-z-]+)[ >/]/g)].map((m) => m[1]);
    expect(tags).toEqual([
      'testsuites', 'testsuite', 'properties', 'property', 'property', 'property', 'property',
      'testcase', 'properties', 'property', 'property', 'property', 'system-out',
      'testcase', 'properties', 'property', 'property', 'property', 'failure',
      'testcase', 'properties', 'property', 'property', 'property', 'skipped',
    ]);
    expect(x).toContain('<failure message="SNI x: got y\nline two\ttab" type="check-failed">SNI x: got y\nline two\ttab\nhint: look at "bind" &lt;ssl&gt;</failure>');
  });
});
