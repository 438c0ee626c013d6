// `lab images` lists the lab's images on the engine; `lab images prune` removes the tags of older
// template versions: images labelled `lab.image` whose tag is not one this checkout uses (its base and
// imageRefs), never an image a container (any container, running or not) was made from.
import type { ImageInfo, Runtime } from '../runtime/types.js';
import { IMAGE_LABEL } from './index.js';
import { currentImages } from './bundle.js';

export interface LabImage {
  /** repo:tag, or the image ID for an untagged image. */
  ref: string;
  id: string;
  role: string;
  sizeBytes: number;
  /** One of this checkout's tags. */
  current: boolean;
  /** Containers made from it. */
  usedBy: string[];
}

const untagged = (t: string) => t === '<none>:<none>';

/** Every lab image on the engine, one row per tag (untagged ones by ID). */
export async function listLabImages(runtime: Runtime): Promise<LabImage[]> {
  const [{ refs }, images, containers] = await Promise.all([currentImages(runtime), runtime.listImages({ [IMAGE_LABEL]: '' }), runtime.listContainers({})]);
  const current = new Set(refs.map((r) => r.ref));
  const users = (img: ImageInfo, tag?: string) =>
    containers.filter((c) => c.imageId === img.id || c.image === img.id || (tag !== undefined && c.image === tag)).map((c) => c.name);
  const out: LabImage[] = [];
  for (const img of images) {
    const role = img.labels[IMAGE_LABEL] ?? '?';
    const tags = img.tags.filter((t) => !untagged(t));
    if (!tags.length) out.push({ ref: img.id, id: img.id, role, sizeBytes: img.sizeBytes, current: false, usedBy: users(img) });
    for (const t of tags) out.push({ ref: t, id: img.id, role, sizeBytes: img.sizeBytes, current: current.has(t), usedBy: users(img, t) });
  }
  return out.sort((a, b) => Number(b.current) - Number(a.current) || a.ref.localeCompare(b.ref));
}

export interface PruneResult {
  removed: LabImage[];
  /** Old tags kept because a container uses their image. */
  inUse: LabImage[];
  /** Old tags the engine would not remove (e.g. an image others are built on), with its reason. */
  failed: { image: LabImage; message: string }[];
}

/**
 * Removes the lab image tags this checkout does not use. `match` narrows which refs may go (tests on a
 * shared engine); `dryRun` only says what would go.
 */
export async function pruneImages(runtime: Runtime, opts: { dryRun?: boolean; match?: (ref: string) => boolean } = {}): Promise<PruneResult> {
  const all = await listLabImages(runtime);
  const old = all.filter((i) => !i.current && (opts.match?.(i.ref) ?? true));
  // An image some container was made from stays, under every tag it has.
  const usedIds = new Set(all.filter((i) => i.usedBy.length).map((i) => i.id));
  const candidates = old.filter((i) => !usedIds.has(i.id));
  const inUse = old.filter((i) => usedIds.has(i.id));
  const removed: LabImage[] = [];
  const failed: PruneResult['failed'] = [];
  for (const i of candidates) {
    if (opts.dryRun) {
      removed.push(i);
      continue;
    }
    try {
      await runtime.removeImage(i.ref);
      removed.push(i);
    } catch (e) {
      failed.push({ image: i, message: (e as Error).message });
    }
  }
  return { removed, inUse, failed };
}
