import type { Command } from 'commander';
import { LabError } from '../../util/errors.js';
import { realDeps } from '../deps.js';
import { note, say, style } from '../output.js';
import type { ApplyResult } from '../../services/apply.js';

/** Prints what apply did; throws the (first) failure so the CLI exits 1 with its hint. */
export function reportApply(r: ApplyResult): void {
  const failures: Error[] = [];
  for (const o of r.outcomes) {
    if (o.status === 'unchanged') say(`${style.dim('·')} ${o.role}: unchanged`);
    else if (o.status === 'reloaded') say(`${style.green('✓')} ${o.role}: ${o.tool} ok, reloaded ${o.nodes.join(', ')}`);
    else {
      say(`${style.red('✗')} ${o.role}: ${o.status === 'invalid' ? `${o.tool} rejected the config, nothing reloaded` : 'reload failed'}`);
      failures.push(o.error!);
    }
  }
  for (const w of r.warnings.slice(0, 5)) note(style.yellow(`warning: ${r.target.workspaceRoot}/${w.file}:${w.line}: ${w.message} (errata ${w.errata}; fix: ${w.fix})`));
  if (!failures.length) return;
  for (const e of failures.slice(0, -1)) {
    note(`${style.red('error:')} ${e.message}`);
    if (e instanceof LabError && e.hint) note(style.dim(`hint: ${e.hint}`));
  }
  throw failures[failures.length - 1];
}

export function define(program: Command): void {
  program
    .command('apply')
    .description('validate changed configs in their containers (haproxy -c, nginx -t) and reload them gracefully')
    .argument('[exp]', 'experiment (default: the running one)')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-f, --force', 'validate and reload even when nothing changed')
    .action(async (exp: string | undefined, opts: { workspace?: string; certs?: string; force?: boolean }, cmd: Command) => {
      const deps = await realDeps(cmd);
      const { applyWorkspace } = await import('../../services/apply.js');
      const r = await applyWorkspace(deps.runtime, { labName: deps.labName, cwd: deps.cwd, experiment: exp, workspace: opts.workspace, certsDir: opts.certs, force: opts.force });
      reportApply(r);
      if (r.outcomes.every((o) => o.status === 'unchanged')) say('Nothing changed since the last apply (use --force to reload anyway).');
    });
}
