import type { Command } from 'commander';
import { realDeps } from '../deps.js';
import { containerOf } from './node-target.js';

export function define(program: Command): void {
  program
    .command('exec')
    .description('run a command in a node, e.g. `lab exec client -- curl -s http://go-backend.liujun.com/api/x`')
    .argument('<node>', 'node name, e.g. client, lvs1, haproxy2, nginx3, app1')
    .argument('<cmd...>', 'the command (put it after --)')
    .action(async (node: string, argv: string[], _opts: unknown, cmd: Command) => {
      const deps = await realDeps(cmd);
      const container = await containerOf(deps.runtime, deps.labName, node);
      process.exitCode = await deps.runtime.execAttached(container, argv, { tty: !!process.stdin.isTTY && !!process.stdout.isTTY });
    });

  program
    .command('shell')
    .description('open a shell in a node (default: client)')
    .argument('[node]', 'node name', 'client')
    .action(async (node: string, _opts: unknown, cmd: Command) => {
      const deps = await realDeps(cmd);
      const container = await containerOf(deps.runtime, deps.labName, node);
      process.exitCode = await deps.runtime.execAttached(container, ['bash', '-l'], { tty: !!process.stdin.isTTY });
    });

  program
    .command('logs')
    .description("show a node's log (HAProxy's log goes to stdout here, errata 6)")
    .argument('<node>', 'node name')
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'only the last n lines')
    .action(async (node: string, opts: { follow?: boolean; tail?: string }, cmd: Command) => {
      const deps = await realDeps(cmd);
      const container = await containerOf(deps.runtime, deps.labName, node);
      const stream = await deps.runtime.logs(container, { follow: !!opts.follow, tail: opts.tail ? Number(opts.tail) : undefined });
      stream.pipe(process.stdout);
      await new Promise((resolve) => stream.on('end', resolve));
    });
}
