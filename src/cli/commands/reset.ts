import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, say } from '../output.js';
import { applyLab, reportApply } from './apply.js';

export interface Options {
  experiment: string;
  workspace?: string;
  certs?: string;
  yes: boolean;
}

/** Shared by reset and solve: resolve, confirm, back up and rewrite, then apply when the lab runs it. */
export async function replaceAndApply(kind: 'reset' | 'solve', o: Options, deps: Deps): Promise<number> {
  const { io } = deps;
  const { observeLab } = await import('../../lifecycle/observe.js');
  const { resolveTarget } = await import('../../apply/apply.js');
  const { resetWorkspace, solveWorkspace } = await import('../../workspace/replace.js');
  // The engine is optional here: reset/solve work on the files even when no lab runs.
  const view = await observeLab(deps.runtime, deps.labName).catch(() => undefined);
  const running = !!view?.nodes.some((n) => n.state === 'running') && view.experiment === o.experiment;
  const t = resolveTarget(running ? view : undefined, { labName: deps.labName, cwd: deps.cwd, experiment: o.experiment, workspace: o.workspace, certsDir: o.certs, allowStopped: true });
  const what = kind === 'reset' ? 'the start files' : 'the reference solution';
  if (!o.yes && io.stdinTTY && io.stderrTTY) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm({ message: `Replace ${t.workspaceRoot} with ${what}? Your files are backed up first.`, default: true });
    if (!ok) throw new UsageError(`${kind} cancelled`, { hint: 'Nothing was changed.' });
  }
  const { readSecrets } = await import('../../state/secrets.js');
  const pw = readSecrets(deps.cwd, deps.labName).statsPassword;
  const r = kind === 'reset' ? resetWorkspace(t.lab, t.workspaceDir, undefined, pw) : solveWorkspace(t.lab, t.workspaceDir, undefined, pw);
  if (r.backup) say(io, `Backed up ${r.backup.files.length} file(s) to ${io.style.bold(r.backup.dir.replace(`${deps.cwd}/`, ''))}`);
  if (!r.written.length && !r.removed.length) say(io, `${t.workspaceRoot} already holds ${what}.`);
  else say(io, `${kind === 'reset' ? 'Restored' : 'Wrote'} ${what}: ${r.written.length} file(s) written${r.removed.length ? `, ${r.removed.length} removed (${r.removed.join(', ')})` : ''}.`);
  if (!running) {
    note(io, `The lab is not running ${o.experiment}: \`lab up ${o.experiment}\` starts it on these files.`);
    return 0;
  }
  reportApply(io, await applyLab({ experiment: o.experiment, workspace: o.workspace, certs: o.certs, force: false }, deps));
  return 0;
}

export const run = (o: Options, deps: Deps) => replaceAndApply('reset', o, deps);

export function define(program: Command, act: Act): void {
  program
    .command('reset')
    .description("back the workspace up, then restore the experiment's start files (and apply them if the lab runs)")
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used, else ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-y, --yes', 'do not ask')
    .action((exp: string, f: { workspace?: string; certs?: string; yes?: boolean }, cmd: Command) =>
      act(cmd, run, { experiment: exp, workspace: f.workspace, certs: f.certs, yes: !!f.yes }),
    );
}
