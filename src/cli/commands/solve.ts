import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { replaceAndApply, type Options } from './reset.js';

export const run = (o: Options, deps: Deps) => replaceAndApply('solve', o, deps);

export function define(program: Command, act: Act): void {
  program
    .command('solve')
    .description('back the workspace up, then write the reference solution into it and apply it')
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used, else ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-y, --yes', 'do not ask')
    .action((exp: string, f: { workspace?: string; certs?: string; yes?: boolean }, cmd: Command) =>
      act(cmd, run, { experiment: exp, workspace: f.workspace, certs: f.certs, yes: !!f.yes }),
    );
}
