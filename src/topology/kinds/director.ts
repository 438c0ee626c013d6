import path from 'node:path';
import { renderTemplate } from '../../render/template.js';
import { stableHash } from '../../util/hash.js';
import { host } from '../cidr.js';
import { NET_ADDR } from '../networks.js';
import { haproxy } from './haproxy.js';
import type { BuildContext, NodeKind } from './kind.js';

/** The directors forward to every HAProxy node, on the proxy network. */
const realServers = (ctx: BuildContext) => Array.from({ length: haproxy.count }, (_, i) => host(ctx.subnets.proxy, haproxy.hostNumber(i)));

/** HTTP, HTTPS, and RDP (3389) for exp8's `balance rdp-cookie` listener (tutorial 5.1.8) in mode tcp. */
export const FORWARDED_PORTS = [80, 443, 3389];

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
  files: (ctx, i) => ({ [keepalivedPath(ctx, i)]: keepalivedConf(ctx, i) }),
  container: (ctx, i) => ({
    env: {
      LAB_FORWARDING: ctx.forwarding,
      LAB_VIP: ctx.vip,
      LAB_BACKENDS: realServers(ctx).join(' '),
      LAB_PORTS: FORWARDED_PORTS.join(' '),
      LAB_CHECK_PORT: '80',
      // The rendered file's content is part of the spec, so a changed keepalived.conf recreates the director.
      LAB_CONFIG_HASH: stableHash(keepalivedConf(ctx, i)),
    },
    mounts: [{ source: path.dirname(keepalivedPath(ctx, i)), target: '/etc/lab', readOnly: true }],
    // VRRP needs raw sockets and address changes; forwarding needs nftables/IPVS. Nothing more.
    capAdd: ['NET_ADMIN', 'NET_RAW'],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    extraHosts: [],
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
