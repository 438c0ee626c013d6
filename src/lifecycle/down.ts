import type { Runtime } from '../runtime/types.js';
import { anyLab, labSelector } from '../topology/labels.js';

export interface DownResult {
  containers: string[];
  networks: string[];
}

/** Removes containers, then networks, carrying the lab's labels; nothing else is touched. */
export async function downLab(runtime: Runtime, labName: string | undefined): Promise<DownResult> {
  const selector = labName ? labSelector(labName) : anyLab;
  const containers = await runtime.listContainers(selector);
  await Promise.all(containers.map((c) => runtime.removeContainer(c.name)));
  const networks = await runtime.listNetworks(selector);
  for (const n of networks) await runtime.removeNetwork(n.name);
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.name) };
}
