// The lab's images: one per role, built from templates/images/<role>/ on a Debian base, tagged by a
// hash of their build context and base so they are rebuilt only when something in them changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ListrTask } from 'listr2';
import type { Runtime } from '../runtime/types.js';
import { stableHash } from '../util/hash.js';
import { templatesDir } from '../util/paths.js';
import { LAB_VERSION } from '../version.js';
import { ensureBase, offlineBaseRef, resolveBaseRef } from './base.js';
import { acquireBuildLock, type BuildLock } from './lock.js';
import { walkFiles } from '../util/files.js';

export { ensureBase, offlineBaseRef, resolveBaseRef, REGISTRY_BASE } from './base.js';
export { debianMirror } from './mirror.js';

export type ImageRole = 'client' | 'director' | 'haproxy' | 'nginx' | 'app';
export const IMAGE_ROLES: ImageRole[] = ['client', 'director', 'haproxy', 'nginx', 'app'];

export interface ImageState {
  role: ImageRole | 'base';
  ref: string;
  present: boolean;
  sizeBytes?: number;
}

/** Label every lab image carries, so `lab doctor` can list them. */
export const IMAGE_LABEL = 'lab.image';
/** How many role images build at once (our machines have 2 cores). */
export const BUILD_CONCURRENCY = 2;

export const imagesTemplateDir = path.join(templatesDir, 'images');

const contextCache = new Map<string, string>();

/** Hash of a build context: every file's relative name and content. Cached per process. */
export function contextHash(dir: string): string {
  const cached = contextCache.get(dir);
  if (cached) return cached;
  const files: Record<string, string> = {};
  for (const rel of walkFiles(dir)) {
    files[rel] = createHash('sha256').update(readFileSync(path.join(dir, rel))).digest('hex');
  }
  const h = stableHash(files, 64);
  contextCache.set(dir, h);
  return h;
}

/** Forget cached context hashes (tests that edit templates). */
export function clearContextCache(): void {
  contextCache.clear();
}

/** Tag of one role image: `lab-<role>:<hash of context + base>`. */
export function roleRef(role: ImageRole, baseRef: string, imagesDir = imagesTemplateDir): string {
  return `lab-${role}:${stableHash({ context: contextHash(path.join(imagesDir, role)), base: baseRef })}`;
}

/** Pure and cheap: the tag each role image has for the given base (default: the offline base's tag). */
export function imageRefs(baseRef: string = offlineBaseRef(), imagesDir = imagesTemplateDir): Record<ImageRole, string> {
  return Object.fromEntries(IMAGE_ROLES.map((r) => [r, roleRef(r, baseRef, imagesDir)])) as Record<ImageRole, string>;
}

/** Which of the lab's images (base and roles) exist on the engine, with sizes. Two engine calls. */
export async function imageStatus(runtime: Runtime): Promise<ImageState[]> {
  const baseRef = await resolveBaseRef(runtime);
  const refs = imageRefs(baseRef);
  const sizes = new Map<string, number>();
  for (const img of await runtime.listImages()) for (const t of img.tags) sizes.set(t, img.sizeBytes);
  const state = (role: ImageRole | 'base', ref: string): ImageState =>
    sizes.has(ref) ? { role, ref, present: true, sizeBytes: sizes.get(ref) } : { role, ref, present: false };
  return [state('base', baseRef), ...IMAGE_ROLES.map((r) => state(r, refs[r]))];
}

function buildOptions(role: ImageRole, ref: string, baseRef: string, onLine?: (l: string) => void) {
  return {
    contextDir: path.join(imagesTemplateDir, role),
    tag: ref,
    buildArgs: { BASE: baseRef },
    labels: { [IMAGE_LABEL]: role, 'lab.version': LAB_VERSION, 'lab.base': baseRef },
    onLine,
  };
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure after all settle. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}

/** True when the base and every role image exist: the fast path, no lock. */
async function allPresent(runtime: Runtime): Promise<{ baseRef: string; refs: Record<ImageRole, string>; ok: boolean }> {
  const baseRef = await resolveBaseRef(runtime);
  const refs = imageRefs(baseRef);
  const present = await Promise.all([baseRef, ...Object.values(refs)].map((r) => runtime.imageExists(r)));
  return { baseRef, refs, ok: present.every(Boolean) };
}

/** Builds the base (if needed) and every missing role image, without listr. Returns the role refs. */
export async function ensureImages(runtime: Runtime, log: (line: string) => void = () => {}): Promise<Record<ImageRole, string>> {
  const quick = await allPresent(runtime);
  if (quick.ok) {
    log(`base image ${quick.baseRef} is present`);
    for (const role of IMAGE_ROLES) log(`${quick.refs[role]} is present`);
    return quick.refs;
  }
  const lock = await acquireBuildLock(log);
  try {
    const baseRef = await ensureBase(runtime, log);
    const refs = imageRefs(baseRef);
    const missing: ImageRole[] = [];
    for (const role of IMAGE_ROLES) {
      if (await runtime.imageExists(refs[role])) log(`${refs[role]} is present`);
      else missing.push(role);
    }
    await pool(missing, BUILD_CONCURRENCY, async (role) => {
      log(`building ${refs[role]}`);
      const started = Date.now();
      await runtime.buildImage(buildOptions(role, refs[role], baseRef));
      log(`built ${refs[role]} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    return refs;
  } finally {
    lock.release();
  }
}

/**
 * listr2 tasks that build what is missing: one task for the base, then one per role image,
 * two at a time. The resolved refs are stored on the context as `ctx.images` when it is an object.
 * While building, this process holds the machine's image-build lock (another `lab` waits for it).
 */
export function imageTasks<Ctx>(runtime: Runtime): ListrTask<Ctx>[] {
  let baseRef = '';
  let lock: BuildLock | undefined;
  let done = false;
  const release = () => {
    lock?.release();
    lock = undefined;
  };
  return [
    {
      title: 'Base image',
      task: async (ctx, task) => {
        const quick = await allPresent(runtime);
        baseRef = quick.baseRef;
        if (quick.ok) {
          done = true;
          if (ctx && typeof ctx === 'object') (ctx as { images?: Record<ImageRole, string> }).images = quick.refs;
          task.title = `Images present (base ${baseRef} and ${IMAGE_ROLES.length} lab images)`;
          return;
        }
        lock = await acquireBuildLock((line) => (task.output = line));
        try {
          if (await runtime.imageExists(baseRef)) {
            task.title = `Base image ${baseRef} present`;
            return;
          }
          baseRef = await ensureBase(runtime, (line) => {
            if (line.startsWith('no registry answered')) task.title = `Base image: ${line}`;
            task.output = line;
          });
          task.title = `Base image ${baseRef} built`;
        } catch (e) {
          release();
          throw e;
        }
      },
    },
    {
      title: 'Lab images',
      skip: () => done,
      task: async (ctx, task) => {
        const refs = imageRefs(baseRef);
        if (ctx && typeof ctx === 'object') (ctx as { images?: Record<ImageRole, string> }).images = refs;
        const present = await Promise.all(IMAGE_ROLES.map((r) => runtime.imageExists(refs[r])));
        const missing = IMAGE_ROLES.filter((_, i) => !present[i]);
        if (missing.length === 0) {
          release();
          task.title = `Lab images present (${IMAGE_ROLES.length})`;
          return;
        }
        task.title = `Building ${missing.length} lab image${missing.length === 1 ? '' : 's'}`;
        let left = missing.length;
        return task.newListr(
          missing.map((role) => ({
            title: `${refs[role]}`,
            task: async (_c, sub) => {
              const started = Date.now();
              try {
                await runtime.buildImage(
                  buildOptions(role, refs[role], baseRef, (line) => {
                    if (/^Step \d+\/\d+/.test(line) || line.startsWith('Successfully')) sub.output = line;
                  }),
                );
              } catch (e) {
                release();
                throw e;
              }
              sub.title = `${refs[role]} built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
              if (--left === 0) release();
            },
          })),
          { concurrent: BUILD_CONCURRENCY, exitOnError: true },
        );
      },
    },
  ];
}
