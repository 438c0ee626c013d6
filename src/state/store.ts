// What a lab remembers on the host between runs, in one folder per lab: .lab/<name>/ beside the
// workspace. Containers and networks are found by label on the engine (the engine is the truth about
// what runs); these files only hold what the engine cannot: the config content each node last loaded.
// Every write goes through one atomic writer, so a crash never leaves half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where per-lab generated files (rendered configs, state) go: beside the user's workspace. */
export function stateDir(cwd: string, labName: string): string {
  return path.join(cwd, '.lab', labName);
}

/** Writes `content` to `file` via a temporary file and a rename: readers see the old or the new file, never a mix. */
export function writeAtomic(file: string, content: string | Buffer, mode?: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // absent or damaged: callers fall back to defaults
  }
}

const appliedFile = (cwd: string, lab: string) => path.join(stateDir(cwd, lab), 'applied.json');

/** The content hash each node last loaded (decides reload-or-not). */
export function readApplied(cwd: string, lab: string): Record<string, string> {
  return readJson<Record<string, string>>(appliedFile(cwd, lab)) ?? {};
}

export function writeApplied(cwd: string, lab: string, applied: Record<string, string>): void {
  writeAtomic(appliedFile(cwd, lab), `${JSON.stringify(applied, null, 2)}\n`);
}

const resultFile = (cwd: string, lab: string, exp: string) => path.join(stateDir(cwd, lab), 'results', `${exp}.json`);

/** The last `lab check` report of an experiment in this project (for `lab list`). */
export function readLastResult<T>(cwd: string, lab: string, exp: string): T | undefined {
  return readJson<T>(resultFile(cwd, lab, exp));
}

export function writeLastResult(cwd: string, lab: string, exp: string, result: unknown): void {
  writeAtomic(resultFile(cwd, lab, exp), `${JSON.stringify(result, null, 2)}\n`);
}
