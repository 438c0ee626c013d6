import { existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { walkFiles } from '../util/files.js';

/** Every file a config source stands for: the file itself, or every file below a folder. */
function filesOf(source: string): string[] {
  if (!existsSync(source)) return [];
  return statSync(source).isDirectory() ? walkFiles(source).map((f) => path.join(source, f)) : [source];
}

/** Hash of every file under the given paths (path and bytes), to tell whether a reload is due. */
export function contentHash(sources: string[]): string {
  const h = createHash('sha256');
  for (const src of sources) {
    for (const file of filesOf(src)) {
      h.update(file).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return h.digest('hex').slice(0, 16);
}
