// Idempotency, --force, and regeneration of tampered, expiring and expired files, checked with openssl.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execa } from 'execa';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { ensureCerts, verifyCerts, DEFAULT_DOMAINS, type CertsResult } from '../../src/certs/index.js';
import { generateKeyPair, privateKeyToPem } from '../../src/certs/keys.js';
import { createCa } from '../../src/certs/ca.js';
import { createLeaf } from '../../src/certs/leaf.js';
import { FileError, UsageError } from '../../src/util/errors.js';

/**
 * A host tool this test needs (CI installs haproxy, nginx, keepalived and openssl): its path, or a loud
 * failure naming it. Never a skip and never a vacuous pass.
 */
function hostTool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  const found = dirs.filter(Boolean).map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} is not installed on this machine, and this test needs it (install it as CI does, e.g. apt-get install ${name})`);
  return found;
}

const openssl = async (...args: string[]) => (await execa(hostTool('openssl'), args)).stdout;
const DAY = 86_400_000;

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-regen-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** path -> { mtimeMs, content } for every file under dir. */
async function snapshot(root: string): Promise<Map<string, { mtimeMs: number; content: string }>> {
  const out = new Map<string, { mtimeMs: number; content: string }>();
  for (const rel of await fs.readdir(root, { recursive: true })) {
    const f = path.join(root, String(rel));
    const st = await fs.stat(f);
    if (st.isFile()) out.set(String(rel), { mtimeMs: st.mtimeMs, content: await fs.readFile(f, 'utf8') });
  }
  return out;
}

async function serial(file: string): Promise<string> {
  return (await openssl('x509', '-in', file, '-noout', '-serial')).trim();
}

async function loadCa(root: string) {
  return {
    cert: forge.pki.certificateFromPem(await fs.readFile(path.join(root, 'ca', 'ca.crt'), 'utf8')),
    key: forge.pki.privateKeyFromPem(await fs.readFile(path.join(root, 'ca', 'ca.key'), 'utf8')) as forge.pki.rsa.PrivateKey,
  };
}

async function expectValidWithOpenssl(r: CertsResult, domain: string) {
  expect(await openssl('verify', '-CAfile', r.caCert, r.leaves[domain]!.cert)).toContain(': OK');
  const san = await openssl('x509', '-in', r.leaves[domain]!.cert, '-noout', '-ext', 'subjectAltName');
  expect(san).toContain(`DNS:${domain}`);
  const a = await openssl('x509', '-in', r.leaves[domain]!.cert, '-noout', '-pubkey');
  const b = await openssl('pkey', '-in', r.leaves[domain]!.key, '-pubout');
  expect(b.trim()).toBe(a.trim());
  const bundle = await fs.readFile(r.bundles[domain]!, 'utf8');
  const parts = await Promise.all([r.leaves[domain]!.cert, r.caCert, r.leaves[domain]!.key].map((f) => fs.readFile(f, 'utf8')));
  expect(bundle).toBe(parts.join(''));
}

describe('idempotency and rotation', () => {
  it('a second run changes no file (same mtimes, same contents) and reports nothing changed', async () => {
    const first = await ensureCerts({ outDir: dir });
    expect(first.changed).toHaveLength(8);
    const before = await snapshot(dir);
    expect(before.size).toBe(2 + 3 * 7);
    await new Promise((r) => setTimeout(r, 20)); // so a rewrite would show in mtime
    const second = await ensureCerts({ outDir: dir });
    expect(second.changed).toEqual([]);
    expect(second.kept).toHaveLength(2 + 3 * 7);
    const after = await snapshot(dir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [f, v] of before) {
      expect(after.get(f)!.mtimeMs, f).toBe(v.mtimeMs);
      expect(after.get(f)!.content, f).toBe(v.content);
    }
  }, 60_000);

  it('--force changes every serial (CA and all leaves) and everything still verifies', async () => {
    const first = await ensureCerts({ outDir: dir });
    const files = [first.caCert, ...DEFAULT_DOMAINS.map((d) => first.leaves[d]!.cert)];
    const before = await Promise.all(files.map(serial));
    const caKeyBefore = await fs.readFile(path.join(dir, 'ca', 'ca.key'), 'utf8');
    const second = await ensureCerts({ outDir: dir, force: true });
    const after = await Promise.all(files.map(serial));
    for (let i = 0; i < files.length; i++) expect(after[i], files[i]).not.toBe(before[i]);
    expect(new Set(after).size).toBe(files.length);
    expect(await fs.readFile(path.join(dir, 'ca', 'ca.key'), 'utf8')).not.toBe(caKeyBefore);
    expect(second.changed).toHaveLength(8);
    expect(second.changed.every((l) => l.includes('rotated (--force)'))).toBe(true);
    for (const d of DEFAULT_DOMAINS) await expectValidWithOpenssl(second, d);
  }, 60_000);

  it('extra --domain names get leaves, and are kept on later runs without the flag', async () => {
    const r = await ensureCerts({ outDir: dir, extraDomains: ['Shop.LIUJUN.com'] });
    expect(r.domains).toContain('shop.liujun.com');
    await expectValidWithOpenssl(r, 'shop.liujun.com');
    const again = await ensureCerts({ outDir: dir });
    expect(again.domains).toContain('shop.liujun.com');
    expect(again.changed).toEqual([]);
    // after a CA rotation the extra domain is re-issued too, so HAProxy never serves a stale chain
    const rotated = await ensureCerts({ outDir: dir, force: true });
    expect(rotated.domains).toContain('shop.liujun.com');
    expect(rotated.changed).toHaveLength(9);
    await expectValidWithOpenssl(rotated, 'shop.liujun.com');
  }, 60_000);

  it('refuses bad domains and out-of-range --days with a UsageError', async () => {
    await expect(ensureCerts({ outDir: dir, extraDomains: ['*.liujun.com'] })).rejects.toBeInstanceOf(UsageError);
    await expect(ensureCerts({ outDir: dir, extraDomains: ['../etc'] })).rejects.toBeInstanceOf(UsageError);
    await expect(ensureCerts({ outDir: dir, days: 826 })).rejects.toThrow(/--days/);
    await expect(ensureCerts({ outDir: dir, days: 30 })).rejects.toBeInstanceOf(UsageError);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('--days sets the validity of new leaves', async () => {
    const r = await ensureCerts({ outDir: dir, days: 90 });
    const dates = await openssl('x509', '-in', r.leaves['stars.liujun.com']!.cert, '-noout', '-startdate', '-enddate');
    const [nb, na] = dates.split('\n').map((l) => new Date(l.split('=')[1]!).getTime());
    expect(Math.round((na! - nb!) / DAY)).toBe(90);
  }, 60_000);
});

describe('tampered, expiring and expired leaves are regenerated, saying why', () => {
  it('signed by a different CA, wrong SAN, mismatched key', async () => {
    await ensureCerts({ outDir: dir });
    const ca = await loadCa(dir);
    const p = (d: string, f: string) => path.join(dir, d, f);

    // 1. java-backend: a perfectly formed leaf, but from another CA
    const otherCa = createCa(await generateKeyPair());
    const foreign = createLeaf('java-backend.liujun.com', otherCa, await generateKeyPair());
    await fs.writeFile(p('java-backend.liujun.com', 'certificate.crt'), foreign.certPem);
    await fs.writeFile(p('java-backend.liujun.com', 'private.key'), foreign.keyPem, { mode: 0o600 });
    // 2. stars: signed by our CA, but for another name
    const wrongSan = createLeaf('evil.liujun.com', ca, await generateKeyPair());
    await fs.writeFile(p('stars.liujun.com', 'certificate.crt'), wrongSan.certPem);
    await fs.writeFile(p('stars.liujun.com', 'private.key'), wrongSan.keyPem);
    // 3. touch: the key swapped for another one
    await fs.writeFile(p('touch.liujun.com', 'private.key'), privateKeyToPem((await generateKeyPair()).privateKey));

    const untouched = await snapshot(path.join(dir, 'go-backend.liujun.com'));
    const r = await ensureCerts({ outDir: dir });
    const msg = (d: string) => r.changed.find((l) => l.startsWith(`${d}:`));
    expect(msg('java-backend.liujun.com')).toMatch(/regenerated: it was not signed by the current lab CA/);
    expect(msg('stars.liujun.com')).toMatch(/regenerated: .*SAN does not name stars\.liujun\.com \(names evil\.liujun\.com\)/);
    expect(msg('touch.liujun.com')).toMatch(/regenerated: its private key does not match the certificate/);
    expect(r.changed).toHaveLength(3);
    for (const d of ['java-backend.liujun.com', 'stars.liujun.com', 'touch.liujun.com']) await expectValidWithOpenssl(r, d);
    // loosened key mode comes back as 0600
    expect((await fs.stat(p('stars.liujun.com', 'private.key'))).mode & 0o777).toBe(0o600);
    // the others were left alone
    const after = await snapshot(path.join(dir, 'go-backend.liujun.com'));
    for (const [f, v] of untouched) expect(after.get(f)!.mtimeMs).toBe(v.mtimeMs);
  }, 60_000);

  it('a leaf expiring within 30 days, and one already expired', async () => {
    await ensureCerts({ outDir: dir });
    const ca = await loadCa(dir);
    const soon = createLeaf('vue-web.liujun.com', ca, await generateKeyPair(), { days: 10 });
    const gone = createLeaf('vue-backup.liujun.com', ca, await generateKeyPair(), { now: new Date(Date.now() - 900 * DAY) });
    for (const leaf of [soon, gone]) {
      await fs.writeFile(path.join(dir, leaf.domain, 'certificate.crt'), leaf.certPem);
      await fs.writeFile(path.join(dir, leaf.domain, 'private.key'), leaf.keyPem, { mode: 0o600 });
    }
    // openssl agrees the expired one is bad before we regenerate it
    await expect(openssl('verify', '-CAfile', path.join(dir, 'ca', 'ca.crt'), path.join(dir, 'vue-backup.liujun.com', 'certificate.crt'))).rejects.toThrow(/expired/);
    const lines = await verifyCerts(dir);
    expect(lines.filter((l) => !l.ok).map((l) => path.relative(dir, l.file)).sort()).toEqual([
      'haproxy/vue-backup.liujun.com.pem',
      'haproxy/vue-web.liujun.com.pem',
      'vue-backup.liujun.com/certificate.crt',
      'vue-web.liujun.com/certificate.crt',
    ]);

    const r = await ensureCerts({ outDir: dir });
    expect(r.changed.find((l) => l.startsWith('vue-web.liujun.com:'))).toMatch(/regenerated: it expires on \d{4}-\d\d-\d\d, within 30 days/);
    expect(r.changed.find((l) => l.startsWith('vue-backup.liujun.com:'))).toMatch(/regenerated: it expired on \d{4}-\d\d-\d\d/);
    expect(r.changed).toHaveLength(2);
    await expectValidWithOpenssl(r, 'vue-web.liujun.com');
    await expectValidWithOpenssl(r, 'vue-backup.liujun.com');
    expect((await verifyCerts(dir)).every((l) => l.ok)).toBe(true);
  }, 60_000);

  it('time passing: 800 days on, every leaf is within 30 days of expiry and is renewed; the CA is kept', async () => {
    await ensureCerts({ outDir: dir });
    const caBefore = await fs.readFile(path.join(dir, 'ca', 'ca.crt'), 'utf8');
    const r = await ensureCerts({ outDir: dir, now: new Date(Date.now() + 800 * DAY) });
    expect(r.changed).toHaveLength(7);
    expect(r.changed.every((l) => /within 30 days/.test(l))).toBe(true);
    expect(await fs.readFile(path.join(dir, 'ca', 'ca.crt'), 'utf8')).toBe(caBefore);
  }, 60_000);

  it('an invalid or missing CA is regenerated, and then every leaf is re-issued under it', async () => {
    const first = await ensureCerts({ outDir: dir });
    // put a leaf where the CA should be: parseable, but not a CA
    await fs.copyFile(first.leaves['go-backend.liujun.com']!.cert, first.caCert);
    const r = await ensureCerts({ outDir: dir });
    expect(r.changed[0]).toMatch(/^CA .*: regenerated: is not a CA certificate/);
    expect(r.changed.slice(1).every((l) => l.endsWith('re-issued under the new CA'))).toBe(true);
    expect(r.changed).toHaveLength(8);
    for (const d of DEFAULT_DOMAINS) await expectValidWithOpenssl(r, d);

    await fs.rm(path.join(dir, 'ca', 'ca.key'));
    const r2 = await ensureCerts({ outDir: dir });
    expect(r2.changed[0]).toMatch(/regenerated: .*ca\.key is missing/);
    for (const d of DEFAULT_DOMAINS) await expectValidWithOpenssl(r2, d);
  }, 60_000);

  it('a stale or edited bundle is rewritten from its parts; a missing leaf file is regenerated', async () => {
    const first = await ensureCerts({ outDir: dir });
    await fs.writeFile(first.bundles['touch.liujun.com']!, 'edited by hand\n');
    await fs.rm(first.leaves['stars.liujun.com']!.key);
    const r = await ensureCerts({ outDir: dir });
    expect(r.changed.find((l) => l.includes('touch.liujun.com.pem'))).toMatch(/rewritten \(did not match certificate \+ CA \+ key\)/);
    expect(r.changed.find((l) => l.startsWith('stars.liujun.com:'))).toMatch(/private\.key is missing/);
    await expectValidWithOpenssl(r, 'touch.liujun.com');
    await expectValidWithOpenssl(r, 'stars.liujun.com');
  }, 60_000);
});

describe('corrupt files', () => {
  it('a corrupt certificate or key gives a FileError naming it, with a hint, and writes nothing', async () => {
    const first = await ensureCerts({ outDir: dir });
    const bad = first.leaves['python-backend.liujun.com']!.cert;
    await fs.writeFile(bad, '-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n');
    const before = await snapshot(dir);
    const err = await ensureCerts({ outDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(err.file).toBe(bad);
    expect(err.message).toContain(bad);
    expect(err.hint).toMatch(/delete it|--force/);
    const after = await snapshot(dir);
    for (const [f, v] of before) expect(after.get(f)!.mtimeMs, f).toBe(v.mtimeMs);

    await fs.writeFile(bad, 'garbage');
    await expect(ensureCerts({ outDir: dir })).rejects.toThrow(/python-backend\.liujun\.com\/certificate\.crt: is not a PEM certificate/);

    // verify reports it as a fault instead of throwing
    const lines = await verifyCerts(dir);
    const line = lines.find((l) => l.file === bad)!;
    expect(line.ok).toBe(false);
    expect(line.message).toMatch(/not a PEM certificate/);

    // --force replaces it
    const forced = await ensureCerts({ outDir: dir, force: true });
    await expectValidWithOpenssl(forced, 'python-backend.liujun.com');
  }, 60_000);

  it('a corrupt key: the error names the file and shows none of its contents', async () => {
    const first = await ensureCerts({ outDir: dir });
    const key = path.join(dir, 'ca', 'ca.key');
    const text = await fs.readFile(key, 'utf8');
    const secret = text.split('\n')[3]!;
    await fs.writeFile(key, text.replace(secret, secret.split('').reverse().join('')));
    const err = await ensureCerts({ outDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toContain(key);
    expect(`${err.message} ${err.hint}`).not.toContain(secret.slice(5, 25));
    expect(first.caCert).toBeTruthy();
  }, 60_000);
});
