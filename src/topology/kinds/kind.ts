// What a node kind owns, as containerlab's kinds do: its name, networks and addresses, container spec,
// config sources and generated files, image, validator and reload, readiness, and its place in the
// status table and the graph. Everything else (planner, status, graph, apply, images) derives from
// the list in kinds/index.ts, so adding a role is one file plus one line there.
import type { ContainerSpec, Runtime } from '../../runtime/types.js';
import type { Validator } from '../../apply/validate.js';
import type { Forwarding } from '../model.js';
import type { NetworkKey } from '../networks.js';

export interface BuildContext {
  lab: string;
  experiment: string;
  forwarding: Forwarding;
  /** Image ref per image folder (templates/images/<name>). */
  images: Record<string, string>;
  subnets: Record<NetworkKey, string>;
  vip: string;
  /** Per network with a VRRP gateway (proxy, office): the address the directors hold on it. */
  gateways: Partial<Record<NetworkKey, string>>;
  /** Absolute paths. */
  rootDir: string;
  workspaceDir: string;
  certsDir: string;
  stateDir: string;
  domains: string[];
  /** Mount each domain's crt/key into Nginx (experiments whose start state has Nginx terminating TLS). */
  nginxTls: boolean;
  /** Who writes the directors' keepalived configuration (lab.yaml `topology.keepalived`). */
  keepalived: 'lab' | 'workspace';
  /** Host port for VIP:80 through the client (VIP:443 gets port+363, i.e. 8080 → 8443), for hosts without a route. */
  publishPort?: number;
  /** inode of each host path a container mounts: a replaced folder is a changed mount (see build.ts). */
  inodeOf(hostPath: string): number | undefined;
}

/** What config sources depend on: known from a running lab's labels as well as from a build. */
export type SourceContext = Pick<BuildContext, 'workspaceDir' | 'certsDir' | 'nginxTls' | 'domains' | 'keepalived'>;

/** A node's container spec minus what every node shares (name, labels, image, endpoints). */
export type NodePart = Omit<ContainerSpec, 'name' | 'labels' | 'image' | 'hostname' | 'endpoints'>;

/** Validate-then-reload for a service whose config students edit. */
export interface Service {
  validator(ctx: Pick<BuildContext, 'experiment' | 'keepalived'>): Validator | undefined;
  /** Each node loads its own file (the directors' lvs1.conf, lvs2.conf): validate every node, not one per role. */
  perNode?: boolean;
  /** Graceful reload, confirmed (the new config is live when it resolves). */
  reload(runtime: Runtime, container: string): Promise<void>;
}

export interface NodeKind {
  role: string;
  count: number;
  /** Node name of instance i (0-based): haproxy1, lvs2, client. */
  name(i: number): string;
  /**
   * Start order: lower waves start first, so the names a service resolves exist when it starts (app,
   * then Nginx, then HAProxy); the directors before all, so their VRRP election overlaps the rest.
   */
  wave: number;
  /** Front to back, as a request travels: the order of `lab status` and of the graph's tiers. */
  order: number;
  networks: NetworkKey[];
  /** Host number of instance i on every network it joins. */
  hostNumber(i: number): number;
  /** The image folder under templates/images/. */
  image: string;
  container(ctx: BuildContext, i: number): NodePart;
  /** Files lab generates for the node (absolute path → content), written before it starts. */
  files?(ctx: BuildContext, i: number): Record<string, string>;
  /** Host paths the running service reads its config from; hashed to decide reloads. */
  configSources?(ctx: SourceContext, i: number): string[];
  service?: Service;
  /** A command that exits 0 once the node serves (run on demand by `lab up` and `lab status`); none: running is ready. */
  ready?: string[];
  graph: {
    tier: string;
    /** Extra text on the node's box, e.g. " MASTER" or " :10080". */
    label?(i: number): string;
    /** Roles this tier sends traffic to, and the arrow's text. */
    to: { role: string; text?: string }[];
  };
}

export const MiB = 1024 * 1024;

/** Names of every node of a kind. */
export function namesOf(kind: NodeKind): string[] {
  return Array.from({ length: kind.count }, (_, i) => kind.name(i));
}
