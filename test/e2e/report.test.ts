// `lab report` on a real exp2 lab whose HAProxy config holds a stats password, whose certificates exist,
// and whose workspace even holds a copy of a private key: every file of the archive is scanned for the
// password (plain and as Basic credentials), for any private key and for the CA key's content.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caPaths, DEFAULT_DOMAINS, leafPaths } from '../../src/certs/index.js';
import { defaultReportName } from '../../src/report/report.js';
import { findSecrets, isKeyMaterial, maskText, MASK } from '../../src/report/mask.js';
import { walkFiles } from '../../src/util/files.js';
import { lab as runLab } from '../helpers/cli.js';
import { startLab, type TestLab } from '../helpers/lab.js';

let lab: TestLab;
const PASSWORD = `Pw-${randomBytes(6).toString('hex')}`;
const cli = (args: string[]) => runLab(['-n', lab.name, ...args], { runtime: lab.runtime, cwd: lab.cwd });

beforeAll(async () => {
  lab = await startLab('exp2', 'report');
  const cfg = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
  const text = readFileSync(cfg, 'utf8');
  expect(text).toMatch(/stats auth admin:123456/);
  writeFileSync(cfg, text.replace(/stats auth admin:123456/, `stats auth admin:${PASSWORD}`));
  // A student who copied a key into the workspace: the report must leave it out.
  cpSync(leafPaths(path.join(lab.cwd, 'certs'), 'stars.liujun.com').key, path.join(lab.result.workspaceDir, 'haproxy', 'stars.key'));
  // Apply it, so the running HAProxy (and its log) has the password too, and grade, so a last result exists.
  const applied = await cli(['apply']);
  expect(applied.code, applied.stderr).toBe(0);
  await cli(['check', 'exp2', '--json']);
}, 600_000);
afterAll(async () => {
  await lab?.destroy();
});

describe('lab report', () => {
  it('writes one archive with status, doctor, every node log, the workspace and the last check, and no secret', async () => {
    const out = path.join(lab.cwd, 'student.tar.gz');
    const r = await cli(['report', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok wrote student\.tar\.gz: \d+ file\(s\)/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-report-x-'));
    try {
      await extract({ file: out, cwd: dir });
      const files = walkFiles(dir);
      const inside = files.map((f) => f.replace(/^student\//, ''));
      expect(inside).toEqual(expect.arrayContaining(['status.json', 'doctor.json', 'manifest.json', 'last-check/exp2.json', 'workspace/exp2/haproxy/haproxy.cfg']));
      const nodes = ['client', 'office', 'lvs1', 'lvs2', 'haproxy1', 'haproxy2', 'nginx1', 'nginx2', 'nginx3', 'app1', 'app2', 'app3'];
      for (const n of nodes) expect(inside).toContain(`logs/${n}.log`);
      expect(JSON.parse(readFileSync(path.join(dir, 'student', 'status.json'), 'utf8')).nodes).toHaveLength(12);
      expect(JSON.parse(readFileSync(path.join(dir, 'student', 'doctor.json'), 'utf8')).engine.ok).toBe(true);
      expect(JSON.parse(readFileSync(path.join(dir, 'student', 'last-check', 'exp2.json'), 'utf8')).experiment).toBe('exp2');
      expect(readFileSync(path.join(dir, 'student', 'workspace/exp2/haproxy/haproxy.cfg'), 'utf8')).toContain(`stats auth admin:${MASK}`);

      // What must never be inside: the password, as text or as Basic credentials; any private key; the CA key's body.
      const certs = path.join(lab.cwd, 'certs');
      const keyBodies = [caPaths(certs).key, ...DEFAULT_DOMAINS.map((d) => leafPaths(certs, d).key)].map((k) => readFileSync(k, 'utf8').split('\n')[1]!);
      const forbidden = [PASSWORD, Buffer.from(`admin:${PASSWORD}`).toString('base64'), 'PRIVATE KEY', ...keyBodies];
      for (const f of files) {
        const text = readFileSync(path.join(dir, f), 'latin1');
        for (const s of forbidden) expect(text.includes(s), `${f} holds ${s.slice(0, 12)}…`).toBe(false);
      }
      expect(inside).not.toContain('workspace/exp2/haproxy/stars.key');
      const manifest = JSON.parse(readFileSync(path.join(dir, 'student', 'manifest.json'), 'utf8')) as { leftOut: { path: string; why: string }[] };
      expect(manifest.leftOut).toEqual(expect.arrayContaining([{ path: 'workspace/exp2/haproxy/stars.key', why: 'private key material' }, { path: 'certs/ca/ca.key', why: 'private key material' }]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('without --out: lab-report-<lab>-<time>.tar.gz in the current folder', async () => {
    expect(defaultReportName('lab', new Date(2026, 10, 25, 9, 8, 7))).toBe('lab-report-lab-20261125-090807.tar.gz');
    const r = await cli(['report']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok wrote lab-report-${lab.name}-\\d{8}-\\d{6}\\.tar\\.gz`));
  }, 600_000);

  it('masking: stats auth, userlist passwords, Basic headers; known secrets everywhere; key files recognised by content', () => {
    const cfg = 'listen stats\n    stats auth admin:s3cret!\nuserlist u\n    user bob insecure-password hunter22\n';
    const secrets = findSecrets(cfg);
    expect(secrets).toEqual(['s3cret!', 'hunter22']);
    const m = maskText(`${cfg}GET / Authorization: Basic YWRtaW46czNjcmV0IQ==\nlogged in with admin:s3cret!\n`, secrets);
    expect(m.text).not.toMatch(/s3cret|hunter22|YWRtaW46/);
    expect(m.text).toContain(`stats auth admin:${MASK}`);
    expect(isKeyMaterial('notes.txt', Buffer.from('-----BEGIN RSA PRIVATE KEY-----\n'))).toBe(true);
    expect(isKeyMaterial('haproxy/site.pem', Buffer.from('anything'))).toBe(true);
    expect(isKeyMaterial('haproxy/haproxy.cfg', Buffer.from(cfg))).toBe(false);
  });
});
