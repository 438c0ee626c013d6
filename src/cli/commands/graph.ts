import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { say } from '../output.js';

export interface Options {
  experiment?: string;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { loadLab } = await import('../../labs/load.js');
  const { mermaid } = await import('../../topology/graph.js');
  let live: { vip?: string; forwarding?: string; addresses?: Record<string, string>; experiment?: string } = {};
  try {
    const { observeLab } = await import('../../lifecycle/observe.js');
    const v = await observeLab(deps.runtime, deps.labName);
    if (v.nodes.length && (!o.experiment || v.experiment === o.experiment)) {
      live = {
        experiment: v.experiment ?? undefined,
        vip: v.vip ?? undefined,
        forwarding: v.forwarding ?? undefined,
        addresses: Object.fromEntries(v.nodes.map((n) => [n.node, Object.values(n.addresses).join(' / ')])),
      };
    }
  } catch {
    // No engine: the static diagram is still useful.
  }
  const lab = loadLab(o.experiment ?? live.experiment ?? 'exp2'); // an unknown experiment is an error, not an empty graph
  say(deps.io, mermaid({ ...live, experiment: lab.id, title: lab.def.title.en, ports: lab.def.topology.ports }));
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('graph')
    .description('print the topology as a Mermaid diagram (with live addresses when the lab is up)')
    .argument('[exp]', 'experiment (default: the running one, else exp2)')
    .action((exp: string | undefined, _f: unknown, cmd: Command) => act(cmd, run, { experiment: exp }));
}
