import path from 'node:path';
import { ADDR } from '../networks.js';
import type { NodeKind } from './kind.js';

/** Where probes run and the student's shell lives. The seven domains resolve to the VIP here. */
export const client: NodeKind = {
  role: 'client',
  count: 1,
  wave: 4,
  networks: ['edge'],
  hostNumber: () => ADDR.client,
  container: (ctx) => ({
    env: {
      LAB_VIP: ctx.vip,
      ...(ctx.publishPort ? { LAB_PUBLISH: `${ctx.publishPort}:80 ${ctx.publishPort + 363}:443` } : {}),
    },
    endpoints: [],
    // Only the CA's certificate enters a container, never its key.
    mounts: [{ source: path.join(ctx.certsDir, 'ca', 'ca.crt'), target: '/etc/lab/ca.crt', readOnly: true }],
    capAdd: [],
    sysctls: {},
    extraHosts: ctx.domains.map((d) => `${d}:${ctx.vip}`),
    publish: ctx.publishPort
      ? [
          { hostPort: ctx.publishPort, containerPort: ctx.publishPort },
          { hostPort: ctx.publishPort + 363, containerPort: ctx.publishPort + 363 },
        ]
      : undefined,
  }),
};
