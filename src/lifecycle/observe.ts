// One answer to "what is this lab?", read off the engine by label: the experiment it runs, the project
// folder, workspace and certificates it serves, its nodes and networks. Every command, the guide and
// the grader ask here, so they never disagree about which experiment is running or where its files are.
import type { ContainerInfo, ContainerState, NetworkInfo, Runtime } from '../runtime/types.js';
import { readApplied } from '../state/store.js';
import { contains, host } from '../topology/cidr.js';
import { DISPLAY_KINDS } from '../topology/kinds/index.js';
import { LABEL, labSelector } from '../topology/labels.js';
import type { Forwarding } from '../topology/model.js';
import { NET_ADDR, NETWORK_KEYS, type NetworkKey } from '../topology/networks.js';
import { UsageError } from '../util/errors.js';

export interface ObservedNode {
  node: string;
  role: string;
  container: string;
  state: ContainerState;
  /** Docker network name → IPv4 address. */
  addresses: Record<string, string>;
  labels: Record<string, string>;
}

export interface LabView {
  name: string;
  /** Any container or network of this lab exists. */
  exists: boolean;
  experiment: string | null;
  /** Absolute paths recorded by the `lab up` that made the nodes; null without nodes. */
  rootDir: string | null;
  workspaceDir: string | null;
  certsDir: string | null;
  /** The machine that made the lab. */
  host: string | null;
  forwarding: Forwarding | null;
  vip: string | null;
  subnets: Partial<Record<NetworkKey, string>>;
  /** Front to back, as a request travels. */
  nodes: ObservedNode[];
  /** The lab's networks, and every network on the engine (for choosing free subnets). */
  networks: NetworkInfo[];
  allNetworks: NetworkInfo[];
  /** Every labelled container of the lab (nodes, and a lock while a command holds one). */
  containers: ContainerInfo[];
  /** Content hash each node last loaded, from the state store beside the project (empty when unknown). */
  applied: Record<string, string>;
}

const ORDER = new Map(DISPLAY_KINDS.map((k, i) => [k.role, i]));

function mostCommon(values: (string | undefined)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

export async function observeLab(runtime: Runtime, name: string): Promise<LabView> {
  const [allNetworks, containers] = await Promise.all([runtime.listNetworks(), runtime.listContainers(labSelector(name))]);
  const networks = allNetworks.filter((n) => n.labels[LABEL.name] === name);
  const nodes: ObservedNode[] = containers
    .filter((c) => c.labels[LABEL.node] && c.labels[LABEL.role] && !c.labels[LABEL.lock])
    .map((c) => ({ node: c.labels[LABEL.node]!, role: c.labels[LABEL.role]!, container: c.name, state: c.state, addresses: c.addresses, labels: c.labels }))
    .sort((a, b) => (ORDER.get(a.role) ?? 99) - (ORDER.get(b.role) ?? 99) || a.node.localeCompare(b.node, 'en', { numeric: true }));
  const label = (k: string) => mostCommon(nodes.map((n) => n.labels[k]));
  const subnets: Partial<Record<NetworkKey, string>> = {};
  // Two networks of one name (two creates raced; topology/plan.ts removes the extra): the subnet that
  // counts is the one the nodes have addresses in, so the twin does not move the lab.
  const holdsNodes = (n: NetworkInfo) => n.subnets.some((s) => !s.includes(':') && nodes.some((x) => x.addresses[n.name] && contains(s, x.addresses[n.name]!)));
  for (const key of NETWORK_KEYS) {
    const candidates = networks.filter((n) => n.labels[LABEL.network] === key);
    const s = (candidates.find(holdsNodes) ?? candidates[0])?.subnets[0];
    if (s) subnets[key] = s;
  }
  const rootDir = label(LABEL.root) ?? mostCommon(networks.map((n) => n.labels[LABEL.root]));
  const fwd = label(LABEL.forwarding);
  return {
    name,
    exists: containers.length > 0 || networks.length > 0,
    experiment: label(LABEL.experiment),
    rootDir,
    workspaceDir: label(LABEL.workspace),
    certsDir: label(LABEL.certs),
    host: label(LABEL.host) ?? mostCommon(networks.map((n) => n.labels[LABEL.host])),
    forwarding: fwd === 'ipvs' || fwd === 'nftables' ? fwd : null,
    vip: subnets.edge ? host(subnets.edge, NET_ADDR.vip) : null,
    subnets,
    nodes,
    networks,
    allNetworks,
    containers,
    applied: rootDir ? readApplied(rootDir, name) : {},
  };
}

/** Nodes that run. */
export function runningNodes(view: LabView): ObservedNode[] {
  return view.nodes.filter((n) => n.state === 'running');
}

/** The lab's experiment, or a usage error saying how to start one. */
export function requireRunning(view: LabView, hint = 'Start it with `lab up exp2` (or pass --name for another lab).'): ObservedNode[] & { experiment: string } {
  const running = runningNodes(view);
  if (!running.length || !view.experiment) throw new UsageError(`lab "${view.name}" is not running`, { hint });
  return Object.assign(running, { experiment: view.experiment });
}

/** A node of the lab by name (e.g. haproxy1), or a usage error listing the nodes. */
export function nodeOf(view: LabView, node: string): ObservedNode {
  if (!view.nodes.length) throw new UsageError(`lab "${view.name}" is not running`, { hint: 'Start it with `lab up exp2` (or pass --name for another lab).' });
  const n = view.nodes.find((x) => x.node === node);
  if (!n) throw new UsageError(`no node "${node}" in lab "${view.name}"`, { hint: `Nodes are: ${view.nodes.map((x) => x.node).join(', ')}.` });
  return n;
}
