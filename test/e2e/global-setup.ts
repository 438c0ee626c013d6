// Once per test run: make sure a Docker engine answers and the lab images exist (built once, reused
// by every e2e file), and afterwards remove any lab of this run a crashed test may have left behind.
import { ensureEngine } from '../../src/engine/provision.js';
import { ensureImages } from '../../src/images/index.js';
import { silentProgress } from '../../src/progress/progress.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { runPrefix } from '../helpers/lab.js';

const runId = randomBytes(2).toString('hex');
const log = (s: string) => process.stderr.write(`[e2e setup] ${s}\n`);

export async function setup(project: TestProject): Promise<void> {
  project.provide('labTestRun', runId);
  // The few smoke tests that spawn the binary need dist/ built from these sources.
  const { execa } = await import('execa');
  await execa('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: new URL('../..', import.meta.url).pathname });
  const runtime = new DockerRuntime();
  await ensureEngine(runtime, { yes: true, interactive: false, log });
  await ensureImages(runtime, silentProgress(log));
}

export async function teardown(): Promise<void> {
  const runtime = new DockerRuntime();
  const leftovers = (await runtime.listContainers({ 'lab.name': '' })).filter((c) => c.labels['lab.name']?.startsWith(runPrefix(runId)));
  await Promise.all(leftovers.map((c) => runtime.removeContainer(c.name)));
  for (const n of await runtime.listNetworks({ 'lab.name': '' })) {
    if (n.labels['lab.name']?.startsWith(runPrefix(runId))) await runtime.removeNetwork(n.id);
  }
}
