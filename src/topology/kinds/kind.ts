// What every node kind provides. Kinds are small and registered in one list (kinds/index.ts),
// as containerlab does, so adding a role means adding one file.
import type { ContainerSpec } from '../../runtime/types.js';
import type { Forwarding, Role } from '../model.js';
import type { NetworkKey } from '../networks.js';

export interface BuildContext {
  lab: string;
  experiment: string;
  forwarding: Forwarding;
  images: Record<Role, string>;
  subnets: Record<NetworkKey, string>;
  vip: string;
  gatewayVip: string;
  /** Absolute paths. */
  workspaceDir: string;
  certsDir: string;
  stateDir: string;
  domains: string[];
  /** Mount each domain's crt/key into Nginx (experiments whose start state has Nginx terminating TLS). */
  nginxTls: boolean;
  /** Host port for VIP:80 through the client (VIP:443 gets port+363, i.e. 8080 → 8443), for hosts without a route. */
  publishPort?: number;
}

/** A node's container spec minus what every node shares (name, labels, image). */
export type NodePart = Omit<ContainerSpec, 'name' | 'labels' | 'image' | 'hostname'>;

export interface NodeKind {
  role: Role;
  count: number;
  /** Start order: lower waves start first. */
  wave: number;
  networks: NetworkKey[];
  /** Address host number of instance i (0-based) on every network it joins. */
  hostNumber(i: number): number;
  /** Files this kind generates into the state dir, keyed by absolute path. */
  files?(ctx: BuildContext, i: number): Record<string, string>;
  container(ctx: BuildContext, i: number): NodePart;
  /** Host paths the running service reads its config from; hashed to decide reloads. */
  configSources?(ctx: BuildContext, i: number): string[];
}

export function nodeName(role: Role, i: number): string {
  return role === 'client' ? 'client' : role === 'director' ? `lvs${i + 1}` : `${role}${i + 1}`;
}
