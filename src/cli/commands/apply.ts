import type { Command } from 'commander';
import { LabError } from '../../util/errors.js';
import type { ApplyResult } from '../../apply/apply.js';
import type { Act } from '../action.js';
import type { Deps, Io } from '../deps.js';
import { note, say } from '../output.js';

export interface Options {
  experiment?: string;
  workspace?: string;
  certs?: string;
  force: boolean;
}

/** Prints what apply did; throws the (first) failure so the CLI exits 1 with its hint. */
export function reportApply(io: Io, r: ApplyResult): void {
  const s = io.style;
  const failures: Error[] = [];
  for (const o of r.outcomes) {
    if (o.status === 'unchanged') say(io, `${s.dim('·')} ${o.role}: unchanged`);
    else if (o.status === 'reloaded') say(io, `${s.green('✓')} ${o.role}: ${o.tool} ok, reloaded ${o.nodes.join(', ')}`);
    else {
      say(io, `${s.red('✗')} ${o.role}: ${o.status === 'invalid' ? `${o.tool} rejected the config, nothing reloaded` : 'reload failed'}`);
      failures.push(o.error!);
    }
  }
  for (const w of r.warnings.slice(0, 5)) note(io, io.errStyle.yellow(`warning: ${r.target.workspaceRoot}/${w.file}:${w.line}: ${w.message} (errata ${w.errata}; fix: ${w.fix})`));
  if (!failures.length) return;
  for (const e of failures.slice(0, -1)) {
    note(io, `${io.errStyle.red('error:')} ${e.message}`);
    if (e instanceof LabError && e.hint) note(io, io.errStyle.dim(`hint: ${e.hint}`));
  }
  throw failures[failures.length - 1];
}

/** Repairs stale mounts (a replaced workspace folder), then validates and reloads what changed. */
export async function applyLab(o: Options, deps: Deps): Promise<ApplyResult> {
  const { observeLab } = await import('../../lifecycle/observe.js');
  const { repairStaleMounts } = await import('../../lifecycle/repair.js');
  const { resolveTarget, applyTarget } = await import('../../apply/apply.js');
  let view = await observeLab(deps.runtime, deps.labName);
  resolveTarget(view, { labName: deps.labName, cwd: deps.cwd, experiment: o.experiment, workspace: o.workspace, certsDir: o.certs });
  const repaired = await repairStaleMounts(view, deps);
  if (repaired) {
    note(deps.io, repaired);
    view = await observeLab(deps.runtime, deps.labName);
  }
  const t = resolveTarget(view, { labName: deps.labName, cwd: deps.cwd, experiment: o.experiment, workspace: o.workspace, certsDir: o.certs });
  return applyTarget(deps.runtime, t, { cwd: deps.cwd, force: o.force });
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const r = await applyLab(o, deps);
  reportApply(deps.io, r);
  if (r.outcomes.every((x) => x.status === 'unchanged')) say(deps.io, 'Nothing changed since the last apply (use --force to reload anyway).');
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('apply')
    .description('validate changed configs in their containers (haproxy -c, nginx -t) and reload them gracefully')
    .argument('[exp]', 'experiment (default: the running one)')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-f, --force', 'validate and reload even when nothing changed')
    .action((exp: string | undefined, f: { workspace?: string; certs?: string; force?: boolean }, cmd: Command) =>
      act(cmd, run, { experiment: exp, workspace: f.workspace, certs: f.certs, force: !!f.force }),
    );
}
