// The e2e files that must not share the engine with one another (an engine restart, `lab images load`'s
// untagging, reliability's eighteen `lab up`s, the fault drills' figures) run beside the unit tests,
// which never touch the engine, instead of in a phase of their own after everything (vitest.config.ts).
// Vitest may start two of them at once there; this lock makes the second wait for the first.
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { acquireDirLock, type DirLock } from '../../src/util/dir-lock.js';

/** Call first thing in the file: its other hooks and tests run only while it holds the engine alone. */
export function aloneOnTheEngine(file: string): void {
  let lock: DirLock | undefined;
  beforeAll(async () => {
    const dir = path.join(os.tmpdir(), `lab-test-alone-${inject('labTestRun')}.lock`);
    const log = (line: string) => process.stderr.write(`[${file}] ${line}\n`);
    lock = await acquireDirLock(dir, log, 'running an e2e file that needs the engine to itself');
  }, 30 * 60_000);
  afterAll(() => lock?.release());
}
