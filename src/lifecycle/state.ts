// What a lab remembers on the host between runs: the config content each node last loaded.
// Containers and networks are found by label; this file only decides reload-or-not.
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from '../util/paths.js';

function appliedFile(cwd: string, lab: string): string {
  return path.join(stateDir(cwd, lab), 'applied.json');
}

export function readApplied(cwd: string, lab: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(appliedFile(cwd, lab), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

export function writeApplied(cwd: string, lab: string, applied: Record<string, string>): void {
  const file = appliedFile(cwd, lab);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(applied, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
