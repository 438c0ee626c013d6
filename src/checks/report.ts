// The four ways a grade leaves lab: for people (human), for scripts (--json, the shape of issue 4),
// for CI and classroom autograders (--junit FILE, --tap as TAP version 14).
import type { CheckResult, Report, ReportMeta } from './types.js';
import { plainStyle as plain, type Style } from '../util/style.js';

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

function xml(s: string): string {
  // XML 1.0 forbids most control characters even when escaped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function junit(r: Report, meta: ReportMeta): string {
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const failures = r.checks.filter((c) => c.status === 'fail').length;
  const skipped = r.checks.filter((c) => c.status === 'skip').length;
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="lab.check.${xml(r.experiment)}" name="${xml(`${c.id}: ${c.title}`)}" time="${secs(meta.durationMs[c.id] ?? 0)}">`;
    const prop = (name: string, value: unknown) => `<property name="${name}" value="${value}"/>`;
    const props = `      <properties>${prop('points', c.points)}${prop('maxPoints', c.maxPoints)}${prop('required', meta.required[c.id] !== false)}</properties>`;
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
    `    <properties><property name="score" value="${r.score}"/><property name="maxScore" value="${r.maxScore}"/><property name="passed" value="${r.passed}"/>` +
      `${meta.target ? `<property name="target" value="${xml(meta.target)}"/>` : ''}</properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
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
