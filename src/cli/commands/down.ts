import type { Command } from 'commander';
import { checkLabName, realDeps } from '../deps.js';
import { printJson, say } from '../output.js';

export function define(program: Command): void {
  program
    .command('down')
    .description("remove the lab's containers and networks (found by label; nothing else is touched)")
    .option('--all', 'remove every lab on this engine, whatever its name')
    .option('--json', 'print what was removed as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      const deps = await realDeps(cmd);
      const { downLab } = await import('../../lifecycle/down.js');
      const r = await downLab(deps.runtime, opts.all ? undefined : checkLabName(deps.labName));
      if (opts.json) return printJson(r);
      if (r.containers.length + r.networks.length === 0) say(`Nothing to remove${opts.all ? '' : ` for lab "${deps.labName}"`}.`);
      else say(`Removed ${r.containers.length} container(s) and ${r.networks.length} network(s).`);
    });
}
