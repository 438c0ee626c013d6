import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';

export interface Options {
  experiment: string;
  lang?: string;
  step?: string;
  restart?: boolean;
  print?: boolean;
  workspace?: string;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { guide } = await import('../../guide/index.js');
  return guide(
    { ...o, labName: deps.labName, cwd: deps.cwd, tty: deps.io.stdinTTY && deps.io.stdoutTTY, style: deps.io.style },
    { runtime: deps.runtime, progress: deps.progress, out: deps.io.out },
  );
}

export function define(program: Command, act: Act): void {
  program
    .command('guide')
    .description('walk through an experiment step by step: run it for me or do it yourself, with checks and hints (Markdown with --print or without a terminal)')
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('--lang <zh|en>', 'language of the guide (default: zh, the course language)')
    .option('--step <n|id>', 'jump to a step (1-based number or id)')
    .option('--restart', 'forget the saved progress and start from step 1')
    .option('--print', 'print the exercise as Markdown and exit')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used)')
    .action((exp: string, f: Omit<Options, 'experiment'>, cmd: Command) => act(cmd, run, { ...f, experiment: exp }));
}
