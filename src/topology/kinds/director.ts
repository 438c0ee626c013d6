import path from 'node:path';
import { renderTemplate } from '../../render/template.js';
import { stableHash } from '../../util/hash.js';
import { host } from '../cidr.js';
import { ADDR } from '../networks.js';
import type { BuildContext, NodeKind } from './kind.js';

export const FORWARDED_PORTS = [80, 443];

function keepalivedConf(ctx: BuildContext, i: number): string {
  const haproxyIps = ADDR.haproxy.map((n) => host(ctx.subnets.proxy, n));
  return renderTemplate('keepalived/keepalived.conf.tmpl', {
    node: `lvs${i + 1}`,
    forwarding: ctx.forwarding,
    state: i === 0 ? 'MASTER' : 'BACKUP',
    priority: i === 0 ? 100 : 50,
    edgeIp: host(ctx.subnets.edge, ADDR.director[i]!),
    proxyIp: host(ctx.subnets.proxy, ADDR.director[i]!),
    vip: ctx.vip,
    gatewayVip: ctx.gatewayVip,
    virtualServers: FORWARDED_PORTS.map((port) => ({ port, realServers: haproxyIps.map((ip) => ({ ip, port })) })),
  });
}

export function keepalivedPath(ctx: BuildContext, i: number): string {
  return path.join(ctx.stateDir, 'nodes', `lvs${i + 1}`, 'keepalived.conf');
}

/** The LVS tier: keepalived VRRP MASTER/BACKUP holding the VIP, forwarding with IPVS or nftables. */
export const director: NodeKind = {
  role: 'director',
  count: 2,
  wave: 3,
  networks: ['edge', 'proxy'],
  hostNumber: (i) => ADDR.director[i]!,
  files: (ctx, i) => ({ [keepalivedPath(ctx, i)]: keepalivedConf(ctx, i) }),
  container: (ctx, i) => ({
    env: {
      LAB_FORWARDING: ctx.forwarding,
      LAB_VIP: ctx.vip,
      LAB_BACKENDS: ADDR.haproxy.map((n) => host(ctx.subnets.proxy, n)).join(' '),
      LAB_PORTS: FORWARDED_PORTS.join(' '),
      LAB_CHECK_PORT: '80',
      // The rendered file's content is part of the spec, so a changed keepalived.conf recreates the director.
      LAB_CONFIG_HASH: stableHash(keepalivedConf(ctx, i)),
    },
    endpoints: [],
    mounts: [{ source: path.dirname(keepalivedPath(ctx, i)), target: '/etc/lab', readOnly: true }],
    // VRRP needs raw sockets and address changes; forwarding needs nftables/IPVS. Nothing more.
    capAdd: ['NET_ADMIN', 'NET_RAW'],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    extraHosts: [],
    healthcheck: { test: ['CMD', 'pgrep', '-x', 'keepalived'], intervalMs: 1000, timeoutMs: 2000, retries: 3 },
  }),
};
