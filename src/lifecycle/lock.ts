// One command at a time per lab, across processes and machines: the lock is an object on the engine
// (a created, never started container named <lab>-lock, carrying the lab's labels), because two
// checkouts or two machines may drive one engine. Creating a container with a taken name fails
// atomically in the engine, which is exactly a lock. A lock whose holder died on this machine (a
// SIGKILLed `lab up`) is stale and taken over; otherwise we wait, then refuse naming the holder.
import os from 'node:os';
import type { Runtime } from '../runtime/types.js';
import { LABEL } from '../topology/labels.js';
import { LabError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import { pidAlive } from '../util/process.js';

export const lockName = (lab: string) => `${lab}-lock`;

export interface LabLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** What the holder is doing, for the other side's message: up, down, grade. */
  operation: string;
  /** An image that exists on the engine (the container is never started). */
  image: string;
  waitMs?: number;
  onWait?: (line: string) => void;
}

async function holderOf(runtime: Runtime, lab: string): Promise<Record<string, string> | undefined> {
  return (await runtime.inspectContainer(lockName(lab)))?.labels;
}

export async function acquireLabLock(runtime: Runtime, lab: string, opts: LockOptions): Promise<LabLock> {
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  let said = false;
  for (;;) {
    try {
      await runtime.createContainer({
        name: lockName(lab),
        hostname: 'lock',
        image: opts.image,
        labels: {
          [LABEL.name]: lab,
          [LABEL.lock]: opts.operation,
          [LABEL.host]: os.hostname(),
          'lab.lock-pid': String(process.pid),
          'lab.lock-since': new Date().toISOString(),
        },
        env: {},
        cmd: ['true'],
        endpoints: [],
        mounts: [],
        capAdd: [],
        sysctls: {},
        extraHosts: [],
        // Never started: the smallest limit Docker accepts.
        memoryBytes: 6 * 1024 * 1024,
      });
      break;
    } catch (e) {
      const held = await holderOf(runtime, lab);
      if (!held) {
        if (/Conflict|already in use/i.test((e as Error).message)) continue; // released meanwhile
        throw e;
      }
      const pid = Number(held['lab.lock-pid']);
      const sameHost = held[LABEL.host] === os.hostname();
      if (sameHost && pid === process.pid) break; // re-entrant within one process
      if (sameHost && Number.isInteger(pid) && !pidAlive(pid)) {
        opts.onWait?.(`taking over the lock of lab "${lab}" left by pid ${pid} (${held[LABEL.lock]}), which no longer runs`);
        await runtime.removeContainer(lockName(lab));
        continue;
      }
      const who = `\`lab ${held[LABEL.lock]}\` (pid ${held['lab.lock-pid']} on ${held[LABEL.host]}, since ${held['lab.lock-since']})`;
      if (Date.now() > deadline) {
        throw new LabError(`lab "${lab}" is busy: ${who} holds it`, {
          hint: `Wait for it to finish. If it is gone (another machine crashed), \`lab down --force\` removes the lab and its lock.`,
        });
      }
      if (!said) opts.onWait?.(`waiting for ${who} to finish`);
      said = true;
      await sleep(500);
    }
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const held = await holderOf(runtime, lab).catch(() => undefined);
      if (held && held['lab.lock-pid'] === String(process.pid) && held[LABEL.host] === os.hostname()) await runtime.removeContainer(lockName(lab)).catch(() => undefined);
    },
  };
}
