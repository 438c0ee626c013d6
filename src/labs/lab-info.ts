// Which workspace and certificate folders a running lab mounts, recorded by `lab up` in
// .lab/<name>/workspace.json, so `lab apply`, `reset` and `solve` find them without flags.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from '../util/paths.js';

export interface LabInfo {
  experiment: string;
  /** Absolute paths. */
  workspaceDir: string;
  certsDir: string;
}

function infoFile(cwd: string, lab: string): string {
  return path.join(stateDir(cwd, lab), 'workspace.json');
}

export function readLabInfo(cwd: string, lab: string): LabInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(infoFile(cwd, lab), 'utf8')) as Partial<LabInfo>;
    if (typeof v.experiment === 'string' && typeof v.workspaceDir === 'string' && typeof v.certsDir === 'string') return v as LabInfo;
  } catch {
    // absent or damaged: callers fall back to the defaults
  }
  return undefined;
}

export function writeLabInfo(cwd: string, lab: string, info: LabInfo): void {
  const file = infoFile(cwd, lab);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
