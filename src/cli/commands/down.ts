import type { Command } from 'commander';
import type { Act } from '../action.js';
import { checkLabName, type Deps } from '../deps.js';
import { note, printJson, say } from '../output.js';

export interface Options {
  all: boolean;
  force: boolean;
  json: boolean;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { downLab } = await import('../../lifecycle/down.js');
  const r = await downLab(deps.runtime, o.all ? undefined : checkLabName(deps.labName), { force: o.force, onWait: (l) => note(deps.io, l) });
  if (o.json) printJson(deps.io, r);
  else if (r.containers.length + r.networks.length === 0) say(deps.io, `Nothing to remove${o.all ? '' : ` for lab "${deps.labName}"`}.`);
  else say(deps.io, `Removed ${r.containers.length} container(s) and ${r.networks.length} network(s).`);
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('down')
    .description("remove the lab's containers and networks (found by label; nothing else is touched)")
    .option('--all', 'remove every lab on this engine, whatever its name')
    .option('--force', "do not wait for another command's lock on the lab (use when its process is gone)")
    .option('--json', 'print what was removed as JSON')
    .action((f: { all?: boolean; force?: boolean; json?: boolean }, cmd: Command) => act(cmd, run, { all: !!f.all, force: !!f.force, json: !!f.json }));
}
