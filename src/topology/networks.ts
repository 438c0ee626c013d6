// The lab's networks, one per tier boundary as in the tutorial's diagram, plus an "office" network: a
// second place clients come from, so the grader can send traffic from two source networks (ACLs by
// `src`, per-source rate limits, source hashing).
export const NETWORK_KEYS = ['edge', 'proxy', 'web', 'app', 'office'] as const;
export type NetworkKey = (typeof NETWORK_KEYS)[number];

export interface NetworkDef {
  purpose: string;
  /** No route out of the lab from this network. */
  internal: boolean;
  /**
   * The network's gateway is an address the active director holds by VRRP (LVS-NAT style): replies
   * from HAProxy (proxy) and traffic from the office to the VIP go through the director, so client
   * addresses survive to HAProxy without capabilities there. The bridge then holds no address.
   */
  vrrpGateway: boolean;
}

export const NETWORKS: Record<NetworkKey, NetworkDef> = {
  edge: { purpose: 'client ↔ VIP (directors)', internal: false, vrrpGateway: false },
  proxy: { purpose: 'directors ↔ HAProxy', internal: false, vrrpGateway: true },
  web: { purpose: 'HAProxy ↔ Nginx', internal: true, vrrpGateway: false },
  app: { purpose: 'Nginx ↔ app servers', internal: true, vrrpGateway: false },
  office: { purpose: 'office clients → VIP through the directors', internal: false, vrrpGateway: true },
};

export function networkName(labName: string, key: NetworkKey): string {
  return `${labName}-${key}`;
}

/** Host numbers of the network-level addresses inside each /24 (nodes' own numbers live in their kinds). */
export const NET_ADDR = {
  /** The host bridge's address on networks with an ordinary gateway. */
  bridgeGateway: 1,
  /** The VIP on the edge network. */
  vip: 100,
  /** The directors' VRRP gateway address on networks with `vrrpGateway`. */
  vrrpGateway: 254,
} as const;
