// `lab up` must not recreate a node over a config its own tool rejects: the workspace is mounted
// live, so a new container would start on the broken file, while the running one still serves the
// last good config (HAProxy and Nginx only read it at start and on reload). Before any recreation,
// the node's config is validated in a throwaway container with the new container's image and mounts,
// on the lab network its backends live on (haproxy -c and nginx -t resolve server names), or, when
// that network does not exist yet, in the running container.
//
// Only configs students write are guarded (a kind's service validator for this experiment): the files
// lab generates itself (keepalived.conf with its @IF placeholders) are resolved by the node's own
// entrypoint at start, and validating them raw here would reject every good one.
import type { Runtime } from '../runtime/types.js';
import { kindOf } from '../topology/kinds/index.js';
import type { Plan } from '../topology/plan.js';
import { FileError } from '../util/errors.js';
import { describeFailure, failureToError, validateInContainer, type PathMap, type ValidationFailure } from './validate.js';

export interface GuardOptions {
  experiment: string;
  keepalived: 'lab' | 'workspace';
  /** Labels for the throwaway validation container (the lab's, so `lab down` sweeps a leftover). */
  labels: Record<string, string>;
  /** Names of lab networks that exist and survive the plan. */
  keptNetworks: string[];
  /** Containers running now. */
  running: string[];
  workspaceRoot: string;
  extra?: PathMap;
}

/** Nodes the plan removes and creates again (not brand-new ones: those have no good config to keep). */
export function recreations(plan: Plan) {
  const removed = new Set(plan.steps.flatMap((s) => (s.op === 'remove-container' ? [s.name] : [])));
  return plan.steps.flatMap((s) => (s.op === 'create-container' && removed.has(s.node.container.name) ? [s.node] : []));
}

export async function assertConfigsBeforeRecreate(runtime: Runtime, plan: Plan, opts: GuardOptions): Promise<void> {
  const checked = new Set<string>();
  for (const node of recreations(plan)) {
    // A node that is not running serves no good config to keep (stopped, or created by an interrupted
    // `lab up` and never started, its upstreams perhaps not created yet): recreate it as planned.
    if (!opts.running.includes(node.container.name)) continue;
    const v = kindOf(node.role).service?.validator({ experiment: opts.experiment, keepalived: opts.keepalived });
    if (!v) continue;
    // Nodes of a role with the same image, mounts and environment read the same files: validate once.
    const key = `${node.container.image}|${JSON.stringify(node.container.mounts)}|${JSON.stringify(node.container.env)}`;
    if (checked.has(key)) continue;
    checked.add(key);
    let failure: ValidationFailure | undefined;
    // The last endpoint is the network a node's upstreams live on (haproxy → web, nginx → app).
    const net = [...node.container.endpoints].reverse().find((e) => opts.keptNetworks.includes(e.network))?.network;
    if (net) {
      const r = await runtime.run({ image: node.container.image, cmd: v.cmd, mounts: node.container.mounts, env: node.container.env, network: net, labels: { ...opts.labels, 'lab.probe': 'validate' } });
      if (r.exitCode !== 0) failure = describeFailure(`${r.stdout}${r.stderr}`.trim(), v, opts.workspaceRoot, opts.extra);
    } else {
      failure = await validateInContainer(runtime, node.container.name, v, opts.workspaceRoot, opts.extra);
    }
    if (failure) {
      const err: FileError = failureToError(
        failure,
        v,
        opts.workspaceRoot,
        `lab up would recreate ${node.node} on this config, which ${v.tool} rejects; nothing was recreated, and the running ${node.role} keeps its last good config. Fix the file (\`lab apply\` shows the error and the errata fix), or \`lab reset\`.`,
      );
      throw err;
    }
  }
}
