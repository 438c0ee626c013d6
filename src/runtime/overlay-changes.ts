// A container's file changes read from its overlay2 layers on this host, for an engine that runs here.
//
// Why: Debian's Docker 20.10 answers `docker diff` by walking the container's whole file system (about
// 8,000 lstat calls and a mount for a lab node: 200 ms of CPU per call on a 2-core machine), and class
// grading proves every student node clean with two of them per node and student. The writable (upper)
// layer holds what the container changed, so walking it (a few dozen entries) gives the same list,
// reported by the engine's rules (moby's archive/changes.go):
//   - a path in the upper layer that no image layer has is added; one an image layer has is changed;
//   - a directory that only holds changes (copied up for them) is listed when something in it is, or
//     when its own mode or owner changed; its modification time does not count;
//   - a deleted path is listed once, where it was deleted: a whiteout in the upper layer, or a name the
//     image shows in a copied-up directory that the container's view no longer has (an opaque directory,
//     `rm -rf d && mkdir d`, hides the image's entries without a whiteout each).
// A remote engine's layers are not on this host, a stopped container's view is not mounted, and a user
// who cannot read the engine's data root gets EACCES: all answer `undefined`, and the runtime asks the engine.
// Links are listed, never followed. A process in the container could still swap a directory for a link
// between our lstat and readdir and have a host directory's names listed: that needs code running in the
// container (class grading refuses configs that run code, grade/code-exec.ts), and the names listed only
// taint that container, which is then recreated.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { FsChange } from './types.js';

export interface OverlayLayers {
  /** The container's writable layer (GraphDriver.Data.UpperDir). */
  upper: string;
  /** The image's layers, top first (GraphDriver.Data.LowerDir). */
  lowers: string[];
  /** The container's view, mounted while it runs (GraphDriver.Data.MergedDir). */
  merged: string;
}

/** Enough for any lab node; a container that wrote more is changed either way (what is listed taints it). */
const MAX_ENTRIES = 10_000;

/** overlayfs marks a deleted lower file with a character device 0/0 of the same name. */
const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function stat(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** What the image shows at `rel`: the top-most image layer that has the path decides. */
function inImage(lowers: string[], rel: string): Stats | undefined {
  for (const l of lowers) {
    const st = stat(path.join(l, rel));
    if (st) return isWhiteout(st) ? undefined : st;
  }
  return undefined;
}

/** The names the image shows in directory `rel` (whiteouts of upper image layers hide lower ones). */
function imageNames(lowers: string[], rel: string): Set<string> {
  const shown = new Set<string>();
  const hidden = new Set<string>();
  for (const l of lowers) {
    let entries;
    try {
      entries = readdirSync(path.join(l, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (shown.has(e.name) || hidden.has(e.name)) continue;
      if (e.isCharacterDevice() && isWhiteout(lstatSync(path.join(l, rel, e.name)))) hidden.add(e.name);
      else shown.add(e.name);
    }
  }
  return shown;
}

export function overlayChanges(layers: OverlayLayers): FsChange[] | undefined {
  const { upper, lowers, merged } = layers;
  if (!stat(upper)?.isDirectory() || !stat(merged)?.isDirectory()) return undefined;
  const out: FsChange[] = [];
  /** Lists the changes under `rel` into `out`; true when it listed any. */
  const walk = (rel: string): boolean => {
    const start = out.length;
    const names = readdirSync(path.join(upper, rel));
    for (const name of names.sort()) {
      if (out.length >= MAX_ENTRIES) break;
      const r = path.posix.join(rel, name);
      const st = lstatSync(path.join(upper, r));
      if (isWhiteout(st)) {
        out.push({ path: `/${r}`, kind: 'deleted' });
        continue;
      }
      const before = inImage(lowers, r);
      if (st.isDirectory() && before?.isDirectory()) {
        const at = out.length;
        const inside = walk(r);
        if (inside || st.mode !== before.mode || st.uid !== before.uid || st.gid !== before.gid) out.splice(at, 0, { path: `/${r}`, kind: 'changed' });
        continue;
      }
      out.push({ path: `/${r}`, kind: before ? 'changed' : 'added' });
      if (st.isDirectory()) walk(r);
    }
    // Names the image shows here that the container's view lost without a whiteout (an opaque directory).
    if (rel && inImage(lowers, rel)?.isDirectory()) {
      const now = new Set(readdirSync(path.join(merged, rel)));
      const whiteouts = new Set(out.slice(start).filter((c) => c.kind === 'deleted').map((c) => c.path));
      for (const n of [...imageNames(lowers, rel)].sort()) {
        const p = `/${path.posix.join(rel, n)}`;
        if (!now.has(n) && !whiteouts.has(p)) out.push({ path: p, kind: 'deleted' });
      }
    }
    return out.length > start;
  };
  try {
    walk('');
  } catch {
    // The container removed something while we walked, or a layer is unreadable: let the engine answer.
    return undefined;
  }
  return out;
}
