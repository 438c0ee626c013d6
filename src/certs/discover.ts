// Finds domains that already have a certificate under outDir, so a student's extra --domain keeps
// being maintained (renewed, re-signed after a CA rotation) on later runs without the flag.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isDomainName } from './domains.js';
import { RESERVED_DIRS } from './paths.js';

export async function existingDomains(outDir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(outDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || RESERVED_DIRS.has(e.name) || !isDomainName(e.name)) continue;
    try {
      await fs.access(path.join(outDir, e.name, 'certificate.crt'));
      found.push(e.name);
    } catch {
      /* not one of ours */
    }
  }
  return found.sort();
}
