// A worker lab's workspace holds one student's files at a time. Swapping replaces exactly the
// experiment's files (the lab's `workspace:` globs): every file the globs match that the incoming set
// lacks is removed, the incoming ones are written where they differ, and nothing else in the workspace
// (other roles' start files, the certificate mount point) is touched. The folders themselves stay, so
// the containers' bind mounts keep seeing them.
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { globToRegExp } from '../labs/validate.js';
import { LabError } from '../util/errors.js';
import { workspaceFiles } from '../workspace/replace.js';
import { startFiles } from '../workspace/seed.js';
import type { Lab } from '../labs/load.js';
import { normalizeEntryPath } from './entry-path.js';
import { courseFileBytes } from '../state/secrets.js';

export interface SwapResult {
  written: string[];
  removed: string[];
}

export function matcher(globs: string[]): (rel: string) => boolean {
  const res = globs.map((g) => globToRegExp(g));
  return (rel) => res.some((re) => re.test(rel));
}

/** The experiment's start files (the ones its globs match), as a swap-in set; with the class's stats password where one is set. */
export function startSet(lab: Lab, statsPassword?: string): Map<string, Buffer> {
  const isExp = matcher(lab.def.workspace);
  return new Map([...startFiles(lab)].filter(([rel]) => isExp(rel)).map(([rel, src]) => [rel, courseFileBytes(src, statsPassword)]));
}

/** The reference solution's experiment files (start files for what solution/ leaves out). */
export function solutionSet(lab: Lab, solution: Map<string, string>, statsPassword?: string): Map<string, Buffer> {
  const isExp = matcher(lab.def.workspace);
  return new Map([...solution].filter(([rel]) => isExp(rel)).map(([rel, src]) => [rel, courseFileBytes(src, statsPassword)]));
}

/** Makes the workspace's experiment files exactly `files` (workspace-relative path → content). */
export function swapFiles(workspaceDir: string, globs: string[], files: ReadonlyMap<string, Buffer>): SwapResult {
  const isExp = matcher(globs);
  const root = path.resolve(workspaceDir);
  for (const rel of files.keys()) {
    const n = normalizeEntryPath(rel);
    if (!n.ok || n.path !== rel || !isExp(rel)) throw new LabError(`refusing to swap in ${JSON.stringify(rel)}: not one of the experiment's files`);
  }
  const removed: string[] = [];
  for (const rel of workspaceFiles(root).map((f) => f.split(path.sep).join('/'))) {
    if (isExp(rel) && !files.has(rel)) {
      rmSync(path.join(root, rel), { force: true });
      removed.push(rel);
    }
  }
  const written: string[] = [];
  for (const [rel, content] of files) {
    const dest = path.join(root, rel);
    if (!dest.startsWith(root + path.sep)) throw new LabError(`refusing to swap in ${JSON.stringify(rel)}: outside the workspace`);
    const st = lstatOrUndefined(dest);
    if (st?.isFile() && readFileSync(dest).equals(content)) continue;
    // Only regular files are ever written; anything else in the way (a folder, a link) goes first.
    if (st && !st.isFile()) rmSync(dest, { recursive: true, force: true });
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, content, { mode: 0o644 });
    written.push(rel);
  }
  return { written: written.sort(), removed: removed.sort() };
}

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
