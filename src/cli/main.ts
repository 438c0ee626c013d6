#!/usr/bin/env node
// Entry point of the `lab` binary: builds the parser from one module per verb and maps errors to exit codes.
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { handleError } from './handle-error.js';
import { commands } from './commands/index.js';
import { realAct, type Act } from './action.js';
import { LAB_VERSION } from '../version.js';

export interface ProgramIo {
  out(text: string): void;
  err(text: string): void;
}

export function buildProgram(act: Act = realAct, io?: ProgramIo, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('lab')
    .description('Stand up, guide and grade the HAProxy course labs on a local Docker engine.')
    .version(LAB_VERSION)
    .option('-n, --name <lab>', 'lab name, so several labs can share one engine (env LAB_NAME)', env.LAB_NAME ?? 'lab')
    .option('--debug', 'print stack traces of errors (env LAB_DEBUG=1)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .hook('preAction', (cmd) => {
      if ((cmd.optsWithGlobals() as { debug?: boolean }).debug) process.env.LAB_DEBUG = '1';
    });
  if (io) program.configureOutput({ writeOut: io.out, writeErr: io.err });
  program.showHelpAfterError('hint: run `lab --help` for the commands and global options');
  for (const define of commands) define(program, act);
  // A usage mistake (unknown option, missing argument) says where the right form is.
  const hintAll = (c: Command, name: string): void => {
    c.showHelpAfterError(`hint: run \`${name} --help\` for its arguments and options`);
    for (const sub of c.commands) hintAll(sub, `${name} ${sub.name()}`);
  };
  for (const c of program.commands) hintAll(c, `lab ${c.name()}`);
  // Subcommands inherit the output and the exit override.
  if (io) for (const c of program.commands) c.configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

/** Parses and runs one command line; resolves to the exit code. Tests call it in-process with fake deps. */
export async function runCli(argv: string[], act: Act = realAct, io?: ProgramIo & { stream?: NodeJS.WriteStream }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(act, io, env);
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    const code = process.exitCode === undefined ? 0 : Number(process.exitCode);
    process.exitCode = undefined;
    return code;
  } catch (e) {
    process.exitCode = undefined;
    // commander already printed its own message for usage errors.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return handleError(e, io?.stream ?? process.stderr, env);
  }
}

// Run when executed as the binary (not when a test imports this module).
const invoked = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invoked) {
  // `lab status | head -3`: a reader that stops reading is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  runCli(process.argv.slice(2)).then((code) => {
    // Interrupted (Ctrl-C): engine calls still in flight must not keep us alive; everything that
    // matters (the lock, the message) is done.
    if (code === 130) process.exit(130);
    process.exitCode = code;
  });
}
