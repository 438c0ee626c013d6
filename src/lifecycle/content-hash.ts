import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { filesOf } from '../labs/workspace.js';

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
