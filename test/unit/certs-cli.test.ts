// `lab certs` and `lab certs verify` as the CLI runs them (in-process): exit codes, stdout/stderr, no stack traces.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lab as runLab } from '../helpers/cli.js';

const lab = async (args: string[]) => {
  const r = await runLab(args);
  return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
};

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-cli-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('lab certs', () => {
  it('makes everything, prints a summary and how to trust the CA, exit 0', async () => {
    const out = path.join(dir, 'certs');
    const r = await lab(['certs', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8 changes/);
    expect(r.stdout).toContain(`curl --cacert ${path.join(out, 'ca', 'ca.crt')}`);
    expect(r.stdout).toContain('NODE_EXTRA_CA_CERTS=');
    expect(r.stdout).toMatch(/browser/i);
    expect(r.stdout).toContain('clients without SNI get go-backend.liujun.com');
    expect(r.stderr).toContain('go-backend.liujun.com: generated (none found)');
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);

    const again = await lab(['certs', '--out', out]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/nothing changed/);
    expect(again.stderr).toBe('');
  }, 60_000);

  it('--json prints one JSON document with the API result', async () => {
    const out = path.join(dir, 'json');
    const r = await lab(['certs', '--out', out, '--json', '--domain', 'shop.liujun.com']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.caCert).toBe(path.join(out, 'ca', 'ca.crt'));
    expect(doc.domains).toContain('shop.liujun.com');
    expect(doc.bundles['shop.liujun.com']).toBe(path.join(out, 'haproxy', 'shop.liujun.com.pem'));
    expect(doc.changed).toHaveLength(9);
    expect(doc.defaultDomain).toBe('go-backend.liujun.com');
    expect(r.stdout).not.toMatch(/PRIVATE KEY/);
  }, 60_000);

  it('verify: one line per file, exit 0 when good, non-zero and the faulty file named when not', async () => {
    const out = path.join(dir, 'certs');
    const ok = await lab(['certs', 'verify', '--out', out]);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(23 + 1);

    const key = path.join(out, 'touch.liujun.com', 'private.key');
    await fs.chmod(key, 0o644);
    const bad = await lab(['certs', 'verify', '--out', out, '--json']);
    expect(bad.exitCode).toBe(1);
    const doc = JSON.parse(bad.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.lines.filter((l: { ok: boolean }) => !l.ok)).toEqual([
      { file: key, ok: false, message: 'mode is 0644, should be 0600' },
    ]);
    expect(bad.stderr).toContain(`error: ${key}: mode is 0644, should be 0600\n`);
    expect(bad.stderr).toMatch(/^hint: `lab certs` regenerates the faulty files/m);

    // lab certs puts it right (chmod, no rewrite), and verify is happy again
    const fix = await lab(['certs', '--out', out]);
    expect(fix.stderr).toContain('mode 0644 narrowed to 0600');
    expect((await lab(['certs', 'verify', '--out', out])).exitCode).toBe(0);
  }, 60_000);

  it('a corrupt file: exit 1, a one-line error naming the file, a hint, no stack trace', async () => {
    const out = path.join(dir, 'certs');
    const file = path.join(out, 'vue-web.liujun.com', 'certificate.crt');
    await fs.writeFile(file, 'this is not a certificate\n');
    const r = await lab(['certs', '--out', out]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`error: ${file}: is not a PEM certificate (no "BEGIN CERTIFICATE" block)`);
    expect(lines.slice(1)).toEqual(['hint: delete it, or rerun `lab certs --force` to regenerate every certificate']);
    expect(r.stderr).not.toMatch(/^\s+at /m);

    const v = await lab(['certs', 'verify', '--out', out]);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`FAIL\\s+${file.replace(/[.]/g, '\\.')}\\s+is not a PEM certificate`));

    const forced = await lab(['certs', '--out', out, '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect((await lab(['certs', 'verify', '--out', out])).exitCode).toBe(0);
  }, 60_000);

  it('bad flags are usage errors (exit 2) with a hint', async () => {
    const days = await lab(['certs', '--out', path.join(dir, 'x'), '--days', '1000']);
    expect(days.exitCode).toBe(2);
    expect(days.stderr).toMatch(/^error: --days must be a whole number from 31 to 825, got 1000$/m);
    expect(days.stderr).toMatch(/^hint: /m);
    const dom = await lab(['certs', '--out', path.join(dir, 'x'), '--domain', '*.liujun.com']);
    expect(dom.exitCode).toBe(2);
    expect(dom.stderr).toMatch(/is not a domain name/);
  });
});
