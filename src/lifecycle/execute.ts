// Runs a plan. No decisions here: every step is one file write, one engine call or one reload; steps of
// one phase run concurrently, phases in order, each phase a progress task.
import type { Runtime } from '../runtime/types.js';
import type { Progress, Task } from '../progress/progress.js';
import { kindOf } from '../topology/kinds/index.js';
import { describeStep, phaseOf, type Plan, type Step } from '../topology/plan.js';
import type { FileWriter } from '../util/file-writer.js';
import { validateInContainer, failureToError } from '../apply/validate.js';
import { InterruptedError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';

export interface ExecuteHooks {
  writer: FileWriter;
  workspaceRoot: string;
  experiment: string;
  keepalived: 'lab' | 'workspace';
  /** Called after a node (re)started or reloaded with the content it now runs. */
  onApplied(node: string): void;
  /** Once aborted (Ctrl-C), no further step starts; the ones under way finish (see `steps`). */
  signal?: AbortSignal;
  /** Steps under way, so an interrupted `lab up` can let them finish before the process exits. */
  steps?: { running: number };
}

/** Waits (at most `ms`) until no step is under way: the engine finishes a call it has begun anyway. */
export async function stepsEnded(steps: { running: number }, ms: number): Promise<void> {
  for (const until = Date.now() + ms; steps.running > 0 && Date.now() < until; ) await sleep(50);
}

async function runStep(runtime: Runtime, step: Step, hooks: ExecuteHooks): Promise<void> {
  if (hooks.signal?.aborted) throw new InterruptedError('lab up was interrupted');
  const counter = hooks.steps ?? { running: 0 };
  counter.running++;
  try {
    await runOneStep(runtime, step, hooks);
  } finally {
    counter.running--;
  }
}

async function runOneStep(runtime: Runtime, step: Step, hooks: ExecuteHooks): Promise<void> {
  switch (step.op) {
    case 'make-dir': return hooks.writer.mkdir(step.dir);
    case 'write-file': return hooks.writer.write(step.file, step.content);
    case 'remove-container': return runtime.removeContainer(step.name);
    case 'remove-network': return runtime.removeNetwork(step.id);
    case 'create-network': return runtime.createNetwork(step.spec);
    case 'create-container': return runtime.createContainer(step.node.container);
    case 'start-container':
      await runtime.startContainer(step.node.container.name);
      hooks.onApplied(step.node.node);
      return;
    case 'reload': {
      const service = kindOf(step.node.role).service;
      const v = service?.validator({ experiment: hooks.experiment, keepalived: hooks.keepalived });
      if (!service || !v) return;
      const failure = await validateInContainer(runtime, step.node.container.name, v, hooks.workspaceRoot);
      if (failure) throw failureToError(failure, v, hooks.workspaceRoot, `${step.node.node} keeps running on its last good config. Fix the file, then run \`lab apply\`.`);
      await service.reload(runtime, step.node.container.name);
      hooks.onApplied(step.node.node);
      return;
    }
  }
}

/** The plan as progress tasks: one per phase, its steps as concurrent subtasks. */
export function planTasks(runtime: Runtime, plan: Plan, hooks: ExecuteHooks): Task[] {
  const phases = new Map<number, Step[]>();
  for (const s of plan.steps) phases.set(phaseOf(s), [...(phases.get(phaseOf(s)) ?? []), s]);
  return [...phases.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, steps]) => ({
      title: steps.length === 1 ? describeStep(steps[0]!) : `${describeStep(steps[0]!).split(' ').slice(0, 2).join(' ')} ×${steps.length}`,
      run: (ctl) => ctl.subtasks(steps.map((s) => ({ title: describeStep(s), run: () => runStep(runtime, s, hooks) })), { concurrent: true }),
    }));
}

/**
 * When a step fails, its phase's other steps may still be under way (the progress task rejects at the
 * first failure). The caller must not look at the engine again until they end: `lab up` re-plans after a
 * subnet clash, and a network still being created looked missing, so it was created twice.
 */
export async function executePlan(runtime: Runtime, plan: Plan, hooks: ExecuteHooks, progress: Progress): Promise<void> {
  const steps = hooks.steps ?? { running: 0 };
  try {
    await progress.run(planTasks(runtime, plan, { ...hooks, steps }));
  } catch (e) {
    await stepsEnded(steps, 120_000);
    throw e;
  }
}
