// `lab status`: the lab as the engine sees it, with every node's readiness asked now (not cached by
// Docker), so it tells the truth within a probe's time of a node dying.
import type { Runtime } from '../runtime/types.js';
import type { Forwarding } from '../topology/model.js';
import { expectedNames } from './expected.js';
import { observeLab, type LabView } from './observe.js';
import { probeReadiness, type Readiness } from './ready.js';
import { vipHolders } from './vip.js';

export interface NodeStatus {
  name: string;
  role: string;
  container: string;
  state: string;
  healthy: boolean;
  readiness: Readiness;
  addresses: Record<string, string>;
}

export interface LabStatus {
  name: string;
  experiment: string | null;
  workspace: string | null;
  vip: { address: string | null; holder: string | null };
  forwarding: Forwarding | null;
  networks: { name: string; subnet: string }[];
  nodes: NodeStatus[];
  /** Nodes or networks the lab should have and does not (removed out of band); `lab up` repairs them. */
  missing: string[];
}

export async function labStatus(runtime: Runtime, labName: string, view?: LabView): Promise<LabStatus> {
  const v = view ?? (await observeLab(runtime, labName));
  const running = v.nodes.filter((n) => n.state === 'running');
  const directors = running.filter((n) => n.role === 'director');
  const [readiness, holders] = await Promise.all([
    probeReadiness(runtime, v.nodes),
    v.vip ? vipHolders(runtime, directors, v.vip) : Promise.resolve([] as string[]),
  ]);
  const expected = v.exists ? expectedNames(v) : { nodes: [], networks: [] };
  const missing = [
    ...expected.nodes.filter((n) => !v.nodes.some((x) => x.node === n)),
    ...expected.networks.filter((n) => !v.networks.some((x) => x.name === n)).map((n) => `network ${n}`),
  ];
  return {
    name: labName,
    experiment: v.experiment,
    workspace: v.workspaceDir,
    vip: { address: v.vip, holder: holders.length === 1 ? holders[0]! : holders.length ? holders.join(',') : null },
    forwarding: v.forwarding,
    networks: v.networks.map((n) => ({ name: n.name, subnet: n.subnets[0] ?? '' })).sort((a, b) => a.name.localeCompare(b.name)),
    nodes: v.nodes.map((n, i) => ({
      name: n.node,
      role: n.role,
      container: n.container,
      state: n.state,
      readiness: readiness[i]!.readiness,
      healthy: readiness[i]!.readiness === 'ready',
      addresses: n.addresses,
    })),
    missing,
  };
}
