// The desired lab: networks and nodes as plain data, computed from the experiment and the engine's state.
import type { ContainerSpec, NetworkSpec } from '../runtime/types.js';
import type { NetworkKey } from './networks.js';

/** A node kind's role, e.g. haproxy (see topology/kinds/). */
export type Role = string;
export type Forwarding = 'ipvs' | 'nftables';

export interface LabNetwork {
  key: NetworkKey;
  spec: NetworkSpec;
}

export interface LabNode {
  node: string; // e.g. haproxy1
  role: Role;
  container: ContainerSpec;
  /** Order in which nodes start: upstreams first, so names resolve when their clients start. */
  wave: number;
  /** Front to back, as a request travels (the kind's order): reloads go back to front. */
  order: number;
  /** Hash of the files the service reads at run time; a change means reload, not recreate. */
  contentHash?: string;
}

export interface Topology {
  lab: string;
  experiment: string;
  forwarding: Forwarding;
  vip: string;
  networks: LabNetwork[];
  nodes: LabNode[];
}
