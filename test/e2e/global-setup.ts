// Once per test run: make sure a Docker engine answers and the lab images exist (built once, in the
// background, reused by every e2e file), and afterwards remove any lab of this run a crashed test may
// have left behind.
import { ensureCerts } from '../../src/certs/index.js';
import { ensureEngine } from '../../src/engine/provision.js';
import { ensureImages } from '../../src/images/index.js';
import { silentProgress } from '../../src/progress/progress.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { walkFiles } from '../../src/util/files.js';
import type { TestProject } from 'vitest/node';
import { runPrefix } from '../helpers/lab.js';

// Vitest loads this module afresh for each e2e project's setup, all in its one main process: what is
// made once per run lives on globalThis (one run id, one certificate set, one image build).
const shared = ((globalThis as { labTestSetup?: { runId: string; certsDir?: string; images?: Promise<void> } }).labTestSetup ??= {
  runId: randomBytes(2).toString('hex'),
});
const runId = shared.runId;
const ROOT = new URL('../..', import.meta.url).pathname;

/** dist/ is missing the CLI, or older than a source file or the compiler options (the build info is the build's own stamp). */
function buildIsStale(): boolean {
  const stamp = path.join(ROOT, 'dist', '.tsbuildinfo');
  if (!existsSync(stamp) || !existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) return true;
  const built = statSync(stamp).mtimeMs;
  const sources = [path.join(ROOT, 'tsconfig.json'), ...walkFiles(path.join(ROOT, 'src')).map((f) => path.join(ROOT, 'src', f))];
  return sources.some((f) => statSync(f).mtimeMs > built);
}
const log = (s: string) => process.stderr.write(`[e2e setup] ${s}\n`);

export async function setup(project: TestProject): Promise<void> {
  project.provide('labTestRun', runId);
  // The few tests that spawn the binary need dist/ built from these sources. `npm test` has just built
  // it, and this setup runs once per e2e project: build only when a source is newer than the last build
  // (a tsc run costs 24 CPU-seconds; incremental, 7).
  if (buildIsStale()) {
    // tsc is incremental: build info left without the output it describes would make it skip that output.
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) rmSync(path.join(ROOT, 'dist', '.tsbuildinfo'), { force: true });
    const { execa } = await import('execa');
    await execa('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
  }
  const runtime = new DockerRuntime();
  await ensureEngine(runtime, { yes: true, interactive: false, log });
  // Built in the background (a fresh CI machine: about 85 s): the unit files, which need no images, run
  // meanwhile, and every e2e file waits for them first (images-ready.ts). The build holds the machine's
  // image-build lock, so a file that asks meanwhile waits for it rather than building again.
  shared.images ??= ensureImages(runtime, silentProgress(log)).then(
    () => undefined,
    (e: unknown) => {
      log(`building the images failed: ${e instanceof Error ? e.message : String(e)}`);
    },
  );
  // One set of lab certificates for the run's test labs (test/helpers/lab.ts copies it into each lab's
  // folder): making them costs over 2 CPU-seconds (eight RSA keys, made natively; eight signatures),
  // and a lab's first `lab up` otherwise makes its own. The tests of certificates make theirs.
  if (!shared.certsDir) {
    shared.certsDir = mkdtempSync(path.join(os.tmpdir(), 'lab-test-certs-'));
    await ensureCerts({ outDir: shared.certsDir });
  }
  project.provide('labCerts', shared.certsDir);
}

export async function teardown(): Promise<void> {
  await shared.images;
  if (shared.certsDir) rmSync(shared.certsDir, { recursive: true, force: true });
  const runtime = new DockerRuntime();
  const leftovers = (await runtime.listContainers({ 'lab.name': '' })).filter((c) => c.labels['lab.name']?.startsWith(runPrefix(runId)));
  await Promise.all(leftovers.map((c) => runtime.removeContainer(c.name)));
  for (const n of await runtime.listNetworks({ 'lab.name': '' })) {
    if (n.labels['lab.name']?.startsWith(runPrefix(runId))) await runtime.removeNetwork(n.id);
  }
}
