import { CLIENT_READY, clientPart } from './client.js';
import type { NodeKind } from './kind.js';

/** Extra source addresses the office node holds (host numbers), for grading per-source behaviour. */
export const OFFICE_EXTRA_ADDRESSES = Array.from({ length: 10 }, (_, i) => 50 + i);

/**
 * A second vantage point: a client in another network (the tutorial's "allowed office network"),
 * reaching the VIP through the active director. It holds ten extra addresses so the grader can tell
 * a hash of the source address from any other rule; that is the one reason it has NET_ADMIN (as the
 * client has, for its neighbours: kinds/client.ts).
 */
export const office: NodeKind = {
  role: 'office',
  count: 1,
  name: () => 'office',
  wave: 1, // resolves nothing at start
  order: 1,
  networks: ['office'],
  hostNumber: () => 10,
  image: 'client',
  ready: CLIENT_READY,
  container: (ctx) => clientPart(ctx, {}, { subnet: ctx.subnets.office, hosts: OFFICE_EXTRA_ADDRESSES }),
  graph: { tier: '办公网 office', to: [{ role: 'director', text: 'HTTP/HTTPS' }] },
};
