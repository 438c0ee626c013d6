// The pure heart of `lab up`: observed state + desired state → an ordered list of steps, each one file
// write, one engine call or one reload. Nothing here talks to Docker or the disk, so the planner is
// tested by comparing plan text (as docker compose does).
import type { ContainerInfo, NetworkInfo, NetworkSpec } from '../runtime/types.js';
import { LABEL } from './labels.js';
import type { LabNode, Topology } from './model.js';

export type Step =
  | { op: 'make-dir'; dir: string; reason: string }
  | { op: 'write-file'; file: string; content: string | Buffer; reason: string }
  | { op: 'remove-container'; name: string; reason: string }
  | { op: 'remove-network'; name: string; /** By ID: two networks of one name (an interrupted create) make the name ambiguous. */ id: string; reason: string }
  | { op: 'create-network'; spec: NetworkSpec }
  | { op: 'create-container'; node: LabNode; reason: string }
  | { op: 'start-container'; node: LabNode }
  | { op: 'reload'; node: LabNode; reason: string };

/** What `lab up` wants: the topology and the files that must exist on the host before nodes start. */
export interface Desired {
  topology: Topology;
  /** Absolute path → content. Generated files (always this content) and seeded start files (only when missing). */
  files: { file: string; content: string | Buffer; onlyIfMissing?: boolean }[];
  /** Folders that must exist (mount points inside mounted folders). */
  dirs: string[];
}

export interface Observed {
  networks: NetworkInfo[];
  containers: ContainerInfo[];
  /** Content hash each node last loaded (from the lab's state store). */
  applied: Record<string, string>;
  /** Current content of each desired file (undefined: missing). */
  files: Record<string, Buffer | undefined>;
  /** Which of the desired folders exist. */
  dirs: Record<string, boolean>;
}

export interface Plan {
  steps: Step[];
  /** Containers left exactly as they were. */
  unchanged: string[];
}

/** Steps in the same phase are independent and may run concurrently; phases run in order. */
export function phaseOf(step: Step): number {
  switch (step.op) {
    case 'make-dir':
    case 'write-file': return -1;
    case 'remove-container': return 0;
    case 'remove-network': return 1;
    case 'create-network': return 2;
    case 'create-container': return 3;
    case 'start-container': return 10 + step.node.wave;
    // Back to front (Nginx, then HAProxy, then the directors): a reloaded HAProxy checks its servers at
    // once and marks DOWN, for rise × inter, one whose port the new Nginx config has not opened yet.
    case 'reload': return 40 - step.node.order;
  }
}

function networkDiffers(spec: NetworkSpec, seen: NetworkInfo): string | undefined {
  if (seen.subnets[0] !== spec.subnet) return `subnet ${seen.subnets[0] ?? 'none'} → ${spec.subnet}`;
  if (seen.labels[LABEL.configHash] !== spec.labels[LABEL.configHash]) return 'settings changed';
  return undefined;
}

function fileSteps(desired: Desired, observed: Observed): Step[] {
  const steps: Step[] = [];
  for (const dir of desired.dirs) if (!observed.dirs[dir]) steps.push({ op: 'make-dir', dir, reason: 'mount point' });
  for (const f of desired.files) {
    const have = observed.files[f.file];
    if (have === undefined) steps.push({ op: 'write-file', file: f.file, content: f.content, reason: f.onlyIfMissing ? 'start file' : 'new' });
    else if (!f.onlyIfMissing && !have.equals(Buffer.from(f.content))) steps.push({ op: 'write-file', file: f.file, content: f.content, reason: 'changed' });
  }
  return steps;
}

/** Why a running container must be recreated, or undefined. */
function recreateReason(node: LabNode, seen: ContainerInfo, netChange: string | undefined): string | undefined {
  if (netChange) return `network changed (${netChange})`;
  if (seen.labels[LABEL.configHash] !== node.container.labels[LABEL.configHash]) return 'config changed';
  const before = seen.labels[LABEL.mounts];
  if (before !== undefined && before !== node.container.labels[LABEL.mounts]) return 'a folder it mounts was replaced';
  if (seen.state === 'dead' || seen.state === 'restarting') return `was ${seen.state}`;
  // Created but not connected to all its networks: an earlier `lab up` was stopped (Ctrl-C, kill) between
  // creating the container and connecting the rest. Started as is, it would lack an interface.
  const unattached = node.container.endpoints.find((e) => !(e.network in seen.addresses));
  if (unattached) return `not on network ${unattached.network} (an interrupted create)`;
  return undefined;
}

export function planUp(desired: Desired, observed: Observed): Plan {
  const topo = desired.topology;
  const steps: Step[] = fileSteps(desired, observed);
  const unchanged: string[] = [];
  const recreateNets = new Map<string, string>();

  // Docker 20.10 lets two networks share a name when both are created at once, and a `lab up` that
  // re-planned while a create was still under way once did just that. Keep the one that matches the
  // spec (else the first); the others are removed by ID.
  const keptNet = new Map<string, NetworkInfo>();
  const extraNets: NetworkInfo[] = [];
  for (const n of observed.networks) {
    const spec = topo.networks.find((x) => x.spec.name === n.name)?.spec;
    const kept = keptNet.get(n.name);
    if (!kept) keptNet.set(n.name, n);
    else if (spec && networkDiffers(spec, kept) && !networkDiffers(spec, n)) {
      keptNet.set(n.name, n);
      extraNets.push(kept);
    } else extraNets.push(n);
  }
  for (const net of topo.networks) {
    const seen = keptNet.get(net.spec.name);
    const why = seen ? networkDiffers(net.spec, seen) : 'network was missing';
    if (why) recreateNets.set(net.spec.name, why);
  }

  const desiredNames = new Set(topo.nodes.map((n) => n.container.name));
  for (const c of observed.containers) {
    if (!desiredNames.has(c.name)) steps.push({ op: 'remove-container', name: c.name, reason: 'not in this experiment' });
  }

  for (const node of topo.nodes) {
    const seen = observed.containers.find((c) => c.name === node.container.name);
    const netChange = node.container.endpoints.map((e) => recreateNets.get(e.network)).find(Boolean);
    const reason = seen ? recreateReason(node, seen, netChange) : 'new';
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

  const desiredNets = new Set(topo.networks.map((n) => n.spec.name));
  for (const seen of keptNet.values()) {
    if (!desiredNets.has(seen.name)) steps.push({ op: 'remove-network', name: seen.name, id: seen.id, reason: 'no longer used' });
    else if (recreateNets.has(seen.name)) steps.push({ op: 'remove-network', name: seen.name, id: seen.id, reason: recreateNets.get(seen.name)! });
  }
  for (const extra of extraNets) steps.push({ op: 'remove-network', name: extra.name, id: extra.id, reason: 'a second network of this name' });
  for (const net of topo.networks) {
    if (!keptNet.has(net.spec.name) || recreateNets.has(net.spec.name)) steps.push({ op: 'create-network', spec: net.spec });
  }

  // Stable order: by phase, then as generated (which follows the kinds' start order).
  const ordered = steps.map((s, i) => ({ s, i })).sort((a, b) => phaseOf(a.s) - phaseOf(b.s) || a.i - b.i).map((x) => x.s);
  return { steps: ordered, unchanged };
}

export function describeStep(step: Step): string {
  switch (step.op) {
    case 'make-dir': return `make folder ${step.dir} (${step.reason})`;
    case 'write-file': return `write ${step.file} (${step.reason})`;
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

/** Steps that change the engine (not file writes): "nothing changed" means none of these. */
export function engineSteps(plan: Plan): Step[] {
  return plan.steps.filter((s) => s.op !== 'write-file' && s.op !== 'make-dir');
}
