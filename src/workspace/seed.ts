// The student's workspace: ./workspace/<exp>/<role>/…, seeded from the experiment's start/ files
// (and the shared defaults in templates/workspace/ for roles the experiment does not change).
// Seeding only ever adds missing files: what the student wrote is never overwritten here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Lab } from '../labs/load.js';
import { diskWriter, type FileWriter } from '../util/file-writer.js';
import { assertWritableFolder, walkFiles } from '../util/files.js';
import { templatesDir } from '../util/paths.js';
import { courseFileBytes } from '../state/secrets.js';

export function defaultWorkspaceDir(cwd: string, expId: string): string {
  return path.join(cwd, 'workspace', expId);
}

/** The start files of an experiment: its own start/ plus the shared defaults for roles it leaves out. */
export function startFiles(lab: Lab): Map<string, string> {
  const files = new Map<string, string>();
  const defaults = path.join(templatesDir, 'workspace');
  const ownRoles = new Set(existsSync(lab.startDir) ? readdirSync(lab.startDir) : []);
  for (const rel of walkFiles(defaults)) {
    if (!ownRoles.has(rel.split('/')[0]!)) files.set(rel, path.join(defaults, rel));
  }
  for (const rel of walkFiles(lab.startDir)) files.set(rel, path.join(lab.startDir, rel));
  return files;
}

/**
 * Folders that must exist in the workspace for the nodes' mounts: the PEM bundles are mounted at
 * /etc/haproxy/certs inside the read-only /etc/haproxy mount, and Docker cannot create it there.
 */
export function mountPoints(workspaceDir: string, files: Iterable<string>): string[] {
  return [...files].some((rel) => rel.startsWith('haproxy/')) ? [path.join(workspaceDir, 'haproxy', 'certs')] : [];
}

/**
 * Adds the experiment's missing start files and mount points to the workspace (never overwrites); returns
 * what it added. With a lab stats password, start files carry it in place of the course's 123456.
 */
export function seedWorkspace(lab: Lab, workspaceDir: string, writer: FileWriter = diskWriter, statsPassword?: string): string[] {
  assertWritableFolder(workspaceDir, '--workspace');
  const seeded: string[] = [];
  const files = startFiles(lab);
  for (const [rel, src] of files) {
    const dest = path.join(workspaceDir, rel);
    if (existsSync(dest)) continue;
    const bytes = courseFileBytes(src, statsPassword);
    if (bytes.equals(readFileSync(src))) writer.copyIfMissing(src, dest);
    else writer.write(dest, bytes);
    seeded.push(rel);
  }
  for (const dir of mountPoints(workspaceDir, files.keys())) writer.mkdir(dir);
  return seeded;
}
