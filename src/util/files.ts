import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FileError } from './errors.js';

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

/**
 * Fails with one line when lab could not create files in `dir`: a file stands where it or a parent folder
 * should be, or its file system is read-only (both deny root too). `flag` names the option that chooses
 * the folder, for the hint. Nothing is created here.
 */
export function assertWritableFolder(dir: string, flag: string): void {
  let p = path.resolve(dir);
  while (!existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  if (!statSync(p).isDirectory()) {
    throw new FileError(p, undefined, 'is a file, not a folder', { hint: `Move it away, or choose another folder (${flag}).` });
  }
  try {
    accessSync(p, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'read-only file system' : `not writable (${code ?? 'error'})`;
    throw new FileError(path.resolve(dir), undefined, why, {
      hint: code === 'EROFS' ? `Choose a folder on a writable file system (${flag}).` : `Check the permissions of ${p}, or choose another folder (${flag}).`,
      cause: e,
    });
  }
}

/** inode of a host path, or undefined when it does not exist (a folder replaced by rm -rf + cp -r has a new one). */
export function inodeOf(p: string): number | undefined {
  try {
    return statSync(p).ino;
  } catch {
    return undefined;
  }
}
