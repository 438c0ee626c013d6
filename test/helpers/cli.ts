// Runs `lab …` in-process, as the binary would, with injected deps: a fake (or given) runtime, silent
// progress, and captured stdout/stderr. Commands and their flags are tested this way; only a few
// smoke tests spawn the built binary (test/e2e/cli-smoke.test.ts).
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { actWith } from '../../src/cli/action.js';
import { checkLabName, systemClock, type Deps } from '../../src/cli/deps.js';
import { runCli } from '../../src/cli/main.js';
import { silentProgress } from '../../src/progress/progress.js';
import { plainStyle } from '../../src/util/style.js';
import { FakeRuntime } from './fake-runtime.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The deps the command ran with (e.g. the fake runtime's calls). */
  deps?: Deps;
}

export async function lab(argv: string[], over: Partial<Deps> = {}, env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = (t: string) => void (stdout += t);
  const err = (t: string) => void (stderr += t);
  const stream = Object.assign(new PassThrough(), { isTTY: false });
  stream.on('data', (c: Buffer) => err(c.toString()));
  let used: Deps | undefined;
  const act = actWith(async (cmd: Command) => {
    used = {
      runtime: new FakeRuntime(),
      progress: silentProgress(),
      io: { out, err, stdinTTY: false, stdoutTTY: false, stderrTTY: false, style: plainStyle, errStyle: plainStyle },
      clock: systemClock,
      cwd: process.cwd(),
      env,
      ...over,
      labName: checkLabName((cmd.optsWithGlobals() as { name: string }).name),
    };
    return used;
  });
  const code = await runCli(argv, act, { out, err, stream: stream as unknown as NodeJS.WriteStream }, env);
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr, deps: used };
}
