// `lab images save/load` without an engine: a synthetic `docker save` archive (tiny configs and layers,
// the real tags of this checkout) through saveBundle and checkBundle/loadBundle on a fake runtime. A
// damaged, changed, foreign or non-bundle file is refused before anything reaches the engine, with a
// message that says which; after a load, every tag must point at its recorded image ID.
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { c as tarCreate } from 'tar';
import { BundleError, checkBundle, currentImages, loadBundle, saveBundle } from '../../src/images/bundle.js';
import { listLabImages, pruneImages } from '../../src/images/prune.js';
import type { ImageInfo } from '../../src/runtime/types.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A docker save archive of `refs`, each image one config and one layer; returns it and the IDs. */
function dockerSave(dir: string, refs: string[], tweak?: (d: string) => void): { file: string; ids: Map<string, string> } {
  const d = path.join(dir, 'save');
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const ids = new Map<string, string>();
  refs.forEach((ref, i) => {
    const layer = Buffer.from(`layer of ${ref}\n`.repeat(10));
    const layerDir = `l${i}`;
    mkdirSync(path.join(d, layerDir));
    writeFileSync(path.join(d, layerDir, 'layer.tar'), layer);
    const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] }, config: { Labels: { 'lab.image': ref } } }));
    const id = sha(config);
    writeFileSync(path.join(d, `${id}.json`), config);
    manifest.push({ Config: `${id}.json`, RepoTags: [ref], Layers: [`${layerDir}/layer.tar`] });
    ids.set(ref, `sha256:${id}`);
  });
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(manifest));
  tweak?.(d);
  const file = path.join(dir, 'save.tar');
  tarCreate({ file, cwd: d, sync: true, portable: true }, ['manifest.json', ...manifest.flatMap((m) => [m.Config, ...m.Layers])]);
  return { file, ids };
}

class ImageRuntime extends FakeRuntime {
  images: ImageInfo[] = [];
  saveFile = '';
  loaded = 0;
  async listImages() {
    return this.images;
  }
  async saveImages() {
    return createReadStream(this.saveFile);
  }
  async loadImages(tar: NodeJS.ReadableStream) {
    for await (const _ of tar as AsyncIterable<Buffer>) void _;
    this.loaded++;
  }
}

let dir: string;
let rt: ImageRuntime;
let refs: string[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-bundle-'));
  rt = new ImageRuntime();
  refs = (await currentImages(rt)).refs.map((r) => r.ref);
  const s = dockerSave(dir, refs);
  rt.saveFile = s.file;
  rt.images = refs.map((r) => ({ id: s.ids.get(r)!, tags: [r], sizeBytes: 1000, labels: { 'lab.image': r.split(':')[0]! } }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lab images save / load', () => {
  it('round-trips: the manifest lists every tag with its image ID, and load checks them', async () => {
    const file = path.join(dir, 'bundle.tar');
    const m = await saveBundle(rt, file);
    expect(m.images.map((i) => i.ref)).toEqual(refs);
    expect(m.images.every((i) => i.id === rt.images.find((x) => x.tags[0] === i.ref)!.id)).toBe(true);
    const back = await loadBundle(rt, file);
    expect(back.images).toEqual(m.images);
    expect(rt.loaded).toBe(1);
  });

  it('refuses a damaged bundle before the engine sees it', async () => {
    const file = path.join(dir, 'bundle.tar');
    await saveBundle(rt, file);
    const buf = readFileSync(file);
    // Flip a byte inside images.tar's content (after the manifest entry and the second header).
    const at = buf.indexOf(Buffer.from('layer of '));
    buf[at] = buf[at]! ^ 0xff;
    writeFileSync(file, buf);
    await expect(loadBundle(rt, file)).rejects.toThrow(/damaged or was changed after it was saved/);
    expect(rt.loaded).toBe(0);
  });

  it('refuses a bundle whose manifest was rewritten to match a changed layer', async () => {
    const s = dockerSave(dir, refs, (d) => writeFileSync(path.join(d, 'l2', 'layer.tar'), 'not the layer its config names'));
    rt.saveFile = s.file;
    await expect(saveBundle(rt, path.join(dir, 'b.tar'))).rejects.toThrow(/layer l2\/layer\.tar hashes to sha256:[0-9a-f]+, its config says/);
  });

  it('refuses a foreign bundle: another lab version\'s tags', async () => {
    const old = refs.map((r, i) => (i === 3 ? r.replace(/:.*/, ':000000000000') : r));
    const s = dockerSave(dir, old);
    // A bundle another version of lab saved: its own tags, consistent checksums.
    const file = path.join(dir, 'foreign.tar');
    const inner = s.file;
    const manifest = {
      format: 'lab-images/1', labVersion: '0.0.9', createdAt: new Date().toISOString(), base: old[0],
      images: old.map((r, i) => ({ role: i === 0 ? 'base' : `r${i}`, ref: r, id: s.ids.get(r) })),
      dockerSave: { file: 'images.tar', sha256: sha(readFileSync(inner)), bytes: readFileSync(inner).length },
    };
    const d = path.join(dir, 'pack');
    mkdirSync(d);
    writeFileSync(path.join(d, 'lab-images.json'), JSON.stringify(manifest));
    writeFileSync(path.join(d, 'images.tar'), readFileSync(inner));
    tarCreate({ file, cwd: d, sync: true, portable: true }, ['lab-images.json', 'images.tar']);
    const err = await loadBundle(rt, file).catch((e) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(err.message).toMatch(/another lab version's images \(made by lab 0\.0\.9/);
    expect(rt.loaded).toBe(0);
  });

  it('refuses files that are not bundles: a bare docker save, an empty tar, junk', async () => {
    await expect(checkBundle(rt.saveFile, path.join(dir, 'x1'))).rejects.toThrow(/not a lab images bundle: it holds manifest\.json/);
    writeFileSync(path.join(dir, 'junk.tar'), 'this is not a tar file at all, just text that goes on long enough'.repeat(20));
    await expect(checkBundle(path.join(dir, 'junk.tar'), path.join(dir, 'x2'))).rejects.toThrow(/not a lab images bundle|not a tar archive/);
    await expect(checkBundle(path.join(dir, 'missing.tar'), path.join(dir, 'x3'))).rejects.toThrow(/cannot read/);
  });

  it('says so when the engine holds other IDs after the load', async () => {
    const file = path.join(dir, 'bundle.tar');
    await saveBundle(rt, file);
    rt.images = rt.images.map((i, n) => (n === 1 ? { ...i, id: `sha256:${'0'.repeat(64)}` } : i));
    await expect(loadBundle(rt, file)).rejects.toThrow(/after loading .* is sha256:0{64}, not sha256:/);
  });
});

describe('lab images prune', () => {
  it('removes tags of older versions, never one a container uses, never a current one', async () => {
    const oldId = `sha256:${'a'.repeat(64)}`;
    const usedId = `sha256:${'b'.repeat(64)}`;
    rt.images.push(
      { id: oldId, tags: ['lab-app:oldoldoldold'], sizeBytes: 5, labels: { 'lab.image': 'app' } },
      { id: usedId, tags: ['lab-nginx:usedusedused', 'lab-nginx:alsoused0000'], sizeBytes: 5, labels: { 'lab.image': 'nginx' } },
    );
    await rt.createContainer({ name: 'someone-nginx1', hostname: 'x', image: 'lab-nginx:usedusedused', labels: {}, env: {}, endpoints: [], mounts: [], capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 1 });
    rt.containers.get('someone-nginx1')!.imageId = usedId;
    const list = await listLabImages(rt);
    expect(list.filter((i) => i.current).map((i) => i.ref).sort()).toEqual([...refs].sort());
    const dry = await pruneImages(rt, { dryRun: true });
    expect(dry.removed.map((i) => i.ref)).toEqual(['lab-app:oldoldoldold']);
    expect(rt.calls.filter((c) => c.startsWith('removeImage'))).toEqual([]);
    const r = await pruneImages(rt);
    expect(r.removed.map((i) => i.ref)).toEqual(['lab-app:oldoldoldold']);
    expect(r.inUse.map((i) => i.ref).sort()).toEqual(['lab-nginx:alsoused0000', 'lab-nginx:usedusedused']);
    expect(rt.calls.filter((c) => c.startsWith('removeImage'))).toEqual(['removeImage lab-app:oldoldoldold']);
  });
});
