import path from 'node:path';
import { host } from '../cidr.js';
import { MiB } from './kind.js';
import type { BuildContext, NodePart, NodeKind } from './kind.js';

/** The client image's entrypoint writes this once its CA, addresses and published ports are in place. */
export const CLIENT_READY = ['test', '-e', '/run/lab-client.ready'];

/** What both client kinds share: curl, openssl and ab, the lab CA trusted, the seven domains at the VIP. */
export function clientPart(ctx: BuildContext, env: Record<string, string> = {}): NodePart {
  return {
    env: { LAB_VIP: ctx.vip, ...env },
    // Only the CA's certificate enters a container, never its key.
    mounts: [{ source: path.join(ctx.certsDir, 'ca', 'ca.crt'), target: '/etc/lab/ca.crt', readOnly: true }],
    capAdd: [],
    sysctls: {},
    extraHosts: ctx.domains.map((d) => `${d}:${ctx.vip}`),
    memoryBytes: 64 * MiB,
  };
}

/**
 * Extra source addresses the client holds in its own network (host numbers). A limit that is per
 * source must leave a neighbour of a limited client alone; one keyed on the client's network (or on
 * the frontend's rate for that network) refuses it. NET_ADMIN is for `ip addr add` alone.
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
    const bits = ctx.subnets.edge.split('/')[1];
    const part = clientPart(ctx, {
      LAB_EXTRA_ADDRS: CLIENT_EXTRA_ADDRESSES.map((n) => `${host(ctx.subnets.edge, n)}/${bits}`).join(' '),
      ...(ctx.publishPort ? { LAB_PUBLISH: `${ctx.publishPort}:80 ${ctx.publishPort + 363}:443` } : {}),
    });
    return {
      ...part,
      capAdd: ['NET_ADMIN'],
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
