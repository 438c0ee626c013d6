// reset, solve and a guided step's edit never lose what the student wrote: a complete backup first.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { seedWorkspace, startFiles } from '../../src/workspace/seed.js';
import { walkFiles } from '../../src/util/files.js';
import {
  backupsDir, backupWorkspace, copyFromSolution, listBackups, resetWorkspace, solutionFiles, solveWorkspace, timestamp, workspaceFiles,
} from '../../src/workspace/replace.js';
import { LabError } from '../../src/util/errors.js';

let cwd: string;
let ws: string;
const exp2 = loadLab('exp2');
const cfg = () => path.join(ws, 'haproxy', 'haproxy.cfg');
const snapshot = (dir: string) => Object.fromEntries(workspaceFiles(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));

beforeEach(() => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-ws-'));
  ws = path.join(cwd, 'workspace', 'exp2');
  seedWorkspace(exp2, ws);
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('backups', () => {
  it('go beside the workspace, named <exp>-<timestamp>, and hold every file byte for byte', () => {
    writeFileSync(cfg(), 'my work\n');
    writeFileSync(path.join(ws, 'nginx', 'conf.d', 'mine.conf'), 'server {}\n');
    const before = snapshot(ws);
    const b = backupWorkspace(ws, 'exp2', new Date('2026-11-25T10:00:00.000Z'));
    expect(b.dir).toBe(path.join(cwd, 'workspace', '.backups', 'exp2-2026-11-25T10-00-00-000Z'));
    expect(snapshot(b.dir)).toEqual(before);
    // same instant twice: a second folder, never an overwrite
    expect(backupWorkspace(ws, 'exp2', new Date('2026-11-25T10:00:00.000Z')).dir).toBe(`${b.dir}-1`);
    expect(listBackups(ws, 'exp2')).toHaveLength(2);
  });

  it('a failed backup changes nothing and says so', () => {
    writeFileSync(cfg(), 'my work\n');
    mkdirSync(path.dirname(backupsDir(ws)), { recursive: true });
    writeFileSync(backupsDir(ws), 'a file where the backups folder should be');
    const before = snapshot(ws);
    expect(() => resetWorkspace(exp2, ws)).toThrow(LabError);
    try {
      resetWorkspace(exp2, ws);
    } catch (e) {
      expect((e as LabError).hint).toMatch(/Nothing in the workspace was changed/);
    }
    expect(snapshot(ws)).toEqual(before);
  });

  it('timestamps sort in time order and are safe folder names', () => {
    expect(timestamp(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03-04-05-006Z');
  });
});

describe('reset', () => {
  it('restores the start files exactly, removes added files, and keeps everything in the backup', () => {
    writeFileSync(cfg(), 'my haproxy work\n');
    writeFileSync(path.join(ws, 'nginx', 'conf.d', 'extra.conf'), 'server { listen 1; }\n');
    rmSync(path.join(ws, 'nginx', 'conf.d', 'stars.liujun.com.conf'));
    const before = snapshot(ws);
    const r = resetWorkspace(exp2, ws);
    expect(r.written.sort()).toEqual(['haproxy/haproxy.cfg', 'nginx/conf.d/stars.liujun.com.conf']);
    expect(r.removed).toEqual(['nginx/conf.d/extra.conf']);
    expect(snapshot(r.backup!.dir)).toEqual(before);
    const start = startFiles(exp2);
    expect(workspaceFiles(ws).sort()).toEqual([...start.keys()].sort());
    for (const [rel, src] of start) expect(readFileSync(path.join(ws, rel), 'utf8')).toBe(readFileSync(src, 'utf8'));
    expect(existsSync(path.join(ws, 'haproxy', 'certs'))).toBe(true);
  });

  it('on an untouched workspace: nothing written, no backup', () => {
    const r = resetWorkspace(exp2, ws);
    expect(r).toEqual({ written: [], removed: [] });
    expect(existsSync(backupsDir(ws))).toBe(false);
  });

  it('restoring only missing files needs no backup (nothing is overwritten)', () => {
    rmSync(cfg());
    const r = resetWorkspace(exp2, ws);
    expect(r.written).toEqual(['haproxy/haproxy.cfg']);
    expect(r.backup).toBeUndefined();
  });

  it('earlier backups are left alone by later resets', () => {
    writeFileSync(cfg(), 'v1\n');
    const first = resetWorkspace(exp2, ws, new Date('2026-11-25T10:00:00Z')).backup!;
    writeFileSync(cfg(), 'v2\n');
    const second = resetWorkspace(exp2, ws, new Date('2026-11-25T11:00:00Z')).backup!;
    expect(readFileSync(path.join(first.dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe('v1\n');
    expect(readFileSync(path.join(second.dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe('v2\n');
    expect(workspaceFiles(ws).some((f) => f.includes('.backups'))).toBe(false);
  });
});

describe('solve', () => {
  it('writes the reference solution, after a backup', () => {
    writeFileSync(cfg(), 'half done\n');
    const r = solveWorkspace(exp2, ws);
    expect(readFileSync(path.join(r.backup!.dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe('half done\n');
    expect(readFileSync(cfg(), 'utf8')).toBe(readFileSync(path.join(exp2.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8'));
    expect(workspaceFiles(ws).sort()).toEqual(walkFiles(exp2.solutionDir).sort());
  });

  it('exp1: solution for haproxy, the shared defaults for roles its solution leaves out', () => {
    const exp1 = loadLab('exp1');
    const files = solutionFiles(exp1);
    expect(files.get('haproxy/haproxy.cfg')).toBe(path.join(exp1.solutionDir, 'haproxy', 'haproxy.cfg'));
    expect([...files.keys()].some((f) => f.startsWith('nginx/'))).toBe(true);
  });
});

describe("a step's edit (copy one file from solution/)", () => {
  it('backs up first when the student has a different copy; no-op when equal', () => {
    writeFileSync(cfg(), 'mine\n');
    const r = copyFromSolution(exp2, ws, 'haproxy/haproxy.cfg');
    expect(r.written).toEqual(['haproxy/haproxy.cfg']);
    expect(readFileSync(path.join(r.backup!.dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe('mine\n');
    expect(copyFromSolution(exp2, ws, 'haproxy/haproxy.cfg')).toEqual({ written: [], removed: [] });
    expect(() => copyFromSolution(exp2, ws, 'haproxy/nope.cfg')).toThrow(/has no solution file/);
  });
});
