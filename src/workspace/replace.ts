// Changing the student's workspace safely: every change that would overwrite or remove a file the
// student has is preceded by a complete, verified backup to <workspace>/../.backups/<exp>-<timestamp>/.
// If the backup fails, nothing is changed.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../util/errors.js';
import type { Lab } from '../labs/load.js';
import { assertWritableFolder, walkFiles } from '../util/files.js';
import { startFiles } from './seed.js';
import { courseFileBytes } from '../state/secrets.js';

/** Files of the workspace that belong to the student (not backups, not the certs mount point). */
export function workspaceFiles(dir: string): string[] {
  return walkFiles(dir).filter((f) => {
    const parts = f.split(path.sep);
    return !parts.includes('.backups') && !(parts[0] === 'haproxy' && parts[1] === 'certs');
  });
}

/** Where backups of a workspace go: beside it, e.g. workspace/.backups/exp2-2026-11-25T09-48-46-123Z/. */
export function backupsDir(workspaceDir: string): string {
  return path.join(path.dirname(path.resolve(workspaceDir)), '.backups');
}

export function timestamp(now = new Date()): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

export interface Backup {
  dir: string;
  files: string[];
}

/** Copies every student file of the workspace into a new timestamped folder and checks the copy. */
export function backupWorkspace(workspaceDir: string, expId: string, now = new Date()): Backup {
  const files = workspaceFiles(workspaceDir);
  let dir = path.join(backupsDir(workspaceDir), `${expId}-${timestamp(now)}`);
  for (let n = 1; existsSync(dir); n++) dir = path.join(backupsDir(workspaceDir), `${expId}-${timestamp(now)}-${n}`);
  try {
    mkdirSync(dir, { recursive: true });
    for (const rel of files) {
      const dest = path.join(dir, rel);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(path.join(workspaceDir, rel), dest);
      if (!readFileSync(dest).equals(readFileSync(path.join(workspaceDir, rel)))) throw new Error(`copy of ${rel} differs`);
    }
  } catch (e) {
    throw new LabError(`could not back up ${workspaceDir} to ${dir}: ${(e as Error).message}`, {
      cause: e,
      hint: 'Nothing in the workspace was changed. Check the free space and permissions of that folder.',
    });
  }
  return { dir, files };
}

export function listBackups(workspaceDir: string, expId: string): string[] {
  const dir = backupsDir(workspaceDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith(`${expId}-`) && statSync(path.join(dir, n)).isDirectory())
    .sort()
    .map((n) => path.join(dir, n));
}

/** The workspace of the reference answer: start files, with every role solution/ has replaced by its files. */
export function solutionFiles(lab: Lab): Map<string, string> {
  const files = startFiles(lab);
  const solved = walkFiles(lab.solutionDir);
  const roles = new Set(solved.map((f) => f.split(path.sep)[0]!));
  for (const rel of [...files.keys()]) if (roles.has(rel.split(path.sep)[0]!)) files.delete(rel);
  for (const rel of solved) files.set(rel, path.join(lab.solutionDir, rel));
  return files;
}

export interface ReplaceResult {
  /** Undefined when the workspace already matched and nothing was touched. */
  backup?: Backup;
  written: string[];
  removed: string[];
}

/**
 * Makes the workspace hold exactly `target` (workspace-relative path → source file or content): changed files are
 * rewritten, missing ones added, extra ones removed. Backs the workspace up first whenever a file the
 * student has would be overwritten or removed.
 */
export function replaceWorkspace(workspaceDir: string, expId: string, target: Map<string, string | Buffer>, now = new Date()): ReplaceResult {
  assertWritableFolder(workspaceDir, '--workspace');
  const current = workspaceFiles(workspaceDir);
  const bytes = (rel: string) => {
    const v = target.get(rel)!;
    return typeof v === 'string' ? readFileSync(v) : v;
  };
  const differs = (rel: string) => !readFileSync(path.join(workspaceDir, rel)).equals(bytes(rel));
  const toWrite = [...target.keys()].filter((rel) => !current.includes(rel) || differs(rel)).sort();
  const toRemove = current.filter((rel) => !target.has(rel));
  if (!toWrite.length && !toRemove.length) return { written: [], removed: [] };
  const destructive = toRemove.length > 0 || toWrite.some((rel) => current.includes(rel));
  const backup = destructive ? backupWorkspace(workspaceDir, expId, now) : undefined;
  for (const rel of toRemove) rmSync(path.join(workspaceDir, rel));
  for (const rel of toWrite) {
    const dest = path.join(workspaceDir, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, bytes(rel));
  }
  if (existsSync(path.join(workspaceDir, 'haproxy'))) mkdirSync(path.join(workspaceDir, 'haproxy', 'certs'), { recursive: true });
  return { backup, written: toWrite, removed: toRemove };
}

/** Course files (rel → path) as the workspace gets them: with the lab's stats password where one is set. */
export function courseFiles(files: Map<string, string>, statsPassword: string | undefined): Map<string, Buffer> {
  return new Map([...files].map(([rel, src]) => [rel, courseFileBytes(src, statsPassword)]));
}

/** `lab reset`: the start files again, the student's work in a backup. */
export function resetWorkspace(lab: Lab, workspaceDir: string, now = new Date(), statsPassword?: string): ReplaceResult {
  return replaceWorkspace(workspaceDir, lab.id, courseFiles(startFiles(lab), statsPassword), now);
}

/** `lab solve`: the reference answer, the student's work in a backup. */
export function solveWorkspace(lab: Lab, workspaceDir: string, now = new Date(), statsPassword?: string): ReplaceResult {
  return replaceWorkspace(workspaceDir, lab.id, courseFiles(solutionFiles(lab), statsPassword), now);
}

/**
 * A guided step's "do it for me" edit: copy one file from solution/ into the workspace (the student's
 * copy is backed up first when it differs). The caller then applies.
 */
export function copyFromSolution(lab: Lab, workspaceDir: string, rel: string, now = new Date()): ReplaceResult {
  const src = path.join(lab.solutionDir, rel);
  if (!existsSync(src)) throw new LabError(`${lab.id} has no solution file ${rel}`, { hint: `Files in solution/: ${walkFiles(lab.solutionDir).join(', ')}.` });
  const dest = path.join(workspaceDir, rel);
  if (existsSync(dest) && readFileSync(dest).equals(readFileSync(src))) return { written: [], removed: [] };
  const backup = existsSync(dest) ? backupWorkspace(workspaceDir, lab.id, now) : undefined;
  mkdirSync(path.dirname(dest), { recursive: true });
  copyFileSync(src, dest);
  return { backup, written: [rel], removed: [] };
}
