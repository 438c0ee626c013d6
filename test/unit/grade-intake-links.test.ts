// Review finding: a folder submission whose haproxy.cfg is a hard link (e.g. left by extracting a
// student's archive with link entries) is any file of the teacher's machine under another name. Its
// content would reach validator messages, results and the class report, so intake refuses it, as it
// refuses symbolic links.
import { describe, expect, it } from 'vitest';
import { cpSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { readSubmission } from '../../src/grade/submission.js';
import { formatProblem } from '../../src/grade/types.js';

const exp2 = loadLab('exp2');

describe('folder submissions and hard links', () => {
  it('refuses an experiment file with a second name elsewhere, and never reads it', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-hardlink-'));
    try {
      const dir = path.join(tmp, 'mallory');
      cpSync(exp2.startDir, dir, { recursive: true });
      const secret = path.join(tmp, 'teacher-secret.txt');
      writeFileSync(secret, 'teacher only\n');
      rmSync(path.join(dir, 'haproxy', 'haproxy.cfg'));
      linkSync(secret, path.join(dir, 'haproxy', 'haproxy.cfg'));
      const s = await readSubmission(dir, exp2);
      expect(s.problems.map(formatProblem).join('\n')).toMatch(/haproxy\/haproxy\.cfg: is a hard link/);
      expect([...s.files.values()].some((b) => b.toString().includes('teacher only'))).toBe(false);
      expect(readFileSync(secret, 'utf8')).toBe('teacher only\n');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
