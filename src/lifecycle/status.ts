// `lab status`: the lab as the engine sees it, in the documented JSON shape.
import type { Runtime } from '../runtime/types.js';
import { host } from '../topology/cidr.js';
import { LABEL, labSelector } from '../topology/labels.js';
import type { Forwarding, Role } from '../topology/model.js';
import { ADDR } from '../topology/networks.js';
import { vipHolders } from './vip.js';

/** Front to back, as a request travels. */
const DISPLAY_ORDER: Role[] = ['client', 'director', 'haproxy', 'nginx', 'app'];

export interface NodeStatus {
  name: string;
  role: Role;
  container: string;
  state: string;
  healthy: boolean;
  addresses: Record<string, string>;
}

export interface LabStatus {
  name: string;
  experiment: string | null;
  vip: { address: string | null; holder: string | null };
  forwarding: Forwarding | null;
  networks: { name: string; subnet: string }[];
  nodes: NodeStatus[];
}

export async function labStatus(runtime: Runtime, labName: string): Promise<LabStatus> {
  const [containers, networks] = await Promise.all([runtime.listContainers(labSelector(labName)), runtime.listNetworks(labSelector(labName))]);
  const nodes: NodeStatus[] = containers
    .map((c) => ({
      name: c.labels[LABEL.node] ?? c.name,
      role: (c.labels[LABEL.role] ?? 'client') as Role,
      container: c.name,
      state: c.state,
      healthy: c.state === 'running' && (c.health === 'healthy' || c.health === 'none'),
      addresses: c.addresses,
    }))
    .sort((a, b) => DISPLAY_ORDER.indexOf(a.role) - DISPLAY_ORDER.indexOf(b.role) || a.name.localeCompare(b.name));
  const edge = networks.find((n) => n.labels[LABEL.network] === 'edge');
  const vip = edge?.subnets[0] ? host(edge.subnets[0], ADDR.vip) : null;
  const directors = containers.filter((c) => c.labels[LABEL.role] === 'director' && c.state === 'running');
  const holders = vip ? await vipHolders(runtime, directors.map((d) => ({ node: d.labels[LABEL.node]!, container: d.name })), vip) : [];
  const fwd = directors[0]?.labels[LABEL.forwarding] ?? containers.find((c) => c.labels[LABEL.forwarding])?.labels[LABEL.forwarding];
  return {
    name: labName,
    experiment: containers[0]?.labels[LABEL.experiment] ?? null,
    vip: { address: vip, holder: holders.length === 1 ? holders[0]! : holders.length ? holders.join(',') : null },
    forwarding: fwd === 'ipvs' || fwd === 'nftables' ? fwd : null,
    networks: networks.map((n) => ({ name: n.name, subnet: n.subnets[0] ?? '' })).sort((a, b) => a.name.localeCompare(b.name)),
    nodes,
  };
}
