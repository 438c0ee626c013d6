// The student's workspace: ./workspace/<exp>/<role>/…, seeded from the experiment's start/ files
// (and the shared defaults in templates/workspace/ for roles the experiment does not change).
// Seeding only ever adds missing files: what the student wrote is never overwritten here.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../util/paths.js';
import { walkFiles } from '../util/files.js';

export { walkFiles };
import type { Lab } from './load.js';

export function defaultWorkspaceDir(cwd: string, expId: string): string {
  return path.join(cwd, 'workspace', expId);
}

/** The start files of an experiment: its own start/ plus the shared defaults for roles it leaves out. */
export function startFiles(lab: Lab): Map<string, string> {
  const files = new Map<string, string>();
  const defaults = path.join(templatesDir, 'workspace');
  const ownRoles = new Set(existsSync(lab.startDir) ? readdirSync(lab.startDir) : []);
  for (const rel of walkFiles(defaults)) {
    if (!ownRoles.has(rel.split(path.sep)[0]!)) files.set(rel, path.join(defaults, rel));
  }
  for (const rel of walkFiles(lab.startDir)) files.set(rel, path.join(lab.startDir, rel));
  return files;
}

export interface SeedResult {
  dir: string;
  seeded: string[];
}

export function seedWorkspace(lab: Lab, dir: string): SeedResult {
  const seeded: string[] = [];
  for (const [rel, src] of startFiles(lab)) {
    const dest = path.join(dir, rel);
    if (existsSync(dest)) continue;
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    seeded.push(rel);
  }
  // Mount point for the PEM bundles inside the read-only /etc/haproxy mount: Docker cannot create it there.
  if (existsSync(path.join(dir, 'haproxy'))) mkdirSync(path.join(dir, 'haproxy', 'certs'), { recursive: true });
  return { dir, seeded };
}

/** Hash input for a config source: every file's path and content (directories recurse). */
export function filesOf(source: string): string[] {
  if (!existsSync(source)) return [];
  return statSync(source).isDirectory() ? walkFiles(source).map((f) => path.join(source, f)) : [source];
}
