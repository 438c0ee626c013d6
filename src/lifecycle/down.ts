import type { Runtime } from '../runtime/types.js';
import { anyLab, LABEL, labSelector } from '../topology/labels.js';
import { acquireLabLock, lockName } from './lock.js';
import { EngineStuckError } from '../util/errors.js';

export interface DownResult {
  containers: string[];
  networks: string[];
}

/**
 * Removes containers, then networks, carrying the lab's labels; nothing else is touched. Waits for a
 * running `lab up` of the same lab (its lock) unless `force`; the lock itself goes last.
 */
export async function downLab(runtime: Runtime, labName: string | undefined, opts: { force?: boolean; onWait?: (line: string) => void } = {}): Promise<DownResult> {
  const selector = labName ? labSelector(labName) : anyLab;
  let containers = await runtime.listContainers(selector);
  const someImage = containers.find((c) => !c.labels[LABEL.lock])?.image ?? containers[0]?.image;
  const lock = labName && !opts.force && someImage ? await acquireLabLock(runtime, labName, { operation: 'down', image: someImage, onWait: opts.onWait }) : undefined;
  try {
    containers = await runtime.listContainers(selector);
    const mine = labName ? lockName(labName) : undefined;
    const nodes = containers.filter((c) => c.name !== mine);
    // One at a time: Docker 20.10 (Debian's) sometimes loses count of a network's endpoints when many
    // containers on it are torn down at once, and then refuses to remove the network ("has active
    // endpoints", none listed) until dockerd restarts. Seen about once in fifteen parallel downs in the
    // e2e runs; one at a time costs nothing measurable (2.3 s for twelve, about what the parallel took).
    // A container the engine is stuck on does not stop the others; the networks wait for a down after the
    // engine's restart (they would still have its endpoint).
    const stuck: EngineStuckError[] = [];
    for (const c of nodes) {
      try {
        await runtime.removeContainer(c.name);
      } catch (e) {
        if (!(e instanceof EngineStuckError)) throw e;
        stuck.push(e);
      }
    }
    if (stuck.length) {
      const others = nodes.length - stuck.length;
      throw new EngineStuckError(`${stuck.map((e) => e.message).join('; ')}; lab removed the other ${others} container(s) and left the networks`, {
        hint: stuck[0]!.hint,
        cause: stuck[0],
      });
    }
    const networks = await runtime.listNetworks(selector);
    // By ID: the name is ambiguous when two networks share it (see topology/plan.ts).
    for (const n of networks) await runtime.removeNetwork(n.id);
    return { containers: nodes.filter((c) => !c.labels[LABEL.lock]).map((c) => c.name), networks: networks.map((n) => n.name) };
  } finally {
    await lock?.release();
    if (opts.force && labName) await runtime.removeContainer(lockName(labName));
  }
}
