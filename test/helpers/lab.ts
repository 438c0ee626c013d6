// Helpers for end-to-end tests: a lab with a unique name in a temporary working directory,
// removed by label afterwards, also when the test fails.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { upLab, type UpResult } from '../../src/lifecycle/up.js';
import { downLab } from '../../src/lifecycle/down.js';
import { EngineStuckError } from '../../src/util/errors.js';
import { observeLab, type LabView } from '../../src/lifecycle/observe.js';
import { silentProgress } from '../../src/progress/progress.js';
import { imageRefs, resolveBaseRef } from '../../src/images/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A short id of this test run, provided by test/e2e/global-setup.ts. */
    labTestRun: string;
    /** The run's lab certificates (global-setup.ts), copied into a test lab's folder before its first up. */
    labCerts: string;
  }
}

/** Every test lab's name starts with this, so the global teardown can sweep leftovers. */
export const TEST_LAB_PREFIX = 't-';

/**
 * Prefix of this test run's labs: `t-<run>-`. The global teardown sweeps only its own run's labs, so two
 * runs on one engine never delete each other's labs mid-test (traffic to a vanished lab address would
 * leave the machine through its default route).
 */
export function runPrefix(runId: string = inject('labTestRun')): string {
  return `${TEST_LAB_PREFIX}${runId}-`;
}

export function uniqueLabName(tag: string): string {
  return `${runPrefix()}${tag.slice(0, 10)}-${randomBytes(3).toString('hex')}`.slice(0, 31);
}

export interface TestLab {
  name: string;
  cwd: string;
  runtime: DockerRuntime;
  result: UpResult;
  /** Converge again (e.g. after editing the workspace). */
  up(experiment?: string): Promise<UpResult>;
  view(): Promise<LabView>;
  /** Container name of a node, e.g. haproxy1. */
  container(node: string): string;
  /** Remove the lab and its temp dir. Safe to call twice. */
  destroy(): Promise<void>;
}

export const testDeps = (runtime: DockerRuntime, labName: string) => ({ runtime, progress: silentProgress(), labName });

/**
 * Copies the run's lab certificates into a lab folder (as `certs/`, modes kept), so its first `lab up`
 * checks them instead of making its own. Not where certificates are what is tested.
 */
export function shareCerts(cwd: string): void {
  const dest = path.join(cwd, 'certs');
  if (!existsSync(dest)) cpSync(inject('labCerts'), dest, { recursive: true });
}

export async function startLab(experiment: string, tag = experiment, opts: { cwd?: string; freshCerts?: boolean } = {}): Promise<TestLab> {
  const name = uniqueLabName(tag);
  const cwd = opts.cwd ?? mkdtempSync(path.join(os.tmpdir(), `lab-${tag}-`));
  if (!opts.freshCerts) shareCerts(cwd);
  const runtime = new DockerRuntime();
  const up = (exp = experiment) => upLab({ experiment: exp, cwd, yes: true, interactive: false, timeoutMs: 120_000 }, testDeps(runtime, name));
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    try {
      await downLab(runtime, name, { force: true });
    } catch (e) {
      // An engine stuck on one container (its shim stopped answering: an engine fault, seen once in CI
      // under load) is not this test's failure: lab removed the rest, and the run's global teardown removes
      // what is left once the engine answers again (after the engine-restart test, at the latest).
      if (!(e instanceof EngineStuckError)) throw e;
      process.stderr.write(`[e2e] lab ${name}: ${e.message}; left for the run's teardown\n`);
    }
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    const result = await up();
    return { name, cwd, runtime, result, up, destroy, view: () => observeLab(runtime, name), container: (node) => `${name}-${node}` };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/**
 * One running container of the lab's client image, on no network, labelled as a lab of its own (so the
 * global teardown sweeps it too): for tests of the runtime itself. The caller removes it.
 */
export async function scratchContainer(runtime: DockerRuntime, tag: string): Promise<string> {
  const name = `${runPrefix()}${tag}-${randomBytes(3).toString('hex')}`;
  const image = imageRefs(await resolveBaseRef(runtime)).client!;
  await runtime.createContainer({
    name, hostname: tag, image, labels: { 'lab.name': name, 'lab.node': tag, 'lab.role': 'client' }, env: {}, cmd: ['sleep', '600'],
    endpoints: [], mounts: [], capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 32 * 1024 * 1024,
  });
  await runtime.startContainer(name);
  return name;
}
