// Every container and network lab creates carries these labels; `down`, `status` and the planner
// find a lab by them alone and never touch anything without them.
import type { Labels } from '../runtime/types.js';

export const LABEL = {
  name: 'lab.name',
  node: 'lab.node',
  role: 'lab.role',
  experiment: 'lab.experiment',
  configHash: 'lab.config-hash',
  version: 'lab.version',
  network: 'lab.network',
  forwarding: 'lab.forwarding',
} as const;

/** Selector for everything belonging to one lab. */
export function labSelector(labName: string): Labels {
  return { [LABEL.name]: labName };
}

/** Selector for everything any lab created (for `lab down --all`). */
export const anyLab: Labels = { [LABEL.name]: '' };
