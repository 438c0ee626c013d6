// `lab images save/load/prune` against the real engine. The engine is shared, so nothing here rebuilds
// or removes an image anyone uses: the round trip untags one lab image (a backup tag keeps the image
// itself), loads the bundle, and checks the tag is back on the same image ID; pruning is tried on
// throwaway images this test imports, one of them in use by a container it creates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { Header } from 'tar';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { currentImages } from '../../src/images/bundle.js';
import { pruneImages } from '../../src/images/prune.js';
import { lab as cli } from '../helpers/cli.js';
import { inject } from 'vitest';
import { aloneOnTheEngine } from '../helpers/alone.js';

aloneOnTheEngine('images-bundle');

const runtime = new DockerRuntime();
let tmp: string;
const tag = `t${inject('labTestRun')}${randomBytes(2).toString('hex')}`;
const backup = `lab-bundle-test:${tag}`;
const made: string[] = [];

/** A one-file root file system as a tar stream (docker import). */
function tinyRootfs(): Readable {
  const body = Buffer.from(`${tag}\n`);
  const h = Buffer.alloc(512);
  new Header({ path: 'hello.txt', mode: 0o644, size: body.length, mtime: new Date(), type: 'File' }).encode(h, 0);
  return Readable.from([h, body, Buffer.alloc(512 - body.length), Buffer.alloc(1024)]);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-images-'));
});
afterAll(async () => {
  await runtime.removeContainer(`lab-prune-${tag}`).catch(() => undefined);
  for (const ref of made) await runtime.removeImage(ref).catch(() => undefined);
  await runtime.removeImage(backup).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe('lab images', () => {
  it('lists this checkout\'s images as current', async () => {
    const r = await cli(['images', '--json'], { runtime });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { ref: string; current: boolean }[];
    const { refs } = await currentImages(runtime);
    for (const { ref, role } of refs) if (role !== 'base' || ref.startsWith('lab-')) expect(list.find((i) => i.ref === ref)?.current, ref).toBe(true);
  });

  it('save, then load after one image was removed: the tag is back on the same image ID', { timeout: 900_000 }, async () => {
    const file = path.join(tmp, 'lab-images.tar');
    const saved = await cli(['images', 'save', file, '--json'], { runtime });
    expect(saved.code, saved.stderr).toBe(0);
    const manifest = JSON.parse(saved.stdout) as { images: { role: string; ref: string; id: string }[]; dockerSave: { bytes: number } };
    expect(manifest.images.map((i) => i.role)).toContain('app');
    expect(statSync(file).size).toBeGreaterThan(manifest.dockerSave.bytes);

    const app = manifest.images.find((i) => i.role === 'app')!;
    // Keep the image itself under a tag of ours; removing the lab's tag then only untags it.
    await execa('docker', ['tag', app.ref, backup]);
    await runtime.removeImage(app.ref);
    expect(await runtime.imageExists(app.ref)).toBe(false);
    const loaded = await cli(['images', 'load', file], { runtime });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/each tag checked against its image ID/);
    const img = (await runtime.listImages()).find((i) => i.tags.includes(app.ref));
    expect(img?.id).toBe(app.id);
  });

  it('refuses a file that is not a bundle, before touching the engine', async () => {
    const r = await cli(['images', 'load', path.join(tmp, 'nope.tar')], { runtime });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read/);
  });

  it('prune removes old lab image tags, never one a container uses', { timeout: 300_000 }, async () => {
    const old = `lab-prunetest:${tag}old`;
    const used = `lab-prunetest:${tag}used`;
    await runtime.importImage(tinyRootfs(), old, { 'lab.image': 'prunetest' });
    made.push(old);
    const usedStream = tinyRootfs();
    // Another image (other content), used by a container.
    await runtime.importImage(Readable.from([...(await streamToChunks(usedStream)), Buffer.alloc(0)]), used, { 'lab.image': 'prunetest', 'lab.test': 'used' });
    made.push(used);
    await runtime.createContainer({ name: `lab-prune-${tag}`, hostname: 'x', image: used, labels: {}, env: {}, cmd: ['/hello.txt'], endpoints: [], mounts: [], capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 8 * 1024 * 1024 });

    const dry = await cli(['images', 'prune', '--dry-run'], { runtime });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(old);
    expect(await runtime.imageExists(old)).toBe(true);

    const mine = (ref: string) => ref.startsWith(`lab-prunetest:${tag}`);
    const r = await pruneImages(runtime, { match: mine });
    expect(r.removed.map((i) => i.ref)).toEqual([old]);
    expect(r.inUse.map((i) => i.ref)).toEqual([used]);
    expect(await runtime.imageExists(old)).toBe(false);
    expect(await runtime.imageExists(used)).toBe(true);
    // This checkout's own images are never candidates.
    const { refs } = await currentImages(runtime);
    const all = await pruneImages(runtime, { dryRun: true });
    expect(all.removed.filter((i) => refs.some((x) => x.ref === i.ref))).toEqual([]);
  });
});

async function streamToChunks(s: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(Buffer.from(c as Buffer));
  // Different content from `old`: one more zero block is still a valid (longer) archive.
  out.push(Buffer.alloc(512));
  return out;
}
