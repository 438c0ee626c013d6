// Every e2e file starts once the lab images exist. The global setup builds them in the background while
// the unit files run (global-setup.ts); a file that starts before the build is done waits for the
// image-build lock here, then finds them present. Present already: one request to the engine.
import { beforeAll } from 'vitest';
import { ensureImages } from '../../src/images/index.js';
import { silentProgress } from '../../src/progress/progress.js';
import { DockerRuntime } from '../../src/runtime/docker.js';

beforeAll(async () => {
  await ensureImages(new DockerRuntime(), silentProgress((line) => process.stderr.write(`[images] ${line}\n`)));
}, 30 * 60_000);
