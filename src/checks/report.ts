// The four ways a grade leaves lab: for people (human), for scripts (--json, the shape of issue 4),
// for CI and classroom autograders (--junit FILE, --tap as TAP version 14).
import type { CheckResult, Report, ReportMeta } from './types.js';
import { plainStyle as plain, type Style } from '../util/style.js';
import { createRequire } from 'node:module';

// xmlbuilder2 takes about 105 ms to load (it brings a DOM and js-yaml), a tenth of a whole `lab check`:
// it is loaded (synchronously, it is CommonJS) only when a JUnit report is asked for.
type XmlBuilder2 = typeof import('xmlbuilder2');
type XMLBuilder = ReturnType<XmlBuilder2['create']>;
const xmlbuilder2 = (): XmlBuilder2 => createRequire(import.meta.url)('xmlbuilder2') as XmlBuilder2;

export type { Style };

/**
 * Exactly {experiment, score, maxScore, passed, checks: [{id, title, status, points, maxPoints, message, hint}]},
 * and with `meta` (--explain) each check's raw observations as `explain`.
 */
export function toJson(r: Report, meta?: Pick<ReportMeta, 'observations'>): Report {
  return {
    experiment: r.experiment,
    score: r.score,
    maxScore: r.maxScore,
    passed: r.passed,
    checks: r.checks.map((c) => ({
      id: c.id,
      title: c.title,
      status: c.status,
      points: c.points,
      maxPoints: c.maxPoints,
      message: c.message,
      hint: c.hint,
      ...(meta ? { explain: meta.observations?.[c.id] ?? null } : {}),
    })),
  };
}

const WORDS = {
  en: {
    pass: 'PASS',
    fail: 'FAIL',
    skip: 'SKIP',
    hint: 'hint',
    score: 'Score',
    required: 'required',
    optional: 'optional',
    allPassed: 'Every required check passed.',
    failed: (ids: string[]) => `Required check(s) not passed: ${ids.join(', ')}.`,
  },
  zh: { pass: '通过', fail: '失败', skip: '跳过', hint: '提示', score: 'Score', required: '必做', optional: '选做', allPassed: '所有必做检查均已通过。', failed: (ids: string[]) => `未通过的必做检查：${ids.join(', ')}。` },
} as const;

export function humanLine(c: CheckResult, meta: Pick<ReportMeta, 'lang' | 'required'>, s: Style = plain): string {
  const w = WORDS[meta.lang];
  const mark = c.status === 'pass' ? s.green(`✔ ${w.pass}`) : c.status === 'fail' ? s.red(`✘ ${w.fail}`) : s.yellow(`– ${w.skip}`);
  const opt = meta.required[c.id] === false ? s.dim(` (${w.optional})`) : '';
  const lines = [`${mark}  ${s.bold(c.title)}${opt}  ${s.dim(`[${c.id}]`)}  ${c.points}/${c.maxPoints}`, `      ${c.status === 'pass' ? s.dim(c.message) : c.message}`];
  if (c.status === 'fail') lines.push(`      ${s.yellow(`${w.hint}:`)} ${c.hint}`);
  return lines.join('\n');
}

export function human(r: Report, meta: ReportMeta, s: Style = plain, opts: { explain?: boolean } = {}): string {
  const w = WORDS[meta.lang];
  const out = r.checks.map((c) => {
    const line = humanLine(c, meta, s);
    const obs = opts.explain ? meta.observations?.[c.id] : undefined;
    return obs === undefined ? line : `${line}\n${s.dim(JSON.stringify(obs, null, 2).split('\n').map((l) => `      ${l}`).join('\n'))}`;
  });
  out.push('');
  out.push(s.bold(`${w.score}: ${r.score}/${r.maxScore}`));
  const missing = r.checks.filter((c) => meta.required[c.id] !== false && c.status !== 'pass').map((c) => c.id);
  out.push(missing.length ? s.red(w.failed(missing)) : s.green(w.allPassed));
  return `${out.join('\n')}\n`;
}

/** XML 1.0 forbids most control characters even when escaped: they are dropped from every text. */
// eslint-disable-next-line no-control-regex
const clean = (s: string) => s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

type Properties = Record<string, string | number | boolean | undefined>;

function properties(parent: XMLBuilder, props: Properties): void {
  const el = parent.ele('properties');
  for (const [name, value] of Object.entries(props)) if (value !== undefined) el.ele('property', { name, value: clean(String(value)) });
}

/** JUnit XML as CI systems read it (the Jenkins/Surefire schema): one testsuite, one testcase per check. */
export function junit(r: Report, meta: ReportMeta): string {
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const counts = {
    tests: r.checks.length,
    failures: r.checks.filter((c) => c.status === 'fail').length,
    skipped: r.checks.filter((c) => c.status === 'skip').length,
    errors: 0,
    time: secs(meta.totalMs),
  };
  const doc = xmlbuilder2().create({ version: '1.0', encoding: 'UTF-8' });
  const suite = doc.ele('testsuites', { name: 'lab check', ...counts }).ele('testsuite', { name: clean(r.experiment), ...counts });
  properties(suite, { score: r.score, maxScore: r.maxScore, passed: r.passed, target: meta.target || undefined });
  for (const c of r.checks) {
    const tc = suite.ele('testcase', { classname: clean(`lab.check.${r.experiment}`), name: clean(`${c.id}: ${c.title}`), time: secs(meta.durationMs[c.id] ?? 0) });
    properties(tc, { points: c.points, maxPoints: c.maxPoints, required: meta.required[c.id] !== false });
    if (c.status === 'fail') tc.ele('failure', { message: clean(c.message), type: 'check-failed' }).txt(clean(`${c.message}\nhint: ${c.hint}`));
    else if (c.status === 'skip') tc.ele('skipped', { message: clean(c.message) });
    else tc.ele('system-out').txt(clean(c.message));
  }
  return `${doc.end({ prettyPrint: true, indent: '  ' })}\n`;
}

/** TAP version 14: one test point per check, a YAML diagnostic block, SKIP directives for skips. */
export function tap(r: Report, meta: ReportMeta): string {
  const out = ['TAP version 14', `1..${r.checks.length}`];
  r.checks.forEach((c, i) => {
    // '#' starts a directive in a description; backslash-escape it (TAP 14 §Escaping).
    const desc = `${c.id} - ${c.title}`.replace(/\\/g, '\\\\').replace(/#/g, '\\#');
    const directive = c.status === 'skip' ? ` # SKIP ${c.message.replace(/\n/g, ' ')}` : '';
    out.push(`${c.status === 'fail' ? 'not ok' : 'ok'} ${i + 1} - ${desc}${directive}`);
    out.push('  ---');
    out.push(`  id: ${JSON.stringify(c.id)}`);
    out.push(`  status: ${c.status}`);
    out.push(`  points: ${c.points}`);
    out.push(`  maxPoints: ${c.maxPoints}`);
    out.push(`  required: ${meta.required[c.id] !== false}`);
    out.push(`  message: ${JSON.stringify(c.message)}`);
    if (c.status !== 'pass') out.push(`  hint: ${JSON.stringify(c.hint)}`);
    out.push('  ...');
  });
  out.push(`# Score: ${r.score}/${r.maxScore}`);
  return `${out.join('\n')}\n`;
}
