import path from 'node:path';
import { host } from '../cidr.js';
import { MiB } from './kind.js';
import type { BuildContext, NodePart, NodeKind } from './kind.js';

/** The client image's entrypoint writes this once its CA, addresses and published ports are in place. */
export const CLIENT_READY = ['test', '-e', '/run/lab-client.ready'];

/**
 * What both client kinds share: curl, openssl and ab, the lab CA trusted, the seven domains at the VIP;
 * and extra source addresses (host numbers in `extra.subnet`) the entrypoint adds, for which alone the
 * node gets NET_ADMIN.
 */
export function clientPart(ctx: BuildContext, env: Record<string, string> = {}, extra?: { subnet: string; hosts: number[] }): NodePart {
  const bits = extra?.subnet.split('/')[1];
  const addrs: Record<string, string> = extra ? { LAB_EXTRA_ADDRS: extra.hosts.map((n) => `${host(extra.subnet, n)}/${bits}`).join(' ') } : {};
  return {
    env: { LAB_VIP: ctx.vip, ...addrs, ...env },
    // Only the CA's certificate enters a container, never its key.
    mounts: [{ source: path.join(ctx.certsDir, 'ca', 'ca.crt'), target: '/etc/lab/ca.crt', readOnly: true }],
    capAdd: extra ? ['NET_ADMIN'] : [],
    sysctls: {},
    extraHosts: ctx.domains.map((d) => `${d}:${ctx.vip}`),
    memoryBytes: 64 * MiB,
  };
}

/**
 * Extra source addresses the client holds in its own network (host numbers). A limit that is per
 * source must leave a neighbour of a limited client alone; one keyed on the client's network (or on
 * the frontend's rate for that network) refuses it.
 */
export const CLIENT_EXTRA_ADDRESSES = [50, 51];

/** Where probes run and the student's shell lives, on the edge network beside the VIP. */
export const client: NodeKind = {
  role: 'client',
  count: 1,
  name: () => 'client',
  wave: 1, // resolves nothing at start
  order: 0,
  networks: ['edge'],
  hostNumber: () => 10,
  image: 'client',
  ready: CLIENT_READY,
  container: (ctx) => {
    const part = clientPart(
      ctx,
      ctx.publishPort ? { LAB_PUBLISH: `${ctx.publishPort}:80 ${ctx.publishPort + 363}:443` } : {},
      { subnet: ctx.subnets.edge, hosts: CLIENT_EXTRA_ADDRESSES },
    );
    return {
      ...part,
      publish: ctx.publishPort
        ? [
            { hostPort: ctx.publishPort, containerPort: ctx.publishPort },
            { hostPort: ctx.publishPort + 363, containerPort: ctx.publishPort + 363 },
          ]
        : undefined,
    };
  },
  graph: { tier: '用户层 client', to: [{ role: 'director', text: 'HTTP/HTTPS' }] },
};
