// `lab fault <node> <fault>`: break a node on purpose, for exercises, drills and the graders that must
// see a server die or turn unhealthy. Engine faults (stop, start, pause, unpause) work on any node;
// app faults (unhealthy, healthy, slow) change how the app answers while it keeps running (the app
// reads /run/lab-fault on every request, see templates/images/app/app.py).
import type { Runtime } from '../runtime/types.js';
import type { LabView } from '../lifecycle/observe.js';
import { nodeOf } from '../lifecycle/observe.js';
import { UsageError } from '../util/errors.js';

export const FAULTS = ['stop', 'start', 'pause', 'unpause', 'unhealthy', 'healthy', 'slow'] as const;
export type FaultName = (typeof FAULTS)[number];

export interface Fault {
  name: FaultName;
  /** slow: milliseconds. */
  ms?: number;
}

export const APP_FAULT_FILE = '/run/lab-fault';

export function parseFault(words: string[]): Fault {
  const [name, arg] = words;
  if (!name || !(FAULTS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown fault "${name ?? ''}"`, { hint: `Faults are: ${FAULTS.join(', ')} (slow takes milliseconds, e.g. \`lab fault app2 slow 500\`).` });
  }
  if (name === 'slow') {
    const ms = Number(arg);
    if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new UsageError(`slow ${arg ?? ''}: expected milliseconds (0..60000)`, { hint: 'e.g. `lab fault app2 slow 500`' });
    return { name, ms };
  }
  if (arg !== undefined) throw new UsageError(`${name} takes no argument`, { hint: `e.g. \`lab fault app2 ${name}\`` });
  return { name: name as FaultName };
}

/** Sets (or with `healthy`, clears) an app fault in an app container; the app reads it on every request. */
export async function setAppFault(runtime: Runtime, container: string, fault: Fault): Promise<{ ok: boolean; error: string }> {
  const content = fault.name === 'unhealthy' ? 'unhealthy' : fault.name === 'slow' ? `slow ${fault.ms}` : '';
  const r = await runtime.exec(container, ['sh', '-c', content ? `printf '%s\\n' '${content}' > ${APP_FAULT_FILE}` : `rm -f ${APP_FAULT_FILE}`], { timeoutMs: 5000 });
  return { ok: r.exitCode === 0, error: r.stderr.trim() };
}

/** What a fault did, in one line. */
export async function injectFault(runtime: Runtime, view: LabView, node: string, fault: Fault): Promise<string> {
  const n = nodeOf(view, node);
  switch (fault.name) {
    case 'stop':
      // A short timeout: the entrypoints handle SIGTERM, and a drill wants the failure now.
      await runtime.stopContainer(n.container, 2);
      return `${node} stopped`;
    case 'start':
      if (n.state === 'paused') await runtime.unpauseContainer(n.container);
      else await runtime.startContainer(n.container);
      return `${node} started`;
    case 'pause':
      await runtime.pauseContainer(n.container);
      return `${node} paused (its processes are frozen; connections to it hang)`;
    case 'unpause':
      await runtime.unpauseContainer(n.container);
      return `${node} running again`;
    default: {
      if (n.role !== 'app') {
        throw new UsageError(`${fault.name} is a fault of app nodes; ${node} is ${n.role === 'app' ? 'an' : 'a'} ${n.role} node`, {
          hint: `Use it on app1..app3, or stop/pause ${node} instead.`,
        });
      }
      const r = await setAppFault(runtime, n.container, fault);
      if (!r.ok) throw new UsageError(`could not set the fault in ${node}: ${r.error}`, { hint: `Is ${node} running? See \`lab status\`.` });
      return fault.name === 'unhealthy'
        ? `${node}: GET /health now answers 503; every other path still answers 200`
        : fault.name === 'slow'
          ? `${node}: every answer now waits ${fault.ms} ms`
          : `${node}: healthy again (no fault)`;
    }
  }
}
