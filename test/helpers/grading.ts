// Shared by the grader's own tests (test/e2e/check-*.test.ts): grade a test lab, converge it after an
// edit the way `lab apply` does, and apply deliberate mistakes to a config.
import { labContext } from '../../src/checks/context.js';
import { runChecks } from '../../src/checks/runner.js';
import type { CheckDef } from '../../src/checks/schema.js';
import type { Report, ReportMeta } from '../../src/checks/types.js';
import { applyTarget, resolveTarget } from '../../src/apply/apply.js';
import type { TestLab } from './lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Grades the lab; with the observations each check decided on. */
export async function gradeWithMeta(lab: TestLab, exp: string, checks: CheckDef[], only?: string[], retries?: number): Promise<{ report: Report; meta: ReportMeta }> {
  const base = labContext(lab.runtime, await lab.view(), exp);
  return runChecks(exp, checks, base, { lang: 'en', only, retries });
}

export async function grade(lab: TestLab, exp: string, checks: CheckDef[], only?: string[]): Promise<Report> {
  return (await gradeWithMeta(lab, exp, checks, only)).report;
}

/** Ids of the checks that did not pass. */
export const failing = (r: Report) => r.checks.filter((c) => c.status !== 'pass').map((c) => c.id);

/** Every check's status and message, for assertion failures. */
export const explain = (r: Report) => r.checks.map((c) => `${c.status} ${c.id}: ${c.message}`).join('\n');

export interface ConvergeOptions {
  /** A URL the client should get an HTTP answer from (through the VIP) before grading; up to 5 s. */
  waitFor?: string;
  /** Then settle this long (e.g. a director health-check period, or a few HAProxy check intervals). */
  settleMs?: number;
}

/**
 * Validate-then-reload the services whose files changed, as `lab apply` does (its content hashes decide),
 * plus HAProxy every time, as `lab apply --force` would: a case may leave runtime state behind (a server
 * put in maintenance through the socket), and the next case must meet its config alone. Nginx and the
 * directors are not forced: that cost eight execs per converge (nginx -t, three Nginx reloads, two
 * keepalived -t, two director reloads) for files no case of most experiments touches. Then wait for the
 * lab to settle.
 */
export async function converge(lab: TestLab, exp: string, opts: ConvergeOptions = {}): Promise<void> {
  const view = await lab.view();
  const haproxy = new Set(view.nodes.filter((n) => n.role === 'haproxy').map((n) => n.node));
  const applied = Object.fromEntries(Object.entries(view.applied).filter(([node]) => !haproxy.has(node)));
  const t = resolveTarget({ ...view, applied }, { labName: lab.name, cwd: lab.cwd, experiment: exp });
  const r = await applyTarget(lab.runtime, t, { cwd: lab.cwd });
  const bad = r.outcomes.find((o) => o.error);
  if (bad) throw bad.error;
  if (opts.waitFor) {
    const client = lab.container('client');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const res = await lab.runtime.exec(client, ['curl', '-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', opts.waitFor]);
      if (res.stdout !== '000') break;
      await sleep(200);
    }
  }
  await sleep(opts.settleMs ?? 300);
}

/** Replaces every `from` with `to`; a mutation that changes nothing would prove nothing. */
export function mutate(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from, to);
  if (out === text) throw new Error(`mutation did not apply: ${String(from)}`);
  return out;
}

/** Replaces `from` inside one section of haproxy.cfg (from its header line to the next blank line). */
export function inSection(text: string, header: string, from: string | RegExp, to: string): string {
  const start = text.indexOf(`\n${header}\n`) + 1;
  if (start < 1) throw new Error(`no section ${header}`);
  const end = text.indexOf('\n\n', start);
  const stop = end < 0 ? text.length : end;
  return text.slice(0, start) + mutate(text.slice(start, stop), from, to) + text.slice(stop);
}

/** Replaces a whole section of haproxy.cfg (header line to the next blank line) with `body`. */
export function replaceSection(text: string, header: string, body: string): string {
  const start = text.indexOf(`\n${header}\n`) + 1;
  if (start < 1) throw new Error(`no section ${header}`);
  const end = text.indexOf('\n\n', start);
  return text.slice(0, start) + body.replace(/\n*$/, '') + (end < 0 ? '\n' : text.slice(end));
}
