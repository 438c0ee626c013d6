// Where the student is in the exercise, saved beside the experiment's workspace
// (workspace/.lab-guide/<exp>.json) so a rerun resumes. It lives outside workspace/<exp>/ on purpose:
// `lab reset` and `lab solve` make that folder hold exactly the start or solution files and would
// delete anything else in it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../util/errors.js';

export type StepStatus = 'pending' | 'passed' | 'skipped';

export interface StepRecord {
  status: StepStatus;
  /** How many hints the student has seen for this step (0: none). */
  hints: number;
  /** How the step was done: the guide ran it, or the student did. */
  mode?: 'run' | 'self';
  at?: string;
}

export interface Progress {
  version: 1;
  experiment: string;
  /** The step to resume at; null when every step is behind the student. */
  current: string | null;
  steps: Record<string, StepRecord>;
}

export function progressFile(workspaceDir: string, experiment: string): string {
  return path.join(path.dirname(path.resolve(workspaceDir)), '.lab-guide', `${experiment}.json`);
}

export function freshProgress(experiment: string, stepIds: string[]): Progress {
  return { version: 1, experiment, current: stepIds[0] ?? null, steps: Object.fromEntries(stepIds.map((id) => [id, { status: 'pending', hints: 0 }])) };
}

/** The saved progress, fitted to today's steps (steps added since get a pending record; removed ones are dropped). */
export function loadProgress(file: string, experiment: string, stepIds: string[]): Progress {
  const fresh = freshProgress(experiment, stepIds);
  if (!existsSync(file)) return fresh;
  let saved: Partial<Progress>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Progress>;
  } catch {
    return fresh; // damaged: start over rather than fail; the file is rewritten on the next save
  }
  if (saved.version !== 1 || saved.experiment !== experiment || typeof saved.steps !== 'object' || !saved.steps) return fresh;
  for (const id of stepIds) {
    const r = saved.steps[id];
    if (r && (r.status === 'passed' || r.status === 'skipped' || r.status === 'pending')) {
      fresh.steps[id] = { status: r.status, hints: Number.isInteger(r.hints) && r.hints >= 0 ? r.hints : 0, mode: r.mode, at: r.at };
    }
  }
  fresh.current = saved.current === null ? null : typeof saved.current === 'string' && stepIds.includes(saved.current) ? saved.current : firstOpen(fresh, stepIds);
  return fresh;
}

export function saveProgress(file: string, p: Progress): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(p, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function firstOpen(p: Progress, stepIds: string[]): string | null {
  return stepIds.find((id) => p.steps[id]?.status === 'pending') ?? null;
}

/** `--step 3` (1-based) or `--step http-frontend` → the step's index. */
export function resolveStepArg(arg: string, stepIds: string[]): number {
  const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
  const index = Number.isInteger(n) ? n - 1 : stepIds.indexOf(arg);
  if (index < 0 || index >= stepIds.length) {
    throw new UsageError(`no step "${arg}"`, { hint: `Steps are 1..${stepIds.length}: ${stepIds.map((id, i) => `${i + 1} ${id}`).join(', ')}.` });
  }
  return index;
}

/**
 * Where the run starts: --restart forgets everything, --step jumps (earlier records stay), otherwise
 * the saved current step. Returns the progress to use and the start index (stepIds.length: all done).
 */
export function startPoint(saved: Progress, stepIds: string[], opts: { step?: string; restart?: boolean }): { progress: Progress; index: number } {
  const progress = opts.restart ? freshProgress(saved.experiment, stepIds) : saved;
  if (opts.step !== undefined) {
    const index = resolveStepArg(opts.step, stepIds);
    return { progress: { ...progress, current: stepIds[index]! }, index };
  }
  const index = progress.current === null ? stepIds.length : stepIds.indexOf(progress.current);
  return { progress, index: index < 0 ? 0 : index };
}

/** Records a step's outcome and moves `current` to the next step. */
export function recordStep(p: Progress, stepIds: string[], id: string, status: StepStatus, mode?: 'run' | 'self', now = new Date()): Progress {
  const prev = p.steps[id] ?? { status: 'pending', hints: 0 };
  const steps = { ...p.steps, [id]: { ...prev, status, mode: mode ?? prev.mode, at: now.toISOString() } };
  const next = stepIds[stepIds.indexOf(id) + 1] ?? null;
  return { ...p, steps, current: next };
}

export function recordHint(p: Progress, id: string, shown: number): Progress {
  const prev = p.steps[id] ?? { status: 'pending', hints: 0 };
  return { ...p, steps: { ...p.steps, [id]: { ...prev, hints: Math.max(prev.hints, shown) } } };
}
