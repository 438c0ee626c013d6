// Every container and network lab creates carries these labels; `down`, `status` and the planner
// find a lab by them alone and never touch anything without them. The engine is the record of what a
// lab is: which experiment it runs, and which project folder, workspace and certificates it serves.
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
  /** The project folder whose .lab/<name>/ holds the lab's state (absolute). */
  root: 'lab.root',
  /** The workspace and certificate folders the nodes mount (absolute). */
  workspace: 'lab.workspace',
  certs: 'lab.certs',
  /** inodes of the host folders a container mounts, when it was created (see topology/build.ts). */
  mounts: 'lab.mounts',
  /** The machine that made the lab (a lab on a remote engine may come from anywhere). */
  host: 'lab.host',
  /** The engine-side lock of a lab (see lifecycle/lock.ts). */
  lock: 'lab.lock',
} as const;

/** Selector for everything belonging to one lab. */
export function labSelector(labName: string): Labels {
  return { [LABEL.name]: labName };
}

/** Selector for everything any lab created (for `lab down --all`). */
export const anyLab: Labels = { [LABEL.name]: '' };
