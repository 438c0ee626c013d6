#!/usr/bin/env node
// Entry point of the `lab` binary: builds the parser from one module per verb and maps errors to exit codes.
import { Command, CommanderError } from 'commander';
import { handleError } from './handle-error.js';
import { commands } from './commands/index.js';
import { LAB_VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command('lab')
    .description('Stand up, guide and grade the HAProxy course labs on a local Docker engine.')
    .version(LAB_VERSION)
    .option('-n, --name <lab>', 'lab name, so several labs can share one engine (env LAB_NAME)', process.env.LAB_NAME ?? 'lab')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const define of commands) define(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    // commander already printed its own message for usage errors.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return handleError(e);
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
