// Runs a plan as listr2 tasks. No decisions here: every step is one engine call (or one reload),
// steps of one phase run concurrently, phases in order.
import type { ListrTask } from 'listr2';
import type { Runtime } from '../runtime/types.js';
import { describeStep, phaseOf, type Plan, type Step } from '../topology/plan.js';
import { validateAndReload } from '../services/reload.js';

export interface ExecuteHooks {
  workspaceRoot: string;
  /** Called after a node (re)started or reloaded with the content it now runs. */
  onApplied(node: string): void;
}

async function runStep(runtime: Runtime, step: Step, hooks: ExecuteHooks): Promise<void> {
  switch (step.op) {
    case 'remove-container': return runtime.removeContainer(step.name);
    case 'remove-network': return runtime.removeNetwork(step.name);
    case 'create-network': return runtime.createNetwork(step.spec);
    case 'create-container': return runtime.createContainer(step.node.container);
    case 'start-container':
      await runtime.startContainer(step.node.container.name);
      hooks.onApplied(step.node.node);
      return;
    case 'reload':
      await validateAndReload(runtime, step.node.container.name, step.node.role, hooks.workspaceRoot);
      hooks.onApplied(step.node.node);
      return;
  }
}

export function planTasks<Ctx>(runtime: Runtime, plan: Plan, hooks: ExecuteHooks): ListrTask<Ctx>[] {
  const phases = new Map<number, Step[]>();
  for (const s of plan.steps) phases.set(phaseOf(s), [...(phases.get(phaseOf(s)) ?? []), s]);
  return [...phases.entries()].map(([, steps]) => ({
    title: steps.length === 1 ? describeStep(steps[0]!) : `${describeStep(steps[0]!).split(' ').slice(0, 2).join(' ')} ×${steps.length}`,
    task: (_ctx, task) =>
      task.newListr(
        steps.map((s) => ({ title: describeStep(s), task: () => runStep(runtime, s, hooks) })),
        { concurrent: true, exitOnError: true },
      ),
  }));
}

/** Same as planTasks without listr2, for tests and benchmarks. */
export async function executePlan(runtime: Runtime, plan: Plan, hooks: ExecuteHooks): Promise<void> {
  const phases = new Map<number, Step[]>();
  for (const s of plan.steps) phases.set(phaseOf(s), [...(phases.get(phaseOf(s)) ?? []), s]);
  for (const [, steps] of [...phases.entries()].sort(([a], [b]) => a - b)) {
    await Promise.all(steps.map((s) => runStep(runtime, s, hooks)));
  }
}
