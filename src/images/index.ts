// The lab's images: one per role, built from templates/images/<role>/ on a Debian base, tagged by a
// hash of their build context and base so they are rebuilt only when something in them changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../runtime/types.js';
import { stableHash } from '../util/hash.js';
import { templatesDir } from '../util/paths.js';
import { LAB_VERSION } from '../version.js';
import { ensureBase, offlineBaseRef, resolveBaseRef } from './base.js';
import { acquireDirLock, imageLockDir, type DirLock } from '../util/dir-lock.js';
import { walkFiles } from '../util/files.js';
import { IMAGE_NAMES as KIND_IMAGES } from '../topology/kinds/index.js';
import type { Progress } from '../progress/progress.js';

export { ensureBase, offlineBaseRef, resolveBaseRef, REGISTRY_BASE } from './base.js';
export { debianMirror } from './mirror.js';

/** The image folders under templates/images/ that the node kinds use. */
export type ImageName = string;
export const IMAGE_NAMES: ImageName[] = KIND_IMAGES;

export interface ImageState {
  role: ImageName | 'base';
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
export function roleRef(role: ImageName, baseRef: string, imagesDir = imagesTemplateDir): string {
  return `lab-${role}:${stableHash({ context: contextHash(path.join(imagesDir, role)), base: baseRef })}`;
}

/** Pure and cheap: the tag each role image has for the given base (default: the offline base's tag). */
export function imageRefs(baseRef: string = offlineBaseRef(), imagesDir = imagesTemplateDir): Record<ImageName, string> {
  return Object.fromEntries(IMAGE_NAMES.map((r) => [r, roleRef(r, baseRef, imagesDir)])) as Record<ImageName, string>;
}

/** Which of the lab's images (base and roles) exist on the engine, with sizes. Two engine calls. */
export async function imageStatus(runtime: Runtime): Promise<ImageState[]> {
  const baseRef = await resolveBaseRef(runtime);
  const refs = imageRefs(baseRef);
  const sizes = new Map<string, number>();
  for (const img of await runtime.listImages()) for (const t of img.tags) sizes.set(t, img.sizeBytes);
  const state = (role: ImageName | 'base', ref: string): ImageState =>
    sizes.has(ref) ? { role, ref, present: true, sizeBytes: sizes.get(ref) } : { role, ref, present: false };
  return [state('base', baseRef), ...IMAGE_NAMES.map((r) => state(r, refs[r]))];
}

function buildOptions(role: ImageName, ref: string, baseRef: string, onLine?: (l: string) => void) {
  return {
    contextDir: path.join(imagesTemplateDir, role),
    tag: ref,
    buildArgs: { BASE: baseRef },
    labels: { [IMAGE_LABEL]: role, 'lab.version': LAB_VERSION, 'lab.base': baseRef },
    onLine,
  };
}

/** True when the base and every role image exist: the fast path, no lock. */
async function allPresent(runtime: Runtime): Promise<{ baseRef: string; refs: Record<ImageName, string>; ok: boolean }> {
  const baseRef = await resolveBaseRef(runtime);
  const refs = imageRefs(baseRef);
  const present = await Promise.all([baseRef, ...Object.values(refs)].map((r) => runtime.imageExists(r)));
  return { baseRef, refs, ok: present.every(Boolean) };
}

/**
 * Makes sure the base and every lab image exist and returns their refs: one progress task for the base,
 * then one per missing image, two at a time. While building, this process holds the machine's
 * image-build lock (another `lab` waits for it). The fast path (everything present) takes no lock.
 */
export async function ensureImages(runtime: Runtime, progress: Progress): Promise<Record<ImageName, string>> {
  const quick = await allPresent(runtime);
  if (quick.ok) return quick.refs;
  let refs = quick.refs;
  let baseRef = quick.baseRef;
  let lock: DirLock | undefined;
  try {
    await progress.run([
      {
        title: 'Base image',
        run: async (ctl) => {
          lock = await acquireDirLock(imageLockDir(), (line) => ctl.output(line));
          if (await runtime.imageExists(baseRef)) {
            ctl.title(`Base image ${baseRef} present`);
            return;
          }
          baseRef = await ensureBase(runtime, (line) => {
            if (line.startsWith('no registry answered')) ctl.title(`Base image: ${line}`);
            ctl.output(line);
          });
          ctl.title(`Base image ${baseRef} built`);
        },
      },
      {
        title: 'Lab images',
        run: async (ctl) => {
          refs = imageRefs(baseRef);
          const present = await Promise.all(IMAGE_NAMES.map((r) => runtime.imageExists(refs[r]!)));
          const missing = IMAGE_NAMES.filter((_, i) => !present[i]);
          if (missing.length === 0) {
            ctl.title(`Lab images present (${IMAGE_NAMES.length})`);
            return;
          }
          ctl.title(`Building ${missing.length} lab image${missing.length === 1 ? '' : 's'}`);
          await ctl.subtasks(
            missing.map((name) => ({
              title: refs[name]!,
              run: async (sub) => {
                const started = Date.now();
                await runtime.buildImage(
                  buildOptions(name, refs[name]!, baseRef, (line) => {
                    if (/^Step \d+\/\d+/.test(line) || line.startsWith('Successfully')) sub.output(line);
                  }),
                );
                sub.title(`${refs[name]} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
              },
            })),
            { concurrent: BUILD_CONCURRENCY },
          );
        },
      },
    ]);
  } finally {
    lock?.release();
  }
  return refs;
}
