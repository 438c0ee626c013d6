import type { Command } from 'commander';
import { checkLabName } from '../deps.js';
import { style } from '../output.js';

interface GuideCliOptions {
  lang?: string;
  step?: string;
  restart?: boolean;
  print?: boolean;
  workspace?: string;
}

export function define(program: Command): void {
  program
    .command('guide')
    .description('walk through an experiment step by step: run it for me or do it yourself, with checks and hints (Markdown with --print or without a terminal)')
    .argument('<exp>', 'experiment, e.g. exp2')
    .option('--lang <zh|en>', 'language of the guide (default: zh, the course language)')
    .option('--step <n|id>', 'jump to a step (1-based number or id)')
    .option('--restart', 'forget the saved progress and start from step 1')
    .option('--print', 'print the exercise as Markdown and exit')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one `lab up` used)')
    .action(async (exp: string, opts: GuideCliOptions, cmd: Command) => {
      const labName = checkLabName(cmd.optsWithGlobals().name);
      const { guide } = await import('../../guide/index.js');
      process.exitCode = await guide({
        experiment: exp,
        ...opts,
        labName,
        cwd: process.cwd(),
        tty: !!process.stdin.isTTY && !!process.stdout.isTTY,
        style,
      });
    });
}
