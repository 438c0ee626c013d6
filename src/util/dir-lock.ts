// One writer at a time for work on this machine's disk: image builds (two `lab up`s on a cold machine
// would otherwise both debootstrap and build the same images) and certificate generation (two labs of
// one project would otherwise each write a CA). A directory made with mkdir is the lock; it holds the
// owner's pid, so a lock left by a crashed process is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from './errors.js';
import { pidAlive } from './process.js';
import { sleep } from './sleep.js';

/** The image-build lock directory; LAB_IMAGE_LOCK overrides it (unit tests with a fake engine use their own). */
export function imageLockDir(): string {
  return process.env.LAB_IMAGE_LOCK || path.join(os.tmpdir(), 'lab-images.lock');
}
const WAIT_MS = 20 * 60_000;

function ownerPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface DirLock {
  release(): void;
}

/** Waits (up to 20 min) until this process holds the lock `dir`; `what` names the work in messages. */
export async function acquireDirLock(dir: string, log: (line: string) => void = () => {}, what = 'building the images'): Promise<DirLock> {
  const deadline = Date.now() + WAIT_MS;
  let said = false;
  let missingPidSince: number | undefined;
  for (;;) {
    try {
      mkdirSync(path.dirname(dir), { recursive: true });
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = ownerPid(dir);
    // No pid yet: the owner is between mkdir and writeFile; give it a few seconds before calling it stale.
    if (pid === undefined) missingPidSince ??= Date.now();
    else missingPidSince = undefined;
    const stale = pid !== undefined ? !pidAlive(pid) : Date.now() - missingPidSince! > 5_000;
    if (stale) {
      log(`removing a stale lock (${what})${pid ? ` of pid ${pid}` : ''}`);
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (!said) {
      log(`waiting for another lab process (pid ${pid ?? '?'}) that is ${what}`);
      said = true;
    }
    if (Date.now() > deadline) {
      throw new LabError(`another lab process (pid ${pid ?? '?'}) has been ${what} for over ${WAIT_MS / 60_000} minutes`, {
        hint: `If no build is running, remove ${dir} and retry.`,
      });
    }
    await sleep(500);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (ownerPid(dir) === process.pid) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', release);
  return { release };
}
