import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every regular file below `dir`, as sorted paths relative to it with `/` separators ([] when `dir` is missing). */
export function walkFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(full, base));
    else if (entry.isFile()) out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/** inode of a host path, or undefined when it does not exist (a folder replaced by rm -rf + cp -r has a new one). */
export function inodeOf(p: string): number | undefined {
  try {
    return statSync(p).ino;
  } catch {
    return undefined;
  }
}
