import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';

async function containerOf(deps: Deps, node: string): Promise<string> {
  const { observeLab, nodeOf } = await import('../../lifecycle/observe.js');
  return nodeOf(await observeLab(deps.runtime, deps.labName), node).container;
}

export async function runExec(o: { node: string; argv: string[] }, deps: Deps): Promise<number> {
  return deps.runtime.execAttached(await containerOf(deps, o.node), o.argv, { tty: deps.io.stdinTTY && deps.io.stdoutTTY });
}

export async function runShell(o: { node: string }, deps: Deps): Promise<number> {
  return deps.runtime.execAttached(await containerOf(deps, o.node), ['bash', '-l'], { tty: deps.io.stdinTTY });
}

export async function runLogs(o: { node: string; follow: boolean; tail?: number }, deps: Deps): Promise<number> {
  const stream = await deps.runtime.logs(await containerOf(deps, o.node), { follow: o.follow, tail: o.tail });
  for await (const chunk of stream as AsyncIterable<Buffer>) deps.io.out(Buffer.from(chunk).toString());
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('exec')
    .description('run a command in a node, e.g. `lab exec client -- curl -s http://go-backend.liujun.com/api/x`')
    .argument('<node>', 'node name, e.g. client, office, lvs1, haproxy2, nginx3, app1')
    .argument('<cmd...>', 'the command (put it after --)')
    .action((node: string, argv: string[], _f: unknown, cmd: Command) => act(cmd, runExec, { node, argv }));

  program
    .command('shell')
    .description('open a shell in a node (default: client)')
    .argument('[node]', 'node name', 'client')
    .action((node: string, _f: unknown, cmd: Command) => act(cmd, runShell, { node }));

  program
    .command('logs')
    .description("show a node's log (HAProxy's log goes to stdout here, errata 6)")
    .argument('<node>', 'node name')
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'only the last n lines')
    .action((node: string, f: { follow?: boolean; tail?: string }, cmd: Command) =>
      act(cmd, runLogs, { node, follow: !!f.follow, tail: f.tail === undefined ? undefined : positiveInt('--tail', f.tail) }),
    );
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${v}: expected a whole number`, { hint: `e.g. ${flag} 20` });
  return n;
}
