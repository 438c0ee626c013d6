// Chooses a subnet for each lab network: the lab's existing ones when it is up, a requested one when
// given, otherwise the first free /24s in 172.28.0.0/14 that overlap no Docker network on this engine.
import type { NetworkInfo, Runtime } from '../runtime/types.js';
import { SubnetConflictError } from '../util/errors.js';
import { formatCidr, overlaps, parseCidr, size, type Cidr } from './cidr.js';
import { LABEL } from './labels.js';
import { NETWORK_KEYS, networkName, type NetworkKey } from './networks.js';

export const SUBNET_POOL = '172.28.0.0/14';

export interface SubnetRequest {
  /** Subnets the user asked for, by network key. */
  requested?: Partial<Record<NetworkKey, string>>;
  /** The subnets the lab's nodes are on now (observe.ts), where two networks share a name. */
  current?: Partial<Record<NetworkKey, string>>;
}

/** Pure: picks subnets given every network on the engine. */
export function chooseSubnets(labName: string, all: NetworkInfo[], req: SubnetRequest = {}): Record<NetworkKey, string> {
  const ours = (n: NetworkInfo) => n.labels[LABEL.name] === labName;
  const taken: { cidr: Cidr; by: string }[] = [];
  for (const n of all) {
    if (ours(n)) continue;
    for (const s of n.subnets) {
      if (s.includes(':')) continue; // IPv6
      taken.push({ cidr: parseCidr(s), by: n.name });
    }
  }
  const result = {} as Record<NetworkKey, string>;
  // Keep the subnets a running lab already has: changing them would recreate everything.
  for (const key of NETWORK_KEYS) {
    const named = all.filter((n) => ours(n) && n.name === networkName(labName, key));
    const existing = named.find((n) => n.subnets[0] === req.current?.[key]) ?? named[0];
    const wanted = req.requested?.[key];
    if (wanted) {
      const cidr = parseCidr(wanted);
      const clash = taken.find((t) => overlaps(t.cidr, cidr));
      if (clash) {
        throw new SubnetConflictError(`subnet ${formatCidr(cidr)} for the ${key} network overlaps ${formatCidr(clash.cidr)} of Docker network "${clash.by}"`, {
          hint: `Choose another subnet (e.g. leave --subnet out and lab picks a free one), or remove network "${clash.by}" if it is yours.`,
        });
      }
      result[key] = formatCidr(cidr);
    } else if (existing?.subnets[0]) {
      result[key] = existing.subnets[0];
    }
    if (result[key]) taken.push({ cidr: parseCidr(result[key]), by: networkName(labName, key) });
  }
  const pool = parseCidr(SUBNET_POOL);
  let next = pool.base;
  for (const key of NETWORK_KEYS) {
    if (result[key]) continue;
    for (;;) {
      if (next >= pool.base + size(pool)) {
        throw new SubnetConflictError(`no free /24 left in ${SUBNET_POOL} for the ${key} network`, {
          hint: 'Remove unused Docker networks (`docker network prune`, `lab down --all`) or pass --subnet.',
        });
      }
      const candidate: Cidr = { base: next, bits: 24 };
      next += 256;
      if (!taken.some((t) => overlaps(t.cidr, candidate))) {
        result[key] = formatCidr(candidate);
        taken.push({ cidr: candidate, by: networkName(labName, key) });
        break;
      }
    }
  }
  return result;
}

export interface SubnetLine {
  network: string;
  subnet: string;
  conflictsWith?: string;
}

/** For `lab doctor`: the subnets this lab has or would get, and any overlap between lab networks and others. */
export async function subnetReport(runtime: Runtime, labName: string): Promise<SubnetLine[]> {
  const all = await runtime.listNetworks();
  const lines: SubnetLine[] = [];
  const chosen = chooseSubnets(labName, all);
  for (const key of NETWORK_KEYS) {
    const name = networkName(labName, key);
    const cidr = parseCidr(chosen[key]);
    const clash = all.find((n) => n.name !== name && n.subnets.some((s) => !s.includes(':') && overlaps(parseCidr(s), cidr)));
    lines.push({ network: name, subnet: chosen[key], ...(clash ? { conflictsWith: clash.name } : {}) });
  }
  return lines;
}
