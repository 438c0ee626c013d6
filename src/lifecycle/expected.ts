// What a lab should consist of, whatever is left of it: every node of every kind and every network.
// `lab status` reports what is missing (a container removed with `docker rm -f`, a network deleted)
// and `lab up` repairs it.
import { KINDS } from '../topology/kinds/index.js';
import { namesOf } from '../topology/kinds/kind.js';
import { NETWORK_KEYS, networkName } from '../topology/networks.js';
import type { LabView } from './observe.js';

export function expectedNames(view: Pick<LabView, 'name'>): { nodes: string[]; networks: string[] } {
  return { nodes: KINDS.flatMap(namesOf), networks: NETWORK_KEYS.map((k) => networkName(view.name, k)) };
}
