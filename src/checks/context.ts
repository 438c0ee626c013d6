// Builds what the probes need: in a lab, handles on its containers found by label (traffic from the
// client container, counters and sockets in the HAProxy nodes); with --target, this process as the client.
import { readSecrets } from '../state/secrets.js';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_DOMAINS } from '../certs/index.js';
import type { Runtime } from '../runtime/types.js';
import { isIP } from 'node:net';
import { networkName } from '../topology/networks.js';
import { contains } from '../topology/cidr.js';
import { SUBNET_POOL } from '../topology/subnets.js';
import { host } from '../topology/cidr.js';
import { OFFICE_EXTRA_ADDRESSES } from '../topology/kinds/office.js';
import { CLIENT_EXTRA_ADDRESSES } from '../topology/kinds/client.js';
import type { LabView } from '../lifecycle/observe.js';
import { UsageError } from '../util/errors.js';
import { CurlClient, NodeClient } from './http.js';
import { NodeTls, S_clientTls } from './tls.js';
import { masterStats, pageStats } from './stats.js';
import type { LabHandle, ProbeContext } from './types.js';
import { t } from './types.js';

export type BaseContext = Omit<ProbeContext, 'shared' | 'scratch' | 'attempt'>;

/**
 * One answer for the whole run, asked once; a failure is not kept, so a check's retry asks again (a
 * CI run under load failed runtime-socket on both attempts with one `cat` that had timed out once).
 */
export function onceOk<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () =>
    (p ??= fn().catch((e: unknown) => {
      p = undefined;
      throw e;
    }));
}

/** The probes' handles on a running lab, from its observed view (no engine call here). */
export function labContext(runtime: Runtime, view: LabView, experiment: string): BaseContext {
  const running = view.nodes.filter((n) => n.state === 'running');
  if (running.length === 0) {
    throw new UsageError(`lab "${view.name}" is not running`, { hint: `Start it with \`lab up ${experiment}\` (or pass --name for another lab, or --target HOST for your own machine).` });
  }
  if (view.experiment && view.experiment !== experiment) {
    throw new UsageError(`lab "${view.name}" runs ${view.experiment}, not ${experiment}`, { hint: `Grade it with \`lab check ${view.experiment}\`, or switch with \`lab up ${experiment}\`.` });
  }
  const byRole = (role: string) => running.filter((n) => n.role === role);
  const client = byRole('client')[0];
  const office = byRole('office')[0];
  const haproxy = byRole('haproxy');
  if (!client || haproxy.length === 0) {
    throw new UsageError(`lab "${view.name}" has no running ${client ? 'HAProxy nodes' : 'client'}`, { hint: `See \`lab status\`; \`lab up ${experiment}\` starts what is missing.` });
  }
  if (!view.vip) throw new UsageError(`lab "${view.name}" has no edge network`, { hint: `Run \`lab up ${experiment}\` to repair it.` });
  const vip = view.vip;
  const proxyNet = networkName(view.name, 'proxy');
  const nodes = haproxy.map((c) => ({ node: c.node, container: c.container, address: c.addresses[proxyNet] ?? Object.values(c.addresses)[0]! }));
  const names: Record<string, string> = {};
  for (const n of running) for (const a of Object.values(n.addresses)) names[a] = n.node;
  const officeNet = view.subnets.office;
  const officeOwn = office?.addresses[networkName(view.name, 'office')];
  const officeSources = office && officeNet && officeOwn ? [officeOwn, ...OFFICE_EXTRA_ADDRESSES.map((h) => host(officeNet, h))] : undefined;
  const lab: LabHandle = {
    runtime,
    labName: view.name,
    experiment: view.experiment,
    client: client.container,
    office: office?.container,
    haproxy: nodes,
    nginx: byRole('nginx').map((c) => ({ node: c.node, container: c.container })),
    directors: byRole('director').map((c) => ({ node: c.node, container: c.container })),
    apps: byRole('app').map((c) => ({ node: c.node, container: c.container })),
    subnets: view.subnets,
    workspaceDir: view.workspaceDir,
    names,
  };
  return {
    mode: 'lab',
    lab,
    edgeAddress: vip,
    ports: { http: 80, https: 443 },
    clientAddress: client.addresses[networkName(view.name, 'edge')],
    clientNeighbours: view.subnets.edge ? CLIENT_EXTRA_ADDRESSES.map((h) => host(view.subnets.edge!, h)) : undefined,
    officeAddress: officeOwn,
    officeSources,
    edge: new CurlClient(runtime, client.container, vip, 'client'),
    office: office ? new CurlClient(runtime, office.container, vip, 'office') : undefined,
    tls: new S_clientTls(runtime, client.container, vip),
    // Inside each node: loopback first, then its own addresses (the directors forward only 80/443).
    haproxy: haproxy.map((c) => {
      const own = nodes.find((n) => n.node === c.node)!.address;
      const addresses = ['127.0.0.1', own, ...Object.values(c.addresses).filter((a) => a !== own)];
      return { name: c.node, address: addresses[0]!, addresses, http: new CurlClient(runtime, c.container, own, c.node, 4) };
    }),
    stats: masterStats(lab),
    statsPassword: view.rootDir ? readSecrets(view.rootDir, view.name).statsPassword : undefined,
    domains: DEFAULT_DOMAINS,
    // Harmless to run twice, so down the kept shell when one is free: a new exec can take seconds under load.
    ca: onceOk(async () => {
      const r = await runtime.exec(client.container, ['cat', '/etc/lab/ca.crt'], { timeoutMs: 10_000, kept: true });
      return r.exitCode === 0 && r.stdout.includes('BEGIN CERTIFICATE') ? r.stdout : undefined;
    }),
    haproxyConfig: onceOk(async () => (await runtime.exec(nodes[0]!.container, ['cat', '/etc/haproxy/haproxy.cfg'], { timeoutMs: 10_000, kept: true })).stdout),
  };
}

/**
 * `--target` inside the lab's address pool but held by no lab on this engine: the lab is gone, and
 * probes aimed there would leave the machine by its default route. Refuse.
 */
export async function assertTargetReachable(runtime: Runtime, target: string): Promise<void> {
  if (isIP(target) !== 4 || !contains(SUBNET_POOL, target)) return;
  let nets: { name: string; subnets: string[] }[] = [];
  try {
    nets = await runtime.listNetworks();
  } catch {
    nets = [];
  }
  if (!nets.some((n) => n.subnets.some((s) => !s.includes(':') && contains(s, target)))) {
    throw new UsageError(`--target ${target} is in the lab's address pool ${SUBNET_POOL}, but no network on this engine holds it`, {
      hint: 'The lab it belonged to is gone; traffic there would leave this machine by its default route. Start the lab again (`lab up`), or give the address of a machine of your own.',
    });
  }
}

export interface TargetOptions {
  host: string;
  httpPort: number;
  httpsPort: number;
  statsPort?: number;
  /** The lab CA certificate; tls checks skip without one. */
  caFile?: string;
  /** user:password of the stats page (routing is graded from its counters when given). */
  statsAuth?: string;
  /** The stats page's path (default /stats; its CSV is PATH;csv). */
  statsUri?: string;
}

/** The stats page's port when nothing else says: the course's 8404 (tutorial 6.2). */
export const DEFAULT_STATS_PORT = 8404;

export function targetContext(o: TargetOptions): BaseContext {
  const ports = { http: o.httpPort, https: o.httpsPort };
  const http = new NodeClient(o.host, ports);
  const statsPort = o.statsPort ?? DEFAULT_STATS_PORT;
  const colon = o.statsAuth?.indexOf(':') ?? -1;
  const auth = o.statsAuth && colon > 0 ? { user: o.statsAuth.slice(0, colon), password: o.statsAuth.slice(colon + 1) } : undefined;
  const stats = auth ? pageStats({ host: o.host, http, port: statsPort, uri: o.statsUri ?? '/stats', auth }) : undefined;
  return {
    mode: 'target',
    edgeAddress: o.host,
    ports,
    edge: http,
    tls: new NodeTls(o.host),
    haproxy: [{ name: o.host, address: o.host, addresses: [o.host], http }],
    domains: DEFAULT_DOMAINS,
    statsPort: o.statsPort,
    stats,
    statsMissing: stats
      ? undefined
      : t(
          `HAProxy's counters are read from the stats page: give --stats-auth USER:PASSWORD (and --stats-port if it is not on ${statsPort})`,
          `HAProxy 的计数器从统计页面读取：请用 --stats-auth 用户名:密码 指定账号（端口不是 ${statsPort} 时再加 --stats-port）`,
        ),
    ca: async () => (o.caFile && existsSync(o.caFile) ? readFileSync(o.caFile, 'utf8') : undefined),
  };
}
