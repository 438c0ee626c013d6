// Glue between commander and a command's `run(options, deps)`. `define()` functions only parse flags
// and hand the options to `act`, which makes the deps (the composition root, or fakes in tests) and
// turns a returned number into the exit code.
import type { Command } from 'commander';
import { realDeps, type Deps } from './deps.js';

export type Run<O> = (options: O, deps: Deps) => Promise<number | void>;

export type Act = <O>(cmd: Command, run: Run<O>, options: O) => Promise<void>;

/** An Act over deps made by `makeDeps`. */
export function actWith(makeDeps: (cmd: Command) => Promise<Deps>): Act {
  return async (cmd, run, options) => {
    const code = await run(options, await makeDeps(cmd));
    if (typeof code === 'number') process.exitCode = code;
  };
}

export const realAct: Act = actWith(realDeps);
