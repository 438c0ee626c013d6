// The only place intake's files touch the disk: a fresh, private temporary folder per submission.
// Paths were normalised by intake already; we check again that each one stays inside the folder
// (defence in depth: a Map can be built by any caller) and create files exclusively (`wx`), so
// nothing that already exists, let alone a link, is ever written through.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../util/errors.js';
import { normalizeEntryPath } from './entry-path.js';

/** Writes `files` (workspace-relative path → content) into a new folder under `tmpRoot`; returns the folder. */
export async function stageFiles(files: ReadonlyMap<string, Buffer>, tmpRoot = os.tmpdir()): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(tmpRoot, 'lab-grade-stage-'));
  try {
    for (const [rel, content] of files) {
      const n = normalizeEntryPath(rel);
      const dest = path.resolve(dir, n.ok ? n.path : '');
      if (!n.ok || n.path !== rel || !dest.startsWith(dir + path.sep)) {
        throw new LabError(`refusing to stage ${JSON.stringify(rel)}: ${n.ok ? 'not a normalised relative path' : n.message}`);
      }
      await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
      await fsp.writeFile(dest, content, { flag: 'wx', mode: 0o600 });
    }
    return dir;
  } catch (e) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export async function removeStaging(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
}
