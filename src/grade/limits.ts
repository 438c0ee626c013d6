// Bounds on what intake reads from one submission. Submissions are untrusted: without bounds a
// 2 GB zip bomb, a folder of a million files or a 10 MB "haproxy.cfg" would stall a whole class run.
// The defaults are generous for hand-written configs (the reference solutions are a few KiB).
import { UsageError } from '../util/errors.js';

export interface IntakeLimits {
  /** Each experiment file. */
  maxFileBytes: number;
  /** All experiment files together. */
  maxTotalBytes: number;
  /** Experiment files (files matching the lab's workspace globs). */
  maxFiles: number;
  /** Entries of any kind looked at: archive entries, folder entries, git tree entries. */
  maxEntries: number;
  /** The archive file itself, the bytes a tar stream unpacks to, or a git repository's object store. */
  maxSourceBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS: Readonly<IntakeLimits> = Object.freeze({
  maxFileBytes: 256 * KiB,
  maxTotalBytes: 2 * MiB,
  maxFiles: 64,
  maxEntries: 2000,
  maxSourceBytes: 32 * MiB,
});

export function resolveLimits(partial: Partial<IntakeLimits> = {}): IntakeLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial) as [keyof IntakeLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v <= 0) {
      throw new UsageError(`intake limit ${k} must be a positive whole number, got ${v}`, { hint: `The default is ${DEFAULT_LIMITS[k]}.` });
    }
    out[k] = v;
  }
  return out;
}

export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${+(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}
