// What the guide does for a step, derived from the step's data once, so that "run it for me", the
// "I'll do it myself" instructions and the --print document can never disagree about the commands.
import type { Step } from '../labs/steps-schema.js';

export type StepAction =
  /** Copy one file from solution/ into the workspace (the student's copy is backed up first). */
  | { kind: 'edit'; file: string }
  /** `lab apply`: validate in the containers and reload, after the edits. */
  | { kind: 'apply' }
  /** Run a shell command in a node, as `sh -c cmd`. */
  | { kind: 'run'; node: string; cmd: string };

/** Edits first, then one apply when anything was edited, then the commands (which show the result). */
export function stepActions(step: Pick<Step, 'edit' | 'run'>): StepAction[] {
  const edits: StepAction[] = step.edit.map((e) => ({ kind: 'edit', file: e.file }));
  const runs: StepAction[] = step.run.map((r) => ({ kind: 'run', node: r.node, cmd: r.cmd }));
  return [...edits, ...(edits.length ? [{ kind: 'apply' } as const] : []), ...runs];
}

/** The commands a step runs in containers, in order. */
export function stepCommands(step: Pick<Step, 'edit' | 'run'>): { node: string; cmd: string }[] {
  return stepActions(step).flatMap((a) => (a.kind === 'run' ? [{ node: a.node, cmd: a.cmd }] : []));
}

/** The workspace files a step changes. */
export function stepFiles(step: Pick<Step, 'edit' | 'run'>): string[] {
  return stepActions(step).flatMap((a) => (a.kind === 'edit' ? [a.file] : []));
}

/** How to type a lab command for this lab: `lab -n NAME …` unless it is the default lab. */
export function labCmd(labName: string, rest: string): string {
  return labName === 'lab' ? `lab ${rest}` : `lab -n ${labName} ${rest}`;
}
