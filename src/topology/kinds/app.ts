import { ADDR } from '../networks.js';
import type { NodeKind } from './kind.js';

/** The tutorial's upstream servers on 8070. */
export const app: NodeKind = {
  role: 'app',
  count: 3,
  wave: 0,
  networks: ['app'],
  hostNumber: (i) => ADDR.app[i]!,
  container: (_ctx, i) => ({
    env: { APP_NAME: `app${i + 1}`, APP_PORT: '8070' },
    endpoints: [],
    mounts: [],
    capAdd: [],
    sysctls: {},
    extraHosts: [],
    healthcheck: { test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8070/health'], intervalMs: 1000, timeoutMs: 2000, retries: 3 },
  }),
};
