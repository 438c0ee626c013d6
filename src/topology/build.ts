// Pure: from the build context to the desired networks and containers, each with its config-hash label.
import { LAB_VERSION } from '../version.js';
import { stableHash } from '../util/hash.js';
import { host } from './cidr.js';
import { KINDS } from './kinds/index.js';
import { nodeName, type BuildContext } from './kinds/kind.js';
import { LABEL } from './labels.js';
import type { LabNetwork, LabNode, Topology } from './model.js';
import { ADDR, NETWORK_KEYS, networkName, type NetworkKey } from './networks.js';

// Internal networks give their containers no default route, so HAProxy's only gateway is the
// proxy network's, and Nginx/app cannot reach outside the lab.
const INTERNAL: NetworkKey[] = ['web', 'app'];

function labNetworks(ctx: BuildContext): LabNetwork[] {
  return NETWORK_KEYS.map((key) => {
    const subnet = ctx.subnets[key];
    const proxy = key === 'proxy';
    const options: Record<string, string> = {
      // The host must not masquerade lab traffic: with br_netfilter, Docker's MASQUERADE rule for a
      // subnet also rewrites packets the director forwards between two lab bridges, and the client's
      // address would be lost (or the reply would go astray).
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    };
    // The proxy bridge holds no address of its own: its gateway is the directors' VRRP address.
    if (proxy) options['com.docker.network.bridge.inhibit_ipv4'] = 'true';
    const spec = {
      name: networkName(ctx.lab, key),
      subnet,
      gateway: proxy ? ctx.gatewayVip : host(subnet, ADDR.edgeGateway),
      internal: INTERNAL.includes(key),
      options,
    };
    const labels = { [LABEL.name]: ctx.lab, [LABEL.network]: key, [LABEL.version]: LAB_VERSION };
    return { key, spec: { ...spec, labels: { ...labels, [LABEL.configHash]: stableHash({ ...spec, labels }) } } };
  });
}

export function buildTopology(ctx: BuildContext): Topology {
  const nodes: LabNode[] = [];
  for (const kind of KINDS) {
    for (let i = 0; i < kind.count; i++) {
      const node = nodeName(kind.role, i);
      const part = kind.container(ctx, i);
      const endpoints = kind.networks.map((key) => ({
        network: networkName(ctx.lab, key),
        ip: host(ctx.subnets[key], kind.hostNumber(i)),
        aliases: [node],
      }));
      const base = {
        ...part,
        name: `${ctx.lab}-${node}`,
        hostname: node,
        image: ctx.images[kind.role],
        endpoints,
      };
      const labels = {
        [LABEL.name]: ctx.lab,
        [LABEL.node]: node,
        [LABEL.role]: kind.role,
        [LABEL.experiment]: ctx.experiment,
        [LABEL.version]: LAB_VERSION,
        ...(kind.role === 'director' ? { [LABEL.forwarding]: ctx.forwarding } : {}),
      };
      // The hash covers everything that needs a new container to change; labels included, minus itself.
      const configHash = stableHash({ ...base, labels });
      nodes.push({
        node,
        role: kind.role,
        wave: kind.wave,
        container: { ...base, labels: { ...labels, [LABEL.configHash]: configHash } },
      });
    }
  }
  return {
    lab: ctx.lab,
    experiment: ctx.experiment,
    forwarding: ctx.forwarding,
    vip: ctx.vip,
    gatewayVip: ctx.gatewayVip,
    networks: labNetworks(ctx),
    nodes,
  };
}

/** Generated files (e.g. keepalived.conf) that must exist on the host before containers start. */
export function generatedFiles(ctx: BuildContext): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of KINDS) for (let i = 0; i < kind.count; i++) Object.assign(files, kind.files?.(ctx, i) ?? {});
  return files;
}

export function vipFor(subnets: Record<NetworkKey, string>): { vip: string; gatewayVip: string } {
  return { vip: host(subnets.edge, ADDR.vip), gatewayVip: host(subnets.proxy, ADDR.proxyGatewayVip) };
}
