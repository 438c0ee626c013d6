// Shared by the grader's own tests (test/e2e/check-exp*.test.ts): grade a test lab, converge it after an
// edit the way `lab apply` does, and apply deliberate mistakes to a config.
import { labContext } from '../../src/checks/context.js';
import { runChecks } from '../../src/checks/runner.js';
import type { CheckDef } from '../../src/checks/schema.js';
import type { Report } from '../../src/checks/types.js';
import { validateAndReload } from '../../src/services/reload.js';
import type { TestLab } from './lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function grade(lab: TestLab, exp: string, checks: CheckDef[], only?: string[]): Promise<Report> {
  const base = await labContext(lab.runtime, lab.name, exp);
  return (await runChecks(exp, checks, base, { lang: 'en', only })).report;
}

/** Ids of the checks that did not pass. */
export const failing = (r: Report) => r.checks.filter((c) => c.status !== 'pass').map((c) => c.id);

/** Every check's status and message, for assertion failures. */
export const explain = (r: Report) => r.checks.map((c) => `${c.status} ${c.id}: ${c.message}`).join('\n');

export interface ConvergeOptions {
  roles?: ('haproxy' | 'nginx')[];
  /** A URL the client should get an HTTP answer from (through the VIP) before grading; up to 5 s. */
  waitFor?: string;
  /** Then settle this long (e.g. a director health-check period, or a few HAProxy check intervals). */
  settleMs?: number;
}

/** Validate-then-reload the edited services, as `lab apply` does, then wait for the lab to settle. */
export async function converge(lab: TestLab, exp: string, opts: ConvergeOptions = {}): Promise<void> {
  for (const role of opts.roles ?? ['haproxy']) {
    for (const n of lab.result.topology.nodes.filter((x) => x.role === role)) {
      await validateAndReload(lab.runtime, n.container.name, role, `workspace/${exp}`);
    }
  }
  if (opts.waitFor) {
    const client = `${lab.name}-client`;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const r = await lab.runtime.exec(client, ['curl', '-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', opts.waitFor]);
      if (r.stdout !== '000') break;
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
