import path from 'node:path';
import { parseKeepalived } from '../../forwarding/keepalived-config.js';
import { l4Spec } from '../../forwarding/l4-spec.js';
import { renderTemplate } from '../../render/template.js';
import { stableHash } from '../../util/hash.js';
import { host } from '../cidr.js';
import { NET_ADDR } from '../networks.js';
import { haproxy } from './haproxy.js';
import { MiB } from './kind.js';
import type { BuildContext, NodeKind } from './kind.js';

/** The directors forward to every HAProxy node, on the proxy network. */
const realServers = (ctx: BuildContext) => Array.from({ length: haproxy.count }, (_, i) => host(ctx.subnets.proxy, haproxy.hostNumber(i)));

export const FORWARDED_PORTS = [80, 443];

function keepalivedConf(ctx: BuildContext, i: number): string {
  const haproxyIps = realServers(ctx);
  const me = director.hostNumber(i);
  return renderTemplate('keepalived/keepalived.conf.tmpl', {
    node: director.name(i),
    forwarding: ctx.forwarding,
    state: i === 0 ? 'MASTER' : 'BACKUP',
    priority: i === 0 ? 100 : 50,
    edgeIp: host(ctx.subnets.edge, me),
    proxyIp: host(ctx.subnets.proxy, me),
    officeIp: host(ctx.subnets.office, me),
    vip: ctx.vip,
    gatewayVip: ctx.gateways.proxy,
    officeGatewayVip: ctx.gateways.office,
    virtualServers: FORWARDED_PORTS.map((port) => ({ port, realServers: haproxyIps.map((ip) => ({ ip, port })) })),
  });
}

export function keepalivedPath(ctx: Pick<BuildContext, 'stateDir'>, i: number): string {
  return path.join(ctx.stateDir, 'nodes', director.name(i), 'keepalived.conf');
}

/** The layer-4 forwarder's spec beside keepalived.conf (/etc/lab/l4.spec in the director). */
export function l4SpecPath(ctx: Pick<BuildContext, 'stateDir'>, i: number): string {
  return path.join(path.dirname(keepalivedPath(ctx, i)), 'l4.spec');
}

/**
 * What the director's files are: keepalived.conf, and without IPVS the forwarder's spec made from that
 * same text (its virtual_server blocks), so keepalived.conf stays the one source of truth. A
 * virtual_server the nftables fallback cannot emulate is an L4SpecError naming its file:line.
 */
function directorFiles(ctx: BuildContext, i: number): Record<string, string> {
  const conf = keepalivedConf(ctx, i);
  const files: Record<string, string> = { [keepalivedPath(ctx, i)]: conf };
  if (ctx.forwarding === 'nftables') {
    files[l4SpecPath(ctx, i)] = l4Spec(parseKeepalived(conf, { file: keepalivedPath(ctx, i) }));
  }
  return files;
}

/** The LVS tier: keepalived VRRP MASTER/BACKUP holding the VIP and the gateway addresses, forwarding with IPVS or nftables. */
export const director: NodeKind = {
  role: 'director',
  count: 2,
  name: (i) => `lvs${i + 1}`,
  wave: 3,
  order: 2,
  networks: ['edge', 'proxy', 'office'],
  hostNumber: (i) => 2 + i,
  image: 'director',
  files: directorFiles,
  container: (ctx, i) => ({
    env: {
      LAB_FORWARDING: ctx.forwarding,
      LAB_VIP: ctx.vip,
      LAB_L4_SPEC: '/etc/lab/l4.spec',
      // The generated files are part of the spec, so a changed keepalived.conf (or l4.spec) recreates the director.
      LAB_CONFIG_HASH: stableHash(Object.values(directorFiles(ctx, i)).join('\0')),
    },
    mounts: [{ source: path.dirname(keepalivedPath(ctx, i)), target: '/etc/lab', readOnly: true }],
    // VRRP needs raw sockets and address changes; forwarding needs nftables/IPVS. Nothing more.
    capAdd: ['NET_ADMIN', 'NET_RAW'],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    extraHosts: [],
    memoryBytes: 32 * MiB,
  }),
  ready: ['pgrep', '-x', 'keepalived'],
  graph: {
    tier: '四层负载均衡 LVS',
    label: (i) => (i === 0 ? ' MASTER' : ' BACKUP'),
    to: [{ role: 'haproxy', text: '四层转发' }],
  },
};

/** The VIP and the directors' gateway addresses, from the subnets. */
export function vrrpAddresses(subnets: Record<string, string>): { vip: string; gateways: { proxy: string; office: string } } {
  return {
    vip: host(subnets.edge!, NET_ADDR.vip),
    gateways: { proxy: host(subnets.proxy!, NET_ADDR.vrrpGateway), office: host(subnets.office!, NET_ADDR.vrrpGateway) },
  };
}
