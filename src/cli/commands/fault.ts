import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { say } from '../output.js';

export interface Options {
  node: string;
  fault: string[];
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { parseFault, injectFault } = await import('../../fault/fault.js');
  const { observeLab } = await import('../../lifecycle/observe.js');
  const fault = parseFault(o.fault);
  say(deps.io, await injectFault(deps.runtime, await observeLab(deps.runtime, deps.labName), o.node, fault));
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('fault')
    .description('break a node on purpose: stop|start|pause|unpause any node; unhealthy|healthy|slow <ms> an app (its /health fails, or it answers slowly, while it keeps serving)')
    .argument('<node>', 'node name, e.g. nginx2 or app1')
    .argument('<fault...>', 'stop, start, pause, unpause, unhealthy, healthy, or slow <ms>')
    .action((node: string, fault: string[], _f: unknown, cmd: Command) => act(cmd, run, { node, fault }));
}
