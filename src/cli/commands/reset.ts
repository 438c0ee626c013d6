import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import { checkLabName } from '../deps.js';
import { note, say, style } from '../output.js';
import { reportApply } from './apply.js';

export interface ReplaceCliOptions {
  workspace?: string;
  certs?: string;
  yes?: boolean;
}

/** Shared by reset and solve: resolve, confirm, back up and rewrite, then apply when the lab runs. */
export async function replaceAndApply(kind: 'reset' | 'solve', exp: string, opts: ReplaceCliOptions, cmd: Command): Promise<void> {
  const labName = checkLabName(cmd.optsWithGlobals().name);
  const cwd = process.cwd();
  const { resolveTarget, applyWorkspace } = await import('../../services/apply.js');
  const { resetWorkspace, solveWorkspace } = await import('../../labs/workspace-files.js');
  // The engine is optional here: reset/solve work on the files even when no lab runs.
  let runtime;
  try {
    const { DockerRuntime } = await import('../../runtime/docker.js');
    runtime = new DockerRuntime();
    await runtime.listContainers({ 'lab.name': labName });
  } catch {
    runtime = undefined;
  }
  const seen = runtime ? await runtime.listContainers({ 'lab.name': labName }) : [];
  const running = seen.length > 0 && seen[0]!.labels['lab.experiment'] === exp;
  const t = await resolveTarget(running ? runtime : undefined, { labName, cwd, experiment: exp, workspace: opts.workspace, certsDir: opts.certs, allowStopped: true });
  const what = kind === 'reset' ? 'the start files' : 'the reference solution';
  if (!opts.yes && process.stdin.isTTY && process.stderr.isTTY) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm({ message: `Replace ${t.workspaceRoot} with ${what}? Your files are backed up first.`, default: true });
    if (!ok) throw new UsageError(`${kind} cancelled`, { hint: 'Nothing was changed.' });
  }
  const r = kind === 'reset' ? resetWorkspace(t.lab, t.workspaceDir) : solveWorkspace(t.lab, t.workspaceDir);
  if (r.backup) say(`Backed up ${r.backup.files.length} file(s) to ${style.bold(r.backup.dir.replace(`${cwd}/`, ''))}`);
  if (!r.written.length && !r.removed.length) say(`${t.workspaceRoot} already holds ${what}.`);
  else say(`${kind === 'reset' ? 'Restored' : 'Wrote'} ${what}: ${r.written.length} file(s) written${r.removed.length ? `, ${r.removed.length} removed (${r.removed.join(', ')})` : ''}.`);
  if (!running) {
    note(`The lab is not running ${exp}: \`lab up ${exp}\` starts it on these files.`);
    return;
  }
  reportApply(await applyWorkspace(runtime!, { labName, cwd, experiment: exp, workspace: opts.workspace, certsDir: opts.certs }));
}

export function define(program: Command): void {
  program
    .command('reset')
    .description("back the workspace up, then restore the experiment's start files (and apply them if the lab runs)")
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used, else ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder (default: the one `lab up` used)')
    .option('-y, --yes', 'do not ask')
    .action((exp: string, opts: ReplaceCliOptions, cmd: Command) => replaceAndApply('reset', exp, opts, cmd));
}
