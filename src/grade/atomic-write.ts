// Writes that are either complete or absent: a temporary file in the same folder, flushed, then
// renamed over the target (rename is atomic within a file system). A class run killed at any moment
// leaves each result either the old version, the new one, or a `.tmp` file that readers skip.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export const TMP_SUFFIX = '.tmp';

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
  const fh = await fsp.open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  // The rename itself survives a crash only once the folder is flushed; not every file system allows it.
  const d = await fsp.open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => {});
  await d?.close();
}
