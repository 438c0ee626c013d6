import { MiB } from './kind.js';
import type { NodeKind } from './kind.js';

/** The tutorial's upstream servers on 8070: every answer is JSON saying what reached them. */
export const app: NodeKind = {
  role: 'app',
  count: 3,
  name: (i) => `app${i + 1}`,
  wave: 1,
  order: 5,
  networks: ['app'],
  hostNumber: (i) => 31 + i,
  image: 'app',
  container: (_ctx, i) => ({
    env: { APP_NAME: `app${i + 1}`, APP_PORT: '8070' },
    mounts: [],
    capAdd: [],
    sysctls: {},
    extraHosts: [],
    memoryBytes: 32 * MiB,
  }),
  ready: ['curl', '-fsS', '-o', '/dev/null', '-m', '2', 'http://127.0.0.1:8070/health'],
  graph: { tier: '应用服务器层 app', label: () => ' :8070', to: [] },
};
