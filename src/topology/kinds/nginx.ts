import path from 'node:path';
import { MiB } from './kind.js';
import type { Mount } from '../../runtime/types.js';
import { nginxValidator, reloadNginx } from '../../apply/services.js';
import type { NodeKind } from './kind.js';

/** Nginx serves the seven domains on 10080 (and 10443 while it still terminates TLS). */
export const nginx: NodeKind = {
  role: 'nginx',
  count: 3,
  name: (i) => `nginx${i + 1}`,
  wave: 2,
  order: 4,
  networks: ['web', 'app'],
  hostNumber: (i) => 21 + i,
  image: 'nginx',
  configSources: (ctx) => [path.join(ctx.workspaceDir, 'nginx'), ...(ctx.nginxTls ? ctx.domains.map((d) => path.join(ctx.certsDir, d)) : [])],
  container: (ctx) => {
    const mounts: Mount[] = [{ source: path.join(ctx.workspaceDir, 'nginx', 'conf.d'), target: '/etc/nginx/conf.d', readOnly: true }];
    if (ctx.nginxTls) {
      for (const d of ctx.domains) mounts.push({ source: path.join(ctx.certsDir, d), target: `/etc/nginx/ssl/${d}`, readOnly: true });
    }
    return { env: {}, mounts, capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 32 * MiB };
  },
  service: { validator: () => nginxValidator, reload: reloadNginx },
  ready: ['pgrep', '-x', 'nginx'],
  graph: { tier: 'Web服务器层 Nginx', label: () => ' :10080', to: [{ role: 'app' }] },
};
