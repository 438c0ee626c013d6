// Pure: from the build context to the desired networks and containers, each with its config-hash label,
// and the files lab generates for them. Everything here derives from the list of kinds.
import os from 'node:os';
import { LAB_VERSION } from '../version.js';
import { stableHash, stableStringify } from '../util/hash.js';
import { host } from './cidr.js';
import { KINDS } from './kinds/index.js';
import type { BuildContext } from './kinds/kind.js';
import { LABEL } from './labels.js';
import type { LabNetwork, LabNode, Topology } from './model.js';
import { NET_ADDR, NETWORK_KEYS, NETWORKS, networkName } from './networks.js';

function labNetworks(ctx: BuildContext): LabNetwork[] {
  return NETWORK_KEYS.map((key) => {
    const subnet = ctx.subnets[key];
    const def = NETWORKS[key];
    const options: Record<string, string> = {
      // The host must not masquerade lab traffic: with br_netfilter, Docker's MASQUERADE rule for a
      // subnet also rewrites packets the director forwards between two lab bridges, and the client's
      // address would be lost (or the reply would go astray).
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    };
    // A VRRP-gatewayed bridge holds no address of its own: its gateway is the directors' VRRP address.
    if (def.vrrpGateway) options['com.docker.network.bridge.inhibit_ipv4'] = 'true';
    const spec = {
      name: networkName(ctx.lab, key),
      subnet,
      gateway: def.vrrpGateway ? host(subnet, NET_ADDR.vrrpGateway) : host(subnet, NET_ADDR.bridgeGateway),
      internal: def.internal,
      options,
    };
    const labels = { [LABEL.name]: ctx.lab, [LABEL.network]: key, [LABEL.version]: LAB_VERSION, [LABEL.root]: ctx.rootDir, [LABEL.host]: os.hostname() };
    return { key, spec: { ...spec, labels: { ...labels, [LABEL.configHash]: stableHash({ ...spec, labels: { ...labels, [LABEL.host]: undefined } }) } } };
  });
}

export function buildTopology(ctx: BuildContext): Topology {
  const nodes: LabNode[] = [];
  for (const kind of KINDS) {
    for (let i = 0; i < kind.count; i++) {
      const node = kind.name(i);
      const part = kind.container(ctx, i);
      const endpoints = kind.networks.map((key) => ({
        network: networkName(ctx.lab, key),
        ip: host(ctx.subnets[key], kind.hostNumber(i)),
        aliases: [node],
      }));
      const base = { ...part, name: `${ctx.lab}-${node}`, hostname: node, image: ctx.images[kind.image]!, endpoints };
      const labels = {
        [LABEL.name]: ctx.lab,
        [LABEL.node]: node,
        [LABEL.role]: kind.role,
        [LABEL.experiment]: ctx.experiment,
        [LABEL.version]: LAB_VERSION,
        [LABEL.root]: ctx.rootDir,
        [LABEL.workspace]: ctx.workspaceDir,
        [LABEL.certs]: ctx.certsDir,
        ...(kind.role === 'director' ? { [LABEL.forwarding]: ctx.forwarding } : {}),
      };
      // The hash covers everything that needs a new container to change, labels included.
      const configHash = stableHash({ ...base, labels });
      // A bind mount holds the folder it was made from: a folder deleted and made again (a student
      // restoring a backup with rm -rf and cp -r) is a new inode the running container never sees. The
      // inodes of the mount sources are recorded, so the planner can tell a replaced folder (stale mount).
      const mounts = mountInodes(ctx, part.mounts.map((m) => m.source));
      nodes.push({
        node,
        role: kind.role,
        wave: kind.wave,
        order: kind.order,
        container: { ...base, labels: { ...labels, [LABEL.host]: os.hostname(), [LABEL.mounts]: mounts, [LABEL.configHash]: configHash } },
      });
    }
  }
  return { lab: ctx.lab, experiment: ctx.experiment, forwarding: ctx.forwarding, vip: ctx.vip, networks: labNetworks(ctx), nodes };
}

/**
 * `{"<host path>": inode}` of the mount sources, as stable JSON (0 for a source that does not exist
 * yet). Folders lab generates itself under the state dir are not students' to replace, and the plan
 * makes them after this is computed, so they are left out.
 */
export function mountInodes(ctx: Pick<BuildContext, 'inodeOf' | 'stateDir'>, sources: string[]): string {
  const tracked = sources.filter((src) => !src.startsWith(`${ctx.stateDir}/`));
  return stableStringify(Object.fromEntries(tracked.map((src) => [src, ctx.inodeOf(src) ?? 0])));
}

/** Mount sources whose folder (or file) is no longer the one a container was created with. */
export function replacedMounts(label: string | undefined, inodeOf: (p: string) => number | undefined): string[] {
  if (!label) return [];
  let recorded: Record<string, number>;
  try {
    recorded = JSON.parse(label) as Record<string, number>;
  } catch {
    return [];
  }
  return Object.entries(recorded).filter(([src, ino]) => ino !== 0 && (inodeOf(src) ?? 0) !== ino).map(([src]) => src);
}

/** Generated files (e.g. keepalived.conf) that must exist on the host before containers start. */
export function generatedFiles(ctx: BuildContext): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of KINDS) for (let i = 0; i < kind.count; i++) Object.assign(files, kind.files?.(ctx, i) ?? {});
  return files;
}
