import type { Command } from 'commander';
import { ChecksFailedError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, printJson, say } from '../output.js';

export interface Options {
  path: string;
  json: boolean;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { validateLabPath } = await import('../../labs/validate.js');
  const { io } = deps;
  const r = validateLabPath(o.path, deps.cwd);
  if (o.json) {
    printJson(io, { file: r.file, ok: r.problems.length === 0, problems: r.problems });
    return r.problems.length ? 1 : 0;
  }
  if (!r.problems.length) {
    say(io, `${io.style.green('ok')} ${r.file}${r.def ? ` (${r.def.id}: ${r.def.steps.length} steps, ${r.def.checks.length} checks)` : ''}`);
    return 0;
  }
  for (const p of r.problems) {
    note(io, `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    note(io, io.errStyle.dim(`  hint: ${p.hint}`));
  }
  throw new ChecksFailedError(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${r.file}`);
}

export function define(program: Command, act: Act): void {
  program
    .command('validate')
    .description('check an experiment (lab.yaml or its folder): schema, start/ and solution/, steps')
    .argument('<path>', 'e.g. labs/exp2 or labs/exp2/lab.yaml')
    .option('--json', 'print the problems as JSON')
    .action((target: string, f: { json?: boolean }, cmd: Command) => act(cmd, run, { path: target, json: !!f.json }));
}
