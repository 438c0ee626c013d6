// What a stored result was graded from, as one hash: the accepted files (path and bytes) and the
// intake problems. A resumed class run regrades a student whose hash changed, so a fixed submission
// is graded again even when the fix was outside the accepted files (e.g. a symlink removed from an
// archive that was refused as a whole) and even when the files alone are unchanged.
import { createHash } from 'node:crypto';
import { formatProblem, type Submission } from './types.js';

export function submissionHash(s: Pick<Submission, 'files' | 'problems'>): string {
  const h = createHash('sha256');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  // Length-prefixed fields: no two different inputs produce the same byte stream.
  const field = (b: Buffer) => h.update(u32(b.length)).update(b);
  const files = [...s.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update('files');
  h.update(u32(files.length));
  for (const [rel, buf] of files) {
    field(Buffer.from(rel, 'utf8'));
    field(buf);
  }
  h.update('problems');
  h.update(u32(s.problems.length));
  for (const p of s.problems) field(Buffer.from(formatProblem(p), 'utf8'));
  return `sha256:${h.digest('hex')}`;
}
