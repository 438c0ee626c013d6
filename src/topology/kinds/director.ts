import path from 'node:path';
import { parseKeepalived } from '../../forwarding/keepalived-config.js';
import { l4Spec } from '../../forwarding/l4-spec.js';
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

/** The layer-4 forwarder's spec beside keepalived.conf (/etc/lab/l4.spec in the director). */
export function l4SpecPath(ctx: BuildContext, i: number): string {
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

/** The LVS tier: keepalived VRRP MASTER/BACKUP holding the VIP, forwarding with IPVS or nftables. */
export const director: NodeKind = {
  role: 'director',
  count: 2,
  wave: 3,
  networks: ['edge', 'proxy'],
  hostNumber: (i) => ADDR.director[i]!,
  files: directorFiles,
  container: (ctx, i) => ({
    env: {
      LAB_FORWARDING: ctx.forwarding,
      LAB_VIP: ctx.vip,
      LAB_BACKENDS: ADDR.haproxy.map((n) => host(ctx.subnets.proxy, n)).join(' '),
      LAB_PORTS: FORWARDED_PORTS.join(' '),
      LAB_L4_SPEC: '/etc/lab/l4.spec',
      // The generated files are part of the spec, so a changed keepalived.conf (or l4.spec) recreates the director.
      LAB_CONFIG_HASH: stableHash(Object.values(directorFiles(ctx, i)).join('\0')),
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
