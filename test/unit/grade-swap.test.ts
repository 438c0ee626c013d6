// A worker's workspace holds one student's files at a time: swapping replaces exactly the experiment's
// files (lab.yaml's globs) and nothing else, never writes through a link, and refuses paths outside.
import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { seedWorkspace } from '../../src/workspace/seed.js';
import { startSet, swapFiles } from '../../src/grade/swap.js';

const exp2 = loadLab('exp2');
const globs = exp2.def.workspace;

function workspace(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lab-swap-')), 'workspace', 'exp2');
  seedWorkspace(exp2, dir);
  return dir;
}

describe('swapFiles', () => {
  it('makes the experiment files exactly the submission\'s, keeping folders and the certs mount point', () => {
    const ws = workspace();
    try {
      const confd = statSync(path.join(ws, 'nginx', 'conf.d')).ino;
      const sub = new Map([
        ['haproxy/haproxy.cfg', Buffer.from('global\n')],
        ['nginx/conf.d/only.conf', Buffer.from('# one\n')],
      ]);
      const r = swapFiles(ws, globs, sub);
      expect(r.written).toEqual(['haproxy/haproxy.cfg', 'nginx/conf.d/only.conf']);
      expect(r.removed.length).toBe(8);
      expect(readFileSync(path.join(ws, 'haproxy/haproxy.cfg'), 'utf8')).toBe('global\n');
      expect(statSync(path.join(ws, 'nginx', 'conf.d')).ino).toBe(confd);
      expect(existsSync(path.join(ws, 'haproxy', 'certs'))).toBe(true);
      // Back to the start files: the same set as seeding wrote.
      const back = swapFiles(ws, globs, startSet(exp2));
      expect(back.removed).toEqual(['nginx/conf.d/only.conf']);
      expect(swapFiles(ws, globs, startSet(exp2))).toEqual({ written: [], removed: [] });
    } finally {
      rmSync(path.dirname(path.dirname(ws)), { recursive: true, force: true });
    }
  });

  it('replaces a link in the way instead of writing through it', () => {
    const ws = workspace();
    const outside = path.join(path.dirname(ws), 'outside.txt');
    try {
      writeFileSync(outside, 'keep');
      rmSync(path.join(ws, 'haproxy/haproxy.cfg'));
      symlinkSync(outside, path.join(ws, 'haproxy/haproxy.cfg'));
      swapFiles(ws, globs, new Map([['haproxy/haproxy.cfg', Buffer.from('mine')], ...[...startSet(exp2)].filter(([k]) => k.startsWith('nginx'))]));
      expect(readFileSync(outside, 'utf8')).toBe('keep');
      expect(lstatSync(path.join(ws, 'haproxy/haproxy.cfg')).isFile()).toBe(true);
    } finally {
      rmSync(path.dirname(path.dirname(ws)), { recursive: true, force: true });
    }
  });

  it('refuses anything that is not one of the experiment\'s files', () => {
    const ws = workspace();
    try {
      for (const bad of ['../x.conf', '/etc/passwd', 'haproxy/../../x.cfg', 'keepalived/keepalived.conf', 'nginx/conf.d/x.txt', 'haproxy/certs/a.pem']) {
        expect(() => swapFiles(ws, globs, new Map([[bad, Buffer.from('x')]])), bad).toThrow(/refusing/);
      }
      mkdirSync(path.join(ws, 'nginx', 'conf.d', 'sub'), { recursive: true });
    } finally {
      rmSync(path.dirname(path.dirname(ws)), { recursive: true, force: true });
    }
  });
});
