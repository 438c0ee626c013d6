// How many worker labs an engine gets by default. A grading lab takes about 100 MB and, while it
// grades, most of a core (reloads, curl in the client, HAProxy and Nginx answering), so an engine gets
// one worker per core, as many as its free memory holds with room to spare, and never more workers
// than submissions.
import os from 'node:os';
import type { EngineVersion } from '../runtime/types.js';
import type { EngineEndpoint } from './engine-endpoint.js';

/** Memory set aside per worker lab: its ~100 MB and the engine's own share of it. */
export const BYTES_PER_WORKER = 160 * 1024 * 1024;
export const MAX_JOBS_PER_ENGINE = 16;

export interface Capacity {
  cpus: number;
  /** Memory free for labs. */
  freeBytes: number;
}

export function jobsFor(c: Capacity): number {
  const byMem = Math.floor(c.freeBytes / BYTES_PER_WORKER);
  return Math.max(1, Math.min(MAX_JOBS_PER_ENGINE, Math.floor(c.cpus), byMem));
}

/** This machine's capacity for a local engine; the engine's own figures (half its memory) for a remote one. */
export function capacityOf(e: EngineEndpoint, v: Pick<EngineVersion, 'cpus' | 'memoryBytes'>): Capacity {
  if (e.kind === 'unix') return { cpus: os.availableParallelism(), freeBytes: os.freemem() };
  return { cpus: v.cpus ?? 1, freeBytes: (v.memoryBytes ?? BYTES_PER_WORKER * 2) / 2 };
}

/** `--jobs N` spread over the engines, in order, one at a time. */
export function spreadJobs(total: number, engines: number): number[] {
  const out = Array.from({ length: engines }, () => 0);
  for (let i = 0; i < total; i++) out[i % engines]!++;
  return out;
}
