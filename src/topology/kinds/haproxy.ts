import path from 'node:path';
import { haproxyValidator, reloadHaproxy } from '../../apply/services.js';
import { MASTER_SOCKET } from '../../apply/services.js';
import { MiB } from './kind.js';
import type { NodeKind } from './kind.js';

/** Where the student's workspace appears inside the HAProxy nodes (read-only). */
export const WORKSPACE_IN_HAPROXY = '/lab/workspace';

/**
 * HAProxy reads the student's workspace at /etc/haproxy (the tutorial's path) and the PEM bundles at
 * /etc/haproxy/certs. It needs no capabilities: its default route is the proxy network's gateway,
 * which is the VRRP address on the active director. LAB_OFFICE_NET tells a config the office network
 * (`acl office src "${LAB_OFFICE_NET}"`), since lab picks subnets per machine. The whole workspace is
 * also mounted read-only at /lab/workspace, so scripts a student writes there (exp6's runbook.sh, run
 * in each HAProxy node against its runtime socket) are where `lab guide` and the grader run them.
 */
export const haproxy: NodeKind = {
  role: 'haproxy',
  count: 2,
  name: (i) => `haproxy${i + 1}`,
  wave: 3,
  order: 3,
  networks: ['proxy', 'web'],
  hostNumber: (i) => 11 + i,
  image: 'haproxy',
  configSources: (ctx) => [path.join(ctx.workspaceDir, 'haproxy'), path.join(ctx.certsDir, 'haproxy')],
  container: (ctx) => ({
    env: { LAB_OFFICE_NET: ctx.subnets.office, LAB_CLIENT_NET: ctx.subnets.edge },
    mounts: [
      { source: path.join(ctx.workspaceDir, 'haproxy'), target: '/etc/haproxy', readOnly: true },
      { source: path.join(ctx.certsDir, 'haproxy'), target: '/etc/haproxy/certs', readOnly: true },
      { source: ctx.workspaceDir, target: WORKSPACE_IN_HAPROXY, readOnly: true },
    ],
    capAdd: [],
    sysctls: {},
    extraHosts: [],
    memoryBytes: 64 * MiB,
  }),
  service: { validator: () => haproxyValidator, reload: reloadHaproxy },
  ready: ['sh', '-c', `echo "show proc" | socat -t 1 - UNIX-CONNECT:${MASTER_SOCKET} | grep -q worker`],
  graph: { tier: '七层负载均衡 HAProxy', to: [{ role: 'nginx', text: '七层转发' }] },
};
