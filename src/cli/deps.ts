// What every command's `run(options, deps)` receives besides its options, as the GitHub CLI does:
// the engine, where progress goes, the terminal, and the clock. The composition root below is the one
// place that makes the real ones; tests pass fakes and run commands in-process.
import type { Command } from 'commander';
import type { Runtime } from '../runtime/types.js';
import type { EngineEndpoint } from '../grade/engine-endpoint.js';
import type { Progress } from '../progress/progress.js';
import { styleFor, type Style } from '../util/style.js';
import { sleep } from '../util/sleep.js';
import { UsageError } from '../util/errors.js';

export interface Io {
  /** Results: stdout (one JSON document with --json). */
  out(text: string): void;
  /** Chatter and errors: stderr. */
  err(text: string): void;
  stdinTTY: boolean;
  stdoutTTY: boolean;
  stderrTTY: boolean;
  /** Styles for stdout and stderr (plain unless a terminal and no NO_COLOR). */
  style: Style;
  errStyle: Style;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Deps {
  runtime: Runtime;
  progress: Progress;
  io: Io;
  clock: Clock;
  cwd: string;
  labName: string;
  env: NodeJS.ProcessEnv;
  /** A runtime for another Docker engine (`lab grade --engine ENDPOINT`); absent: only `runtime` exists. */
  engine?: (endpoint: EngineEndpoint) => Runtime;
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

export const systemClock: Clock = { now: () => Date.now(), sleep };

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    stdinTTY: !!process.stdin.isTTY,
    stdoutTTY: !!process.stdout.isTTY,
    stderrTTY: !!process.stderr.isTTY,
    style: styleFor(!!process.stdout.isTTY),
    errStyle: styleFor(!!process.stderr.isTTY),
  };
}

/** The composition root: the real engine (dockerode is imported here, lazily, so `lab --help` stays fast), listr2 progress, the process's terminal. */
export async function realDeps(cmd: Command): Promise<Deps> {
  const globals = cmd.optsWithGlobals() as { name: string };
  const labName = checkLabName(globals.name);
  const [{ DockerRuntime }, { listrProgress }, { dockerOptions }] = await Promise.all([import('../runtime/docker.js'), import('./progress.js'), import('../grade/engine-endpoint.js')]);
  // The lab's stats password (set or being set) never reaches the terminal: everything this process
  // writes passes the redactor, errors and progress included.
  const { addSecret, redactStream } = await import('../util/redact.js');
  const { readSecrets } = await import('../state/secrets.js');
  addSecret(process.env.LAB_STATS_PASSWORD);
  // Tolerant: a damaged file is the command's to report (with its file and fix), not the redactor's.
  addSecret(readSecrets(process.cwd(), labName, { tolerant: true }).statsPassword);
  redactStream(process.stdout);
  redactStream(process.stderr);
  return {
    runtime: new DockerRuntime(),
    // One DockerRuntime per engine endpoint, its dockerode options from the URL (ssh via docker-modem).
    engine: (e) => new DockerRuntime(dockerOptions(e, process.env) as never),
    progress: listrProgress(process.stderr),
    io: processIo(),
    clock: systemClock,
    cwd: process.cwd(),
    labName,
    env: process.env,
  };
}
