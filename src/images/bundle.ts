// `lab images save <file>` / `lab images load <file>`: every lab image in one archive, for classrooms
// without a registry or Debian mirror. The archive is a plain tar of two files:
//   lab-images.json  the manifest: lab version, base, each tag with its role and image ID, and the
//                    sha256 and size of images.tar
//   images.tar       `docker save` of those tags
// Loading checks before anything reaches the engine: the manifest is lab's; its tags are exactly the
// content-hash tags this checkout's templates give (another lab version's bundle is foreign); images.tar
// has the recorded sha256; inside it, each image's config hashes to its image ID, each layer to the
// diff_id its config names, and docker's own manifest tags exactly the images ours lists. After the load,
// every tag must point at the recorded image ID. The checksums catch damage, truncation and mix-ups;
// the bundle is as trustworthy as where it came from (it is not signed).
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Header, Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import type { Runtime } from '../runtime/types.js';
import { LabError } from '../util/errors.js';
import { LAB_VERSION } from '../version.js';
import { IMAGE_NAMES, imageRefs, imageStatus, REGISTRY_BASE, resolveBaseRef, offlineBaseRef } from './index.js';

export const BUNDLE_FORMAT = 'lab-images/1';
const MANIFEST = 'lab-images.json';
const IMAGES = 'images.tar';

export const BundleManifest = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    labVersion: z.string(),
    createdAt: z.string(),
    base: z.string(),
    images: z.array(z.object({ role: z.string(), ref: z.string(), id: z.string().regex(/^sha256:[0-9a-f]{64}$/) }).strict()).min(1),
    dockerSave: z.object({ file: z.literal(IMAGES), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() }).strict(),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifest>;

/** The bundle cannot be used: damaged, changed, or not this lab's. */
export class BundleError extends LabError {}

const refuse = (file: string, why: string, hint = 'Make the bundle again with `lab images save` on a machine with this version of lab, and copy it whole.') =>
  new BundleError(`${file}: ${why}`, { hint });

/** The images a bundle of this checkout holds: the base, then each role, by the tags ensureImages uses. */
export async function currentImages(runtime: Runtime): Promise<{ base: string; refs: { role: string; ref: string }[] }> {
  const base = await resolveBaseRef(runtime);
  const roles = imageRefs(base);
  return { base, refs: [{ role: 'base', ref: base }, ...IMAGE_NAMES.map((r) => ({ role: r, ref: roles[r]! }))] };
}

function tarHeader(name: string, size: number): Buffer {
  const h = new Header({ path: name, mode: 0o644, size, mtime: new Date(), type: 'File', uid: 0, gid: 0, uname: '', gname: '' });
  const b = Buffer.alloc(512);
  h.encode(b, 0);
  return b;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(file) as AsyncIterable<Buffer>) {
    h.update(c);
    bytes += c.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Writes every lab image of this checkout into `file`; returns the manifest. */
export async function saveBundle(runtime: Runtime, file: string, opts: { log?: (line: string) => void } = {}): Promise<BundleManifest> {
  const log = opts.log ?? (() => {});
  const { base, refs } = await currentImages(runtime);
  const missing = (await imageStatus(runtime)).filter((s) => !s.present);
  if (missing.length) {
    throw new LabError(`not every lab image is on this engine (missing ${missing.map((m) => m.ref).join(', ')})`, { hint: 'Build them first with `lab doctor --fix` (or `lab up`), then save.' });
  }
  const ids = new Map<string, string>();
  for (const img of await runtime.listImages()) for (const t of img.tags) ids.set(t, img.id);
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const inner = `${tmp}.images`;
  try {
    log(`docker save ${refs.length} images`);
    await pipeline(await runtime.saveImages(refs.map((r) => r.ref)), createWriteStream(inner, { flags: 'wx' }));
    const sum = await sha256File(inner);
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      labVersion: LAB_VERSION,
      createdAt: new Date().toISOString(),
      base,
      images: refs.map((r) => ({ ...r, id: ids.get(r.ref)! })),
      dockerSave: { file: IMAGES, ...sum },
    };
    // What we will claim must be what docker wrote.
    await inspectDockerSave(inner, manifest, file);
    log('writing the bundle');
    const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const out = createWriteStream(tmp, { flags: 'wx' });
    const write = async (b: Buffer) => {
      if (!out.write(b)) await once(out, 'drain');
    };
    await write(tarHeader(MANIFEST, json.length));
    await write(json);
    await write(pad(json.length));
    await write(tarHeader(IMAGES, sum.bytes));
    for await (const c of createReadStream(inner) as AsyncIterable<Buffer>) await write(c);
    await write(pad(sum.bytes));
    await write(Buffer.alloc(1024));
    out.end();
    await once(out, 'finish');
    await fsp.rename(tmp, file);
    return manifest;
  } finally {
    await fsp.rm(tmp, { force: true });
    await fsp.rm(inner, { force: true });
  }
}

/** Feeds a tar file through node-tar's strict Parser (it only parses, never writes). */
async function parseTar(file: string, onEntry: (e: ReadEntry) => void): Promise<void> {
  const parser = new Parser({ strict: true, onReadEntry: onEntry });
  let error: unknown;
  const failed = new Promise<never>((_, reject) =>
    parser.on('error', (e) => {
      error ??= e;
      reject(e);
    }),
  );
  failed.catch(() => undefined);
  const done = once(parser, 'end');
  done.catch(() => undefined);
  const input = createReadStream(file);
  const work = (async () => {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (error) break;
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), failed]);
    }
    if (!error) parser.end();
    await done;
  })();
  work.catch(() => undefined);
  try {
    await Promise.race([failed, work]);
  } finally {
    input.destroy();
  }
}

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Checks a `docker save` archive against the bundle manifest: tags, config hashes, layer hashes. */
async function inspectDockerSave(inner: string, m: BundleManifest, file: string): Promise<void> {
  const hashes = new Map<string, string>();
  const links = new Map<string, string>();
  const small = new Map<string, Buffer>();
  try {
    await parseTar(inner, (e) => {
      const name = e.path.replace(/^\.\//, '');
      if (e.type === 'SymbolicLink' && e.linkpath) {
        links.set(name, path.posix.normalize(path.posix.join(path.posix.dirname(name), e.linkpath)));
        e.resume();
        return;
      }
      if (e.type !== 'File' && e.type !== 'OldFile') {
        e.resume();
        return;
      }
      const h = createHash('sha256');
      const keep = (e.size ?? 0) <= 4 * 1024 * 1024 && (name.endsWith('.json') || name.startsWith('blobs/') || name === 'manifest.json');
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => {
        h.update(c);
        if (keep) chunks.push(c);
      });
      e.on('end', () => {
        hashes.set(name, h.digest('hex'));
        if (keep) small.set(name, Buffer.concat(chunks));
      });
    });
  } catch (e) {
    throw refuse(file, `${IMAGES} is not a readable docker save archive (${(e as Error).message})`);
  }
  const hashOf = (n: string): string | undefined => {
    for (let i = 0, cur = n; i < 8; i++) {
      if (hashes.has(cur)) return hashes.get(cur);
      const next = links.get(cur);
      if (!next) return undefined;
      cur = next;
    }
    return undefined;
  };
  const dm = small.get('manifest.json');
  if (!dm) throw refuse(file, `${IMAGES} has no manifest.json: it is not a docker save archive`);
  let entries: DockerManifestEntry[];
  try {
    entries = JSON.parse(dm.toString('utf8')) as DockerManifestEntry[];
  } catch {
    throw refuse(file, `${IMAGES}'s manifest.json is not JSON`);
  }
  const tagged = new Map<string, DockerManifestEntry>();
  for (const en of entries) for (const t of en.RepoTags ?? []) tagged.set(t, en);
  const want = new Set(m.images.map((i) => i.ref));
  const extra = [...tagged.keys()].filter((t) => !want.has(t));
  if (extra.length) throw refuse(file, `${IMAGES} holds images the manifest does not list: ${extra.join(', ')}`);
  for (const img of m.images) {
    const en = tagged.get(img.ref);
    if (!en) throw refuse(file, `${IMAGES} does not hold ${img.ref}`);
    const cfgHash = hashOf(en.Config);
    const cfg = small.get(en.Config);
    if (!cfgHash || !cfg) throw refuse(file, `${IMAGES} lacks the config of ${img.ref}`);
    if (`sha256:${cfgHash}` !== img.id) throw refuse(file, `${img.ref}: its config hashes to sha256:${cfgHash}, the manifest says ${img.id}: the bundle was changed after it was saved`);
    let diffIds: string[] = [];
    try {
      diffIds = (JSON.parse(cfg.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
    } catch {
      throw refuse(file, `${img.ref}: its config is not JSON`);
    }
    if (diffIds.length !== en.Layers.length) throw refuse(file, `${img.ref}: ${en.Layers.length} layers, its config names ${diffIds.length}`);
    en.Layers.forEach((l, i) => {
      const h = hashOf(l);
      if (!h) throw refuse(file, `${img.ref}: layer ${l} is missing from ${IMAGES}`);
      if (`sha256:${h}` !== diffIds[i]) throw refuse(file, `${img.ref}: layer ${l} hashes to sha256:${h}, its config says ${diffIds[i]}: the bundle was changed after it was saved`);
    });
  }
}

/** Reads and checks a bundle's manifest and images.tar (into `extractTo`), without touching the engine. */
export async function checkBundle(file: string, extractTo: string, expected?: { base: string; refs: { role: string; ref: string }[] }): Promise<BundleManifest> {
  const names: string[] = [];
  let manifestText: Buffer | undefined;
  let innerDone: Promise<unknown> = Promise.resolve();
  const h = createHash('sha256');
  let bytes = 0;
  try {
    await fsp.stat(file);
  } catch (e) {
    throw new LabError(`cannot read ${file}: ${(e as Error).message}`, { hint: 'Give the path of a file `lab images save` wrote.' });
  }
  try {
    await parseTar(file, (e) => {
      const name = e.path.replace(/^\.\//, '');
      names.push(`${name}${e.type === 'File' || e.type === 'OldFile' ? '' : ` (${e.type})`}`);
      if ((e.type === 'File' || e.type === 'OldFile') && name === MANIFEST && (e.size ?? 0) < 1024 * 1024) {
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () => (manifestText = Buffer.concat(chunks)));
      } else if ((e.type === 'File' || e.type === 'OldFile') && name === IMAGES && names.filter((n) => n === IMAGES).length === 1) {
        const out = createWriteStream(extractTo, { flags: 'wx' });
        innerDone = Promise.race([once(out, 'finish'), once(out, 'error').then(([err]) => Promise.reject(err))]);
        innerDone.catch(() => undefined);
        e.on('data', (c: Buffer) => {
          h.update(c);
          bytes += c.length;
        });
        e.pipe(out);
      } else e.resume();
    });
    await innerDone;
  } catch (e) {
    if (e instanceof LabError) throw e;
    throw refuse(file, `not a tar archive (${(e as Error).message}), so not a lab images bundle`);
  }
  const expectedNames = [MANIFEST, IMAGES];
  if (names.length !== 2 || !expectedNames.every((n) => names.includes(n))) {
    throw refuse(file, `not a lab images bundle: it holds ${names.slice(0, 6).join(', ') || 'nothing'}${names.length > 6 ? ', …' : ''}, not exactly ${expectedNames.join(' and ')}`);
  }
  let m: BundleManifest;
  try {
    const parsed = BundleManifest.safeParse(JSON.parse(manifestText!.toString('utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    m = parsed.data;
  } catch (e) {
    throw refuse(file, `its ${MANIFEST} is not a lab images manifest (${(e as Error).message})`);
  }
  // Foreign: another lab version (other templates, so other content-hash tags) or another base.
  const mine = expected ?? { base: m.base, refs: [{ role: 'base', ref: m.base }, ...IMAGE_NAMES.map((r) => ({ role: r, ref: imageRefs(m.base)[r]! }))] };
  if (m.base !== REGISTRY_BASE && m.base !== offlineBaseRef()) {
    throw refuse(file, `it was made from a base image this lab does not build (${m.base}; this lab uses ${offlineBaseRef()} or ${REGISTRY_BASE})`, 'Save the bundle with the same version of lab as the classroom machines run.');
  }
  const theirs = new Map(m.images.map((i) => [i.role, i.ref]));
  const differ = mine.refs.filter((r) => theirs.get(r.role) !== r.ref);
  if (differ.length || m.images.length !== mine.refs.length) {
    throw refuse(
      file,
      `it holds another lab version's images (made by lab ${m.labVersion}: ${m.images.map((i) => i.ref).join(', ')}); this checkout's templates need ${mine.refs.map((r) => r.ref).join(', ')}`,
      'Save the bundle with the same version of lab (the same templates/images/) as the classroom machines run.',
    );
  }
  const got = h.digest('hex');
  if (got !== m.dockerSave.sha256 || bytes !== m.dockerSave.bytes) {
    throw refuse(file, `${IMAGES} is ${bytes} bytes with sha256 ${got}, the manifest says ${m.dockerSave.bytes} bytes with ${m.dockerSave.sha256}: the bundle is damaged or was changed after it was saved`);
  }
  await inspectDockerSave(extractTo, m, file);
  return m;
}

/** Loads a bundle into the engine after checking it; then checks every tag points at its recorded image. */
export async function loadBundle(runtime: Runtime, file: string, opts: { log?: (line: string) => void } = {}): Promise<BundleManifest> {
  const log = opts.log ?? (() => {});
  const dir = path.dirname(path.resolve(file));
  const inner = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.load.tmp`);
  try {
    log('checking the bundle');
    const m = await checkBundle(file, inner);
    log(`docker load of ${m.images.length} images`);
    await runtime.loadImages(createReadStream(inner));
    const ids = new Map<string, string>();
    for (const img of await runtime.listImages()) for (const t of img.tags) ids.set(t, img.id);
    const wrong = m.images.filter((i) => ids.get(i.ref) !== i.id);
    if (wrong.length) {
      throw new BundleError(`after loading ${file}, ${wrong.map((w) => `${w.ref} is ${ids.get(w.ref) ?? 'missing'}, not ${w.id}`).join('; ')}`, { hint: 'The engine did not load what the bundle holds; try again, or rebuild the images with `lab doctor --fix`.' });
    }
    return m;
  } finally {
    await fsp.rm(inner, { force: true });
  }
}
