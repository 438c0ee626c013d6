import type { Command } from 'commander';
import { ChecksFailedError } from '../../util/errors.js';
import { note, printJson, say, style } from '../output.js';

export function define(program: Command): void {
  program
    .command('validate')
    .description('check an experiment (lab.yaml or its folder): schema, start/ and solution/, steps')
    .argument('<path>', 'e.g. labs/exp2 or labs/exp2/lab.yaml')
    .option('--json', 'print the problems as JSON')
    .action(async (target: string, opts: { json?: boolean }) => {
      const { validateLabPath } = await import('../../labs/validate.js');
      const r = validateLabPath(target);
      if (opts.json) {
        printJson({ file: r.file, ok: r.problems.length === 0, problems: r.problems });
        if (r.problems.length) process.exitCode = 1;
        return;
      }
      if (!r.problems.length) {
        say(`${style.green('ok')} ${r.file}${r.def ? ` (${r.def.id}: ${r.def.steps.length} steps, ${r.def.checks.length} checks)` : ''}`);
        return;
      }
      for (const p of r.problems) {
        note(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
        note(style.dim(`  hint: ${p.hint}`));
      }
      throw new ChecksFailedError(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${r.file}`);
    });
}
