import type { Command } from 'commander';
import { replaceAndApply, type ReplaceCliOptions } from './reset.js';

export function define(program: Command): void {
  program
    .command('solve')
    .description('back the workspace up, then write the reference solution into it and apply it')
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used, else ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-y, --yes', 'do not ask')
    .action((exp: string, opts: ReplaceCliOptions, cmd: Command) => replaceAndApply('solve', exp, opts, cmd));
}
