// Builds what the probes need: in a lab, handles on its containers found by label (traffic from the
// client container, counters and sockets in the HAProxy nodes); with --target, this process as the client.
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_DOMAINS } from '../certs/index.js';
import type { Runtime } from '../runtime/types.js';
import { host } from '../topology/cidr.js';
import { LABEL, labSelector } from '../topology/labels.js';
import { ADDR, networkName } from '../topology/networks.js';
import { UsageError } from '../util/errors.js';
import { CurlClient, NodeClient } from './http.js';
import { NodeTls, S_clientTls } from './tls.js';
import type { ProbeContext } from './types.js';

export type BaseContext = Omit<ProbeContext, 'shared' | 'scratch' | 'attempt'>;

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export async function labContext(runtime: Runtime, labName: string, experiment: string): Promise<BaseContext> {
  const [containers, networks] = await Promise.all([runtime.listContainers(labSelector(labName)), runtime.listNetworks(labSelector(labName))]);
  const running = containers.filter((c) => c.state === 'running');
  if (running.length === 0) {
    throw new UsageError(`lab "${labName}" is not running`, { hint: `Start it with \`lab up ${experiment}\` (or pass --name for another lab, or --target HOST for your own machine).` });
  }
  const labExp = running[0]!.labels[LABEL.experiment] ?? null;
  if (labExp && labExp !== experiment) {
    throw new UsageError(`lab "${labName}" runs ${labExp}, not ${experiment}`, { hint: `Grade it with \`lab check ${labExp}\`, or switch with \`lab up ${experiment}\`.` });
  }
  const byNode = (role: string) =>
    running
      .filter((c) => c.labels[LABEL.role] === role)
      .sort((a, b) => (a.labels[LABEL.node] ?? '').localeCompare(b.labels[LABEL.node] ?? '', 'en', { numeric: true }));
  const client = byNode('client')[0];
  const haproxy = byNode('haproxy');
  if (!client || haproxy.length === 0) {
    throw new UsageError(`lab "${labName}" has no running ${client ? 'HAProxy nodes' : 'client'}`, { hint: `See \`lab status\`; \`lab up ${experiment}\` starts what is missing.` });
  }
  const edge = networks.find((n) => n.labels[LABEL.network] === 'edge');
  if (!edge?.subnets[0]) throw new UsageError(`lab "${labName}" has no edge network`, { hint: `Run \`lab up ${experiment}\` to repair it.` });
  const vip = host(edge.subnets[0], ADDR.vip);
  const proxyNet = networkName(labName, 'proxy');
  const nodes = haproxy.map((c) => ({ node: c.labels[LABEL.node]!, container: c.name, address: c.addresses[proxyNet] ?? Object.values(c.addresses)[0]! }));
  const lab = {
    runtime,
    labName,
    experiment: labExp,
    client: client.name,
    haproxy: nodes,
    nginx: byNode('nginx').map((c) => ({ node: c.labels[LABEL.node]!, container: c.name })),
  };
  return {
    mode: 'lab',
    lab,
    edgeAddress: vip,
    ports: { http: 80, https: 443 },
    clientAddress: client.addresses[networkName(labName, 'edge')],
    edge: new CurlClient(runtime, client.name, vip, 'client'),
    tls: new S_clientTls(runtime, client.name, vip),
    haproxy: nodes.map((n) => ({ name: n.node, address: n.address, http: new CurlClient(runtime, n.container, n.address, n.node, 4) })),
    domains: DEFAULT_DOMAINS,
    ca: once(async () => {
      const r = await runtime.exec(client.name, ['cat', '/etc/lab/ca.crt'], { timeoutMs: 5000 });
      return r.exitCode === 0 && r.stdout.includes('BEGIN CERTIFICATE') ? r.stdout : undefined;
    }),
    haproxyConfig: once(async () => (await runtime.exec(nodes[0]!.container, ['cat', '/etc/haproxy/haproxy.cfg'], { timeoutMs: 5000 })).stdout),
  };
}

export interface TargetOptions {
  host: string;
  httpPort: number;
  httpsPort: number;
  statsPort?: number;
  /** The lab CA certificate; tls checks skip without one. */
  caFile?: string;
}

export function targetContext(o: TargetOptions): BaseContext {
  const ports = { http: o.httpPort, https: o.httpsPort };
  const http = new NodeClient(o.host, ports);
  return {
    mode: 'target',
    edgeAddress: o.host,
    ports,
    edge: http,
    tls: new NodeTls(o.host),
    haproxy: [{ name: o.host, address: o.host, http }],
    domains: DEFAULT_DOMAINS,
    statsPort: o.statsPort,
    ca: async () => (o.caFile && existsSync(o.caFile) ? readFileSync(o.caFile, 'utf8') : undefined),
  };
}
