// The lab's four networks, one per tier boundary, as in the tutorial's diagram.
export const NETWORK_KEYS = ['edge', 'proxy', 'web', 'app'] as const;
export type NetworkKey = (typeof NETWORK_KEYS)[number];

export const NETWORK_PURPOSE: Record<NetworkKey, string> = {
  edge: 'client ↔ VIP (directors)',
  proxy: 'directors ↔ HAProxy',
  web: 'HAProxy ↔ Nginx',
  app: 'Nginx ↔ app servers',
};

export function networkName(labName: string, key: NetworkKey): string {
  return `${labName}-${key}`;
}

/**
 * Host numbers inside each /24. The proxy network's gateway is the second VRRP address held by the
 * active director (LVS-NAT style): HAProxy replies go back through the director, so the client's
 * own address survives to HAProxy and the app (errata 9) without giving HAProxy NET_ADMIN.
 */
export const ADDR = {
  edgeGateway: 1,
  vip: 100,
  proxyGatewayVip: 254,
  client: 10,
  director: [2, 3],
  haproxy: [11, 12],
  nginx: [21, 22, 23],
  app: [31, 32, 33],
} as const;
