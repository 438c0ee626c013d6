import path from 'node:path';
import { parseKeepalived, type ParsedKeepalived } from '../../forwarding/keepalived-config.js';
import { parseKeepalivedFile, readIncludeFromDisk } from '../../forwarding/keepalived-files.js';
import { keepalivedValidator, reloadDirector } from '../../apply/services.js';
import { l4Spec } from '../../forwarding/l4-spec.js';
import { renderTemplate } from '../../render/template.js';
import { stableHash } from '../../util/hash.js';
import { host } from '../cidr.js';
import { NET_ADDR } from '../networks.js';
import { haproxy } from './haproxy.js';
import { MiB } from './kind.js';
import type { BuildContext, NodeKind } from './kind.js';

/** The directors forward to every HAProxy node, on the proxy network. */
const realServers = (ctx: Pick<BuildContext, 'subnets'>) => Array.from({ length: haproxy.count }, (_, i) => host(ctx.subnets.proxy, haproxy.hostNumber(i)));

/** HTTP, HTTPS, and RDP (3389) for exp8's `balance rdp-cookie` listener (tutorial 5.1.8) in mode tcp. */
export const FORWARDED_PORTS = [80, 443, 3389];

function keepalivedConf(ctx: BuildContext, i: number): string {
  const haproxyIps = realServers(ctx);
  return renderTemplate('keepalived/keepalived.conf.tmpl', {
    ...vrrpValues(ctx, i),
    forwarding: ctx.forwarding,
    virtualServers: FORWARDED_PORTS.map((port) => ({ port, realServers: haproxyIps.map((ip) => ({ ip, port })) })),
  });
}

/** What a student's config depends on: the lab's addresses and where the workspace is. */
export type StudentConfContext = Pick<BuildContext, 'subnets' | 'vip' | 'gateways' | 'workspaceDir'>;

/** lab's own VRRP config makes the first director MASTER with the higher priority (and preempts). */
const MASTER_INDEX = 0;

/** What varies per director in lab's files (both the full config and the student's include). */
function vrrpValues(ctx: StudentConfContext, i: number) {
  const me = director.hostNumber(i);
  const [haproxy1, haproxy2] = realServers(ctx);
  return {
    node: director.name(i),
    state: i === MASTER_INDEX ? 'MASTER' : 'BACKUP',
    priority: i === MASTER_INDEX ? 100 : 50,
    edgeIp: host(ctx.subnets.edge, me),
    proxyIp: host(ctx.subnets.proxy, me),
    officeIp: host(ctx.subnets.office, me),
    vip: ctx.vip,
    gatewayVip: ctx.gateways.proxy,
    officeGatewayVip: ctx.gateways.office,
    haproxy1,
    haproxy2,
  };
}

/** lab's include for a student-written config (exp7): machine-specific variables and the office gateway. */
export function labInclude(ctx: StudentConfContext, i: number): string {
  return renderTemplate('keepalived/lab.conf.tmpl', vrrpValues(ctx, i));
}

/** The variables lab's include defines (templates/keepalived/lab.conf.tmpl; a unit test keeps the two equal). */
export const LAB_INCLUDE_VARIABLES = ['EDGE_IF', 'PROXY_IF', 'MY_EDGE_IP', 'MY_PROXY_IP', 'VIP', 'GW_VIP', 'HAPROXY1', 'HAPROXY2'] as const;

/** Where the student's config of director i lives in the workspace, and inside the container. */
export const studentConfName = (i: number) => `${director.name(i)}.conf`;
export const LAB_INCLUDE = '/run/lab/lab.conf';

/**
 * The student's file parsed as the director will read it: lab's include stands in for /run/lab/lab.conf
 * (interfaces as eth0..2, which only VRRP blocks use), other includes are read beside the file.
 */
export function parseStudentConf(ctx: StudentConfContext, i: number): ParsedKeepalived {
  const file = path.join(ctx.workspaceDir, 'keepalived', studentConfName(i));
  let n = 0;
  const include = labInclude(ctx, i).replace(/@IF:[0-9.]+@/g, () => `eth${n++ % 3}`);
  return parseKeepalivedFile(file, {
    interfaces: ['eth0', 'eth1', 'eth2'],
    readInclude: (pattern, from) => (pattern === LAB_INCLUDE ? [{ file: LAB_INCLUDE, text: include }] : readIncludeFromDisk(pattern, from)),
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
  if (ctx.keepalived === 'workspace') {
    const files: Record<string, string> = { [path.join(path.dirname(keepalivedPath(ctx, i)), 'lab.conf')]: labInclude(ctx, i) };
    if (ctx.forwarding === 'nftables') files[l4SpecPath(ctx, i)] = l4Spec(parseStudentConf(ctx, i));
    return files;
  }
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
  // First of all: it resolves no names (its config holds addresses), and VRRP's election (3.6 s from
  // start: three missed adverts at advert_int 1, plus skew) then overlaps the starts of every other tier.
  wave: 0,
  order: 2,
  networks: ['edge', 'proxy', 'office'],
  hostNumber: (i) => 2 + i,
  image: 'director',
  files: directorFiles,
  // A student-written config (exp7) is the student's workspace; it is validated and reloaded like HAProxy's.
  configSources: (ctx) => (ctx.keepalived === 'workspace' ? [path.join(ctx.workspaceDir, 'keepalived')] : []),
  service: { validator: (ctx) => (ctx.keepalived === 'workspace' ? keepalivedValidator : undefined), reload: reloadDirector, perNode: true },
  container: (ctx, i) => ({
    env: {
      LAB_FORWARDING: ctx.forwarding,
      LAB_VIP: ctx.vip,
      LAB_L4_SPEC: '/etc/lab/l4.spec',
      ...(ctx.keepalived === 'workspace'
        ? // The student's file is reloaded on `lab apply`, not baked into the container.
          { LAB_KEEPALIVED_CONF: `/etc/keepalived/${studentConfName(i)}`, LAB_INCLUDE }
        : // lab's own files are part of the spec: a changed keepalived.conf (or l4.spec) recreates the director.
          { LAB_CONFIG_HASH: stableHash(Object.values(directorFiles(ctx, i)).join('\0')) }),
    },
    mounts: [
      { source: path.dirname(keepalivedPath(ctx, i)), target: '/etc/lab', readOnly: true },
      ...(ctx.keepalived === 'workspace' ? [{ source: path.join(ctx.workspaceDir, 'keepalived'), target: '/etc/keepalived', readOnly: true }] : []),
    ],
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

/** The director that holds the VIP once lab's own VRRP config has settled (lvs1). */
export const PREFERRED_MASTER = director.name(MASTER_INDEX);
