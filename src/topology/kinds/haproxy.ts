import path from 'node:path';
import { ADDR } from '../networks.js';
import type { NodeKind } from './kind.js';

/**
 * HAProxy reads the student's workspace at /etc/haproxy (the tutorial's path) and the PEM bundles at
 * /etc/haproxy/certs. It needs no capabilities: its default route is the proxy network's gateway,
 * which is the VRRP address on the active director.
 */
export const haproxy: NodeKind = {
  role: 'haproxy',
  count: 2,
  wave: 2,
  networks: ['proxy', 'web'],
  hostNumber: (i) => ADDR.haproxy[i]!,
  configSources: (ctx) => [path.join(ctx.workspaceDir, 'haproxy'), path.join(ctx.certsDir, 'haproxy')],
  container: (ctx) => ({
    env: {},
    endpoints: [],
    mounts: [
      { source: path.join(ctx.workspaceDir, 'haproxy'), target: '/etc/haproxy', readOnly: true },
      { source: path.join(ctx.certsDir, 'haproxy'), target: '/etc/haproxy/certs', readOnly: true },
    ],
    capAdd: [],
    sysctls: {},
    extraHosts: [],
    healthcheck: {
      test: ['CMD-SHELL', 'echo "show proc" | socat -t 1 - UNIX-CONNECT:/run/lab-master.sock | grep -q worker'],
      intervalMs: 1000,
      timeoutMs: 2000,
      retries: 3,
    },
  }),
};
