// A lab's own stats password: where it comes from, how it is kept (0600, checked), where lab writes it
// (start and solution files, guide commands, the grader's login) and where it never shows (the redactor).
// The binary's whole path against a real lab is test/e2e/stats-password.test.ts.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaseContext } from '../../src/checks/context.js';
import { runChecks, withLabLogin } from '../../src/checks/runner.js';
import { CheckDef } from '../../src/checks/schema.js';
import { t, type ProbeImpl } from '../../src/checks/types.js';
import { instructions } from '../../src/guide/instructions.js';
import { copyStepFiles } from '../../src/guide/run-step.js';
import { loadLab } from '../../src/labs/load.js';
import { checkStatsPassword, readSecrets, secretsFile, statsPasswordFrom, withStatsPassword, writeSecrets } from '../../src/state/secrets.js';
import { addSecret, forgetSecrets, redact, redactBytes, redactStream } from '../../src/util/redact.js';
import { seedWorkspace } from '../../src/workspace/seed.js';
import { resetWorkspace, solveWorkspace } from '../../src/workspace/replace.js';
import { FileError, UsageError } from '../../src/util/errors.js';

const PW = 'Lab-pw.2026x';
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-statspw-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
  forgetSecrets();
});

describe('where the password comes from', () => {
  it('accepts 8-64 plain characters; refuses what would break stats auth or a shell, and the course default, without echoing it', () => {
    expect(checkStatsPassword(PW, 'LAB_STATS_PASSWORD')).toBe(PW);
    for (const bad of ['short1', 'has space in it', 'with:colon123', 'hash#mark123', "quote'mark123", 'dollar$sign123', 'x'.repeat(65), '123456']) {
      let err: unknown;
      try {
        checkStatsPassword(bad, 'LAB_STATS_PASSWORD');
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(/^LAB_STATS_PASSWORD: /);
      expect(`${(err as UsageError).message} ${(err as UsageError).hint}`, bad).not.toContain(bad);
    }
  });

  it('a file (first line, trimmed) wins over LAB_STATS_PASSWORD; neither: none; a missing file is a usage error', () => {
    const f = path.join(cwd, 'pw');
    writeFileSync(f, `${PW}\nignored second line\n`);
    expect(statsPasswordFrom({ LAB_STATS_PASSWORD: 'Other-pw-123' }, f)).toBe(PW);
    expect(statsPasswordFrom({ LAB_STATS_PASSWORD: 'Other-pw-123' })).toBe('Other-pw-123');
    expect(statsPasswordFrom({})).toBeUndefined();
    expect(() => statsPasswordFrom({}, path.join(cwd, 'nope'))).toThrow(/--stats-password-file .*nope: no such file/);
    writeFileSync(f, 'a b\n');
    expect(() => statsPasswordFrom({}, f)).toThrow(/--stats-password-file .*pw:1: the stats password must be/);
  });
});

describe('how it is kept', () => {
  it('secrets.json is 0600 under any umask and over a looser file; read back; read back', () => {
    const old = process.umask(0);
    try {
      writeSecrets(cwd, 'lab', { statsPassword: PW });
    } finally {
      process.umask(old);
    }
    const f = secretsFile(cwd, 'lab');
    expect(f).toBe(path.join(cwd, '.lab', 'lab', 'secrets.json'));
    expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
    expect(readSecrets(cwd, 'lab')).toEqual({ statsPassword: PW });
    chmodSync(f, 0o644);
    writeSecrets(cwd, 'lab', { statsPassword: 'Second-pw-99' });
    expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
    expect(readSecrets(cwd, 'other')).toEqual({});
  });

  it('a damaged secrets.json is an error naming the file, the line and the fix, never the value; tolerant readers see no password', () => {
    const f = secretsFile(cwd, 'lab');
    writeSecrets(cwd, 'lab', { statsPassword: PW });
    writeFileSync(f, '{\n  "statsPassword": "Almost-the-pw 1"\n}\n');
    let e = (() => { try { readSecrets(cwd, 'lab'); } catch (x) { return x as FileError; } })();
    expect(e).toBeInstanceOf(FileError);
    expect(e!.message).toBe(`${f}:2: statsPassword is not 8 to 64 characters of letters, digits and . _ + = , @ % -`);
    expect(e!.message).not.toContain('Almost');
    expect(e!.hint).toMatch(/LAB_STATS_PASSWORD=… lab up.*delete the file/);
    writeFileSync(f, '{\n  "statsPassword": "x",\n  oops\n}\n');
    e = (() => { try { readSecrets(cwd, 'lab'); } catch (x) { return x as FileError; } })();
    expect(e!.message).toBe(`${f}:3: is not valid JSON`);
    expect(readSecrets(cwd, 'lab', { tolerant: true })).toEqual({});
    // No password in it is no password; an absent file too.
    writeFileSync(f, '{}\n');
    expect(readSecrets(cwd, 'lab')).toEqual({});
    rmSync(f);
    expect(readSecrets(cwd, 'lab')).toEqual({});
  });
});

describe('where lab writes it', () => {
  it('replaces the course login admin:123456 only, as a pair', () => {
    expect(withStatsPassword('stats auth admin:123456\n  curl -u admin:123456 x', PW)).toBe(`stats auth admin:${PW}\n  curl -u admin:${PW} x`);
    expect(withStatsPassword('maxconn 123456 weight 123456 admin:1234567 badmin:123456 admin:123456:x', PW)).toBe('maxconn 123456 weight 123456 admin:1234567 badmin:123456 admin:123456:x');
    expect(withStatsPassword("-w 'admin:123456: %{http_code}'", PW)).toBe(`-w 'admin:${PW}: %{http_code}'`);
    expect(withStatsPassword("-u 'admin:123456' \"admin:123456\"\nadmin:123456;", PW)).toBe(`-u 'admin:${PW}' "admin:${PW}"\nadmin:${PW};`);
    expect(withStatsPassword('stats auth admin:123456', undefined)).toBe('stats auth admin:123456');
  });

  it('start files seeded, reset and solve carry the lab password; without one they are the course files byte for byte', () => {
    const exp1 = loadLab('exp1');
    const exp2 = loadLab('exp2');
    const ws = path.join(cwd, 'workspace', 'exp2');
    seedWorkspace(exp2, ws, undefined, PW);
    const cfg = () => readFileSync(path.join(ws, 'haproxy', 'haproxy.cfg'), 'utf8');
    expect(cfg()).toMatch(new RegExp(`^\\s*stats auth admin:${PW.replace('.', '\\.')}$`, 'm'));
    expect(cfg()).not.toContain('admin:123456');
    // Nothing else of the file changed.
    expect(cfg()).toBe(readFileSync(path.join(exp2.startDir, 'haproxy', 'haproxy.cfg'), 'utf8').replace('admin:123456', `admin:${PW}`));
    const plain = path.join(cwd, 'workspace', 'plain');
    seedWorkspace(exp2, plain);
    expect(readFileSync(path.join(plain, 'haproxy', 'haproxy.cfg'))).toEqual(readFileSync(path.join(exp2.startDir, 'haproxy', 'haproxy.cfg')));

    const ws1 = path.join(cwd, 'workspace', 'exp1');
    seedWorkspace(exp1, ws1, undefined, PW);
    solveWorkspace(exp1, ws1, undefined, PW);
    const solved = readFileSync(path.join(ws1, 'haproxy', 'haproxy.cfg'), 'utf8');
    expect(solved).toContain(`stats auth admin:${PW}`);
    expect(solved).not.toContain('admin:123456');
    // Solving again with the same password finds nothing to change (no needless backup).
    expect(solveWorkspace(exp1, ws1, undefined, PW)).toEqual({ written: [], removed: [] });
    resetWorkspace(exp1, ws1, undefined, PW);
    expect(readFileSync(path.join(ws1, 'haproxy', 'haproxy.cfg'), 'utf8')).not.toContain('admin:123456');
  });

  it("a guided step's 'do it for me' copies the solution with the password, and leaves the student's other files as they are", () => {
    const exp1 = loadLab('exp1');
    const ws = path.join(cwd, 'workspace', 'exp1');
    seedWorkspace(exp1, ws);
    const mine = path.join(ws, 'notes.txt');
    writeFileSync(mine, 'my own admin:123456 note\n');
    copyStepFiles(exp1, ws, ['haproxy/haproxy.cfg'], PW);
    expect(readFileSync(path.join(ws, 'haproxy', 'haproxy.cfg'), 'utf8')).toContain(`stats auth admin:${PW}`);
    expect(readFileSync(mine, 'utf8')).toBe('my own admin:123456 note\n');
  });

  it("the guide's shell commands use it", () => {
    const exp1 = loadLab('exp1');
    const step = exp1.def.steps.find((s) => s.run.some((r) => r.cmd.includes('-u admin:123456')))!;
    const cmds = instructions(step, { experiment: 'exp1', labName: 'lab', workspaceRoot: 'workspace/exp1', statsPassword: PW }).flatMap((i) => (i.kind === 'shell' ? [i.cmd] : []));
    expect(cmds.join('\n')).toContain(`-u admin:${PW}`);
    expect(cmds.join('\n')).not.toContain('admin:123456');
  });

  it("the grader logs in with it where a check uses the course's login, and keeps any other login", async () => {
    const probe = { kind: 'stats-auth', port: 8404, uri: '/stats', credentials: { user: 'admin', password: '123456' }, cmd: 'curl -u admin:123456 x', other: { credentials: { user: 'alice', password: '123456' } } };
    expect(withLabLogin(probe, PW)).toEqual({ ...probe, credentials: { user: 'admin', password: PW }, cmd: `curl -u admin:${PW} x` });
    expect(withLabLogin(probe, undefined)).toBe(probe);
    // Through the runner: the probe sees the lab's password when the context carries one.
    const seen: unknown[] = [];
    const impl: ProbeImpl<never> = { kind: 'fake', needs: 'any', traffic: 'traffic', run: async (_ctx, p) => (seen.push(p), { status: 'pass', message: t('ok', '好') }) };
    const check = CheckDef.parse({ id: 'login', title: { zh: '登录', en: 'login' }, points: 10, hint: { zh: '提示', en: 'hint' }, probe: { kind: 'stats-auth', port: 8404, uri: '/stats', credentials: { user: 'admin', password: '123456' } } });
    const base = { mode: 'target', edgeAddress: '127.0.0.1', ports: { http: 80, https: 443 }, edge: {} as never, tls: {} as never, haproxy: [], domains: [], ca: async () => undefined } as unknown as BaseContext;
    await runChecks('exp1', [check], { ...base, statsPassword: PW }, { lang: 'en', probes: { 'stats-auth': impl } });
    await runChecks('exp1', [check], base, { lang: 'en', probes: { 'stats-auth': impl } });
    expect(seen.map((p) => (p as { credentials: { password: string } }).credentials.password)).toEqual([PW, '123456']);
  });
});

describe('where it never shows', () => {
  it('a redacted stream masks every known secret in strings and buffers, split or not', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let got = '';
    (stream as unknown as PassThrough).on('data', (c: Buffer) => (got += c.toString()));
    redactStream(stream);
    redactStream(stream); // twice is once
    stream.write(`before: admin:${PW}\n`);
    addSecret(PW);
    addSecret('abc'); // too short to mask safely: ignored
    stream.write(`error: curl -u admin:${PW} failed\n`);
    stream.write(Buffer.from(`{"password": "${PW}"} abc\n`));
    expect(got).toBe(`before: admin:${PW}\nerror: curl -u admin:******** failed\n{"password": "********"} abc\n`);
    expect(redact(`${PW}${PW}`)).toBe('****************');
    // Bytes that are not UTF-8 pass unchanged around a masked secret.
    const binary = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from(PW), Buffer.from([0x80, 0xfe])]);
    expect(redactBytes(binary)).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from('********'), Buffer.from([0x80, 0xfe])]));
    const untouched = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    expect(redactBytes(untouched)).toBe(untouched);
  });
});

describe('lab check --target --stats-auth', () => {
  it('USER alone takes LAB_STATS_PASSWORD (none set: a usage error); a malformed login is refused without echoing it', async () => {
    const { lab } = await import('../helpers/cli.js');
    const none = await lab(['check', 'exp2', '--target', '127.0.0.1', '--stats-auth', 'admin'], {}, { NO_COLOR: '1' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--stats-auth admin: no password/);
    expect(none.stderr).toMatch(/LAB_STATS_PASSWORD/);
    const bad = await lab(['check', 'exp2', '--target', '127.0.0.1', '--stats-auth', `:${PW}`], {}, { NO_COLOR: '1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--stats-auth: expected USER or USER:PASSWORD/);
    expect(bad.stderr).not.toContain(PW);
    // With the variable set, the login is accepted and the run goes on (to the target check, which the fake engine fails otherwise).
    const set = await lab(['check', 'exp2', '--target', '127.0.0.1', '--stats-auth', 'admin'], {}, { NO_COLOR: '1', LAB_STATS_PASSWORD: PW });
    expect(set.stderr).not.toMatch(/no password|expected USER/);
  });
});
