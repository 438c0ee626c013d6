import type { Command } from 'commander';
import type { Runtime } from '../runtime/types.js';
import { UsageError } from '../util/errors.js';

/** What every command's `run` receives besides its options: injected so tests can swap the runtime. */
export interface Deps {
  runtime: Runtime;
  cwd: string;
  labName: string;
}

const LAB_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export function checkLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new UsageError(`invalid lab name "${name}"`, {
      hint: 'Use lowercase letters, digits and dashes, starting with a letter, at most 31 characters, e.g. --name lab2.',
    });
  }
  return name;
}

/** Builds the real dependencies; dockerode is imported lazily so `lab --help` stays fast. */
export async function realDeps(cmd: Command): Promise<Deps> {
  const globals = cmd.optsWithGlobals() as { name: string };
  const { DockerRuntime } = await import('../runtime/docker.js');
  return { runtime: new DockerRuntime(), cwd: process.cwd(), labName: checkLabName(globals.name) };
}
