// The guide's only door into the grader (src/checks): a step's checks with the step's retries, and the
// whole `lab check` score for the summary. If the grader's API moves, this file alone adapts.
import { labContext } from '../checks/context.js';
import { runChecks } from '../checks/runner.js';
import type { Lab } from '../labs/load.js';
import type { StepVerify } from '../labs/steps-schema.js';
import type { CheckResult } from '../checks/types.js';
import { observeLab } from '../lifecycle/observe.js';
import type { Runtime } from '../runtime/types.js';
import { LabError } from '../util/errors.js';
import type { Lang } from '../util/lang.js';

/** A check's result as the guide shows it: the grader's own shape. */
export type CheckOutcome = CheckResult;

export interface Verdict {
  passed: boolean;
  results: CheckOutcome[];
}

export interface Score {
  score: number;
  maxScore: number;
  /** Every required check passed. */
  passed: boolean;
  results: CheckOutcome[];
}

/** The lab's checks a step names, in the step's retry rhythm (VRRP and health checks converge). */
export function stepChecks(lab: Lab, verify: StepVerify) {
  const unknown = verify.checks.filter((id) => !lab.def.checks.some((c) => c.id === id));
  if (unknown.length) throw new LabError(`${lab.id}: a step verifies with unknown check(s) ${unknown.join(', ')}`, { hint: `Checks are: ${lab.def.checks.map((c) => c.id).join(', ')}; run \`lab validate\`.` });
  return lab.def.checks.filter((c) => verify.checks.includes(c.id)).map((c) => ({ ...c, retryDelayMs: Math.round(verify.intervalSeconds * 1000) }));
}

export async function verifyStep(runtime: Runtime, labName: string, lab: Lab, verify: StepVerify, lang: Lang, onResult?: (r: CheckOutcome) => void): Promise<Verdict> {
  const checks = stepChecks(lab, verify);
  const base = labContext(runtime, await observeLab(runtime, labName), lab.id);
  const { report } = await runChecks(lab.id, checks, base, { lang, only: verify.checks, retries: verify.retries, onResult });
  return { passed: report.checks.every((c) => c.status !== 'fail'), results: report.checks };
}

/** What `lab check <exp>` reports, with the lab's own retries. */
export async function scoreLab(runtime: Runtime, labName: string, lab: Lab, lang: Lang, onResult?: (r: CheckOutcome) => void): Promise<Score> {
  const base = labContext(runtime, await observeLab(runtime, labName), lab.id);
  const { report } = await runChecks(lab.id, lab.def.checks, base, { lang, onResult });
  return { score: report.score, maxScore: report.maxScore, passed: report.passed, results: report.checks };
}
