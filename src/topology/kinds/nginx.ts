import path from 'node:path';
import { ADDR } from '../networks.js';
import type { Mount } from '../../runtime/types.js';
import type { NodeKind } from './kind.js';

/** Nginx serves the seven domains on 10080 (and 10443 while it still terminates TLS). */
export const nginx: NodeKind = {
  role: 'nginx',
  count: 3,
  wave: 1,
  networks: ['web', 'app'],
  hostNumber: (i) => ADDR.nginx[i]!,
  configSources: (ctx) => [path.join(ctx.workspaceDir, 'nginx'), ...(ctx.nginxTls ? ctx.domains.map((d) => path.join(ctx.certsDir, d)) : [])],
  container: (ctx) => {
    const mounts: Mount[] = [{ source: path.join(ctx.workspaceDir, 'nginx', 'conf.d'), target: '/etc/nginx/conf.d', readOnly: true }];
    if (ctx.nginxTls) {
      for (const d of ctx.domains) mounts.push({ source: path.join(ctx.certsDir, d), target: `/etc/nginx/ssl/${d}`, readOnly: true });
    }
    return {
      env: {},
      endpoints: [],
      mounts,
      capAdd: [],
      sysctls: {},
      extraHosts: [],
      healthcheck: { test: ['CMD', 'pgrep', '-x', 'nginx'], intervalMs: 1000, timeoutMs: 2000, retries: 3 },
    };
  },
};
