import type { Runtime } from '../../runtime/types.js';
import { LABEL, labSelector } from '../../topology/labels.js';
import { UsageError } from '../../util/errors.js';

/** Resolves a node name (e.g. haproxy1) of a lab to its running container name, or explains. */
export async function containerOf(runtime: Runtime, labName: string, node: string): Promise<string> {
  const containers = await runtime.listContainers(labSelector(labName));
  if (containers.length === 0) {
    throw new UsageError(`lab "${labName}" is not running`, { hint: 'Start it with `lab up exp2` (or pass --name for another lab).' });
  }
  const match = containers.find((c) => c.labels[LABEL.node] === node);
  if (!match) {
    const names = containers.map((c) => c.labels[LABEL.node]).filter(Boolean).sort();
    throw new UsageError(`no node "${node}" in lab "${labName}"`, { hint: `Nodes are: ${names.join(', ')}.` });
  }
  return match.name;
}
