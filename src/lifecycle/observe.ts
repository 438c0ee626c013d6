import type { Runtime } from '../runtime/types.js';
import { labSelector } from '../topology/labels.js';
import type { Observed } from '../topology/plan.js';
import { readApplied } from './state.js';

/** Everything the planner needs to know about a lab, found by its labels. */
export async function observe(runtime: Runtime, lab: string, cwd: string): Promise<Observed & { allNetworks: Observed['networks'] }> {
  const [allNetworks, containers] = await Promise.all([runtime.listNetworks(), runtime.listContainers(labSelector(lab))]);
  return {
    allNetworks,
    networks: allNetworks.filter((n) => n.labels['lab.name'] === lab),
    containers,
    applied: readApplied(cwd, lab),
  };
}
