// The pure heart of `lab up`: observed state + desired topology → an ordered list of engine calls.
// Nothing here talks to Docker, so the planner is tested by comparing plan text (as docker compose does).
import type { ContainerInfo, NetworkInfo, NetworkSpec } from '../runtime/types.js';
import { LABEL } from './labels.js';
import type { LabNode, Topology } from './model.js';

export type Step =
  | { op: 'remove-container'; name: string; reason: string }
  | { op: 'remove-network'; name: string; reason: string }
  | { op: 'create-network'; spec: NetworkSpec }
  | { op: 'create-container'; node: LabNode; reason: string }
  | { op: 'start-container'; node: LabNode }
  | { op: 'reload'; node: LabNode; reason: string };

export interface Observed {
  networks: NetworkInfo[];
  containers: ContainerInfo[];
  /** Content hash each node last loaded (from the lab's state file). */
  applied: Record<string, string>;
}

export interface Plan {
  steps: Step[];
  /** Containers left exactly as they were. */
  unchanged: string[];
}

/** Steps in the same phase are independent and may run concurrently; phases run in order. */
export function phaseOf(step: Step): number {
  switch (step.op) {
    case 'remove-container': return 0;
    case 'remove-network': return 1;
    case 'create-network': return 2;
    case 'create-container': return 3;
    case 'start-container': return 10 + step.node.wave;
    case 'reload': return 30;
  }
}

function networkDiffers(spec: NetworkSpec, seen: NetworkInfo): string | undefined {
  if (seen.subnets[0] !== spec.subnet) return `subnet ${seen.subnets[0] ?? 'none'} → ${spec.subnet}`;
  if (seen.labels[LABEL.configHash] !== spec.labels[LABEL.configHash]) return 'settings changed';
  return undefined;
}

export function planUp(desired: Topology, observed: Observed): Plan {
  const steps: Step[] = [];
  const unchanged: string[] = [];
  const recreateNets = new Map<string, string>();

  for (const net of desired.networks) {
    const seen = observed.networks.find((n) => n.name === net.spec.name);
    const why = seen && networkDiffers(net.spec, seen);
    if (why) recreateNets.set(net.spec.name, why);
  }

  const desiredNames = new Set(desired.nodes.map((n) => n.container.name));
  for (const c of observed.containers) {
    if (!desiredNames.has(c.name)) steps.push({ op: 'remove-container', name: c.name, reason: 'not in this experiment' });
  }

  for (const node of desired.nodes) {
    const seen = observed.containers.find((c) => c.name === node.container.name);
    const netChange = node.container.endpoints.map((e) => recreateNets.get(e.network)).find(Boolean);
    let reason: string | undefined;
    if (!seen) reason = 'new';
    else if (netChange) reason = `network changed (${netChange})`;
    else if (seen.labels[LABEL.configHash] !== node.container.labels[LABEL.configHash]) reason = 'config changed';
    else if (seen.state === 'dead' || seen.state === 'restarting') reason = `was ${seen.state}`;

    if (reason) {
      if (seen) steps.push({ op: 'remove-container', name: seen.name, reason });
      steps.push({ op: 'create-container', node, reason });
      steps.push({ op: 'start-container', node });
    } else if (seen!.state !== 'running') {
      steps.push({ op: 'start-container', node });
    } else if (node.contentHash && observed.applied[node.node] !== node.contentHash) {
      steps.push({ op: 'reload', node, reason: 'config files changed' });
    } else {
      unchanged.push(node.container.name);
    }
  }

  const desiredNets = new Set(desired.networks.map((n) => n.spec.name));
  for (const seen of observed.networks) {
    if (!desiredNets.has(seen.name)) steps.push({ op: 'remove-network', name: seen.name, reason: 'no longer used' });
    else if (recreateNets.has(seen.name)) steps.push({ op: 'remove-network', name: seen.name, reason: recreateNets.get(seen.name)! });
  }
  for (const net of desired.networks) {
    const seen = observed.networks.find((n) => n.name === net.spec.name);
    if (!seen || recreateNets.has(net.spec.name)) steps.push({ op: 'create-network', spec: net.spec });
  }

  // Stable order: by phase, then as generated (which follows the kinds' start order).
  const ordered = steps.map((s, i) => ({ s, i })).sort((a, b) => phaseOf(a.s) - phaseOf(b.s) || a.i - b.i).map((x) => x.s);
  return { steps: ordered, unchanged };
}

export function describeStep(step: Step): string {
  switch (step.op) {
    case 'remove-container': return `remove container ${step.name} (${step.reason})`;
    case 'remove-network': return `remove network ${step.name} (${step.reason})`;
    case 'create-network': return `create network ${step.spec.name} ${step.spec.subnet}${step.spec.internal ? ' internal' : ''}`;
    case 'create-container': return `create container ${step.node.container.name} (${step.reason})`;
    case 'start-container': return `start container ${step.node.container.name}`;
    case 'reload': return `reload ${step.node.node} (${step.reason})`;
  }
}

export function planToString(plan: Plan): string {
  const lines = plan.steps.map(describeStep);
  if (plan.unchanged.length) lines.push(`unchanged: ${plan.unchanged.join(', ')}`);
  return lines.join('\n');
}

/** Containers the plan creates anew (for the "recreated nothing" message and tests). */
export function createdBy(plan: Plan): string[] {
  return plan.steps.flatMap((s) => (s.op === 'create-container' ? [s.node.container.name] : []));
}
