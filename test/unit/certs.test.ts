// The generator's output, checked with the openssl command line as an independent verifier.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { execa } from 'execa';
import { existsSync, promises as fs } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import {
  ensureCerts,
  verifyCerts,
  DEFAULT_DOMAINS,
  MAX_LEAF_DAYS,
  type CertsResult,
} from '../../src/certs/index.js';
import { generateKeyPair } from '../../src/certs/keys.js';

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

let dir: string;
let result: CertsResult;
const logged: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-'));
  result = await ensureCerts({ outDir: dir, log: (l) => logged.push(l) });
}, 60_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('key generation', () => {
  // Pure-JS forge takes seconds per key; the native call is what keeps `lab certs` fast. How fast is
  // measured in bench/certs.mjs, not asserted here.
  it('goes through node:crypto generateKeyPair (native), not forge pure JS', async () => {
    const spy = vi.spyOn(crypto, 'generateKeyPair');
    const keys = await generateKeyPair();
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(keys.privateKey.n.bitLength()).toBe(2048);
  });
});

describe('lab certs output, checked with openssl', () => {
  it('writes the layout the issue names', async () => {
    expect(result.domains).toEqual(DEFAULT_DOMAINS);
    expect(result.caCert).toBe(path.join(dir, 'ca', 'ca.crt'));
    for (const d of DEFAULT_DOMAINS) {
      expect(result.leaves[d]).toEqual({
        cert: path.join(dir, d, 'certificate.crt'),
        key: path.join(dir, d, 'private.key'),
      });
      expect(result.bundles[d]).toBe(path.join(dir, 'haproxy', `${d}.pem`));
    }
    await fs.access(path.join(dir, 'ca', 'ca.key'));
  });

  it('makes a CA with CA:true pathlen 0, keyCertSign + cRLSign and a subject key identifier', async () => {
    const text = await openssl('x509', '-in', result.caCert, '-noout', '-ext', 'basicConstraints,keyUsage,subjectKeyIdentifier');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Subject Key Identifier:\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
    // self-signed and trusted by itself
    expect(await openssl('verify', '-CAfile', result.caCert, result.caCert)).toContain(': OK');
  });

  it.each(DEFAULT_DOMAINS)('%s: openssl verify -CAfile passes', async (d) => {
    expect(await openssl('verify', '-CAfile', result.caCert, result.leaves[d]!.cert)).toBe(`${result.leaves[d]!.cert}: OK`);
    // the server-purpose check, as a TLS client would apply it
    expect(await openssl('verify', '-purpose', 'sslserver', '-CAfile', result.caCert, result.leaves[d]!.cert)).toContain(': OK');
  });

  it.each(DEFAULT_DOMAINS)('%s: SAN, serverAuth, AKI = CA SKI, SHA-256, 128-bit serial, at most 825 days', async (d) => {
    const cert = result.leaves[d]!.cert;
    const san = await openssl('x509', '-in', cert, '-noout', '-ext', 'subjectAltName');
    expect(san).toMatch(new RegExp(`DNS:${d.replace(/\./g, '\\.')}(\\s|$)`));
    const ext = await openssl('x509', '-in', cert, '-noout', '-ext', 'extendedKeyUsage,authorityKeyIdentifier');
    expect(ext).toContain('TLS Web Server Authentication');
    const caSki = (await openssl('x509', '-in', result.caCert, '-noout', '-ext', 'subjectKeyIdentifier')).split('\n')[1]!.trim();
    expect(ext).toContain(caSki);
    const textOut = await openssl('x509', '-in', cert, '-noout', '-text');
    expect(textOut).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    const serial = (await openssl('x509', '-in', cert, '-noout', '-serial')).replace('serial=', '').replace(/^(00)+/, '');
    expect(serial.length).toBeGreaterThanOrEqual(31); // 128 random bits, first byte non-zero
    expect(serial.length).toBeLessThanOrEqual(32);
    const dates = await openssl('x509', '-in', cert, '-noout', '-startdate', '-enddate');
    const [nb, na] = dates.split('\n').map((l) => new Date(l.split('=')[1]!));
    expect(na!.getTime() - nb!.getTime()).toBeLessThanOrEqual(MAX_LEAF_DAYS * 86_400_000);
    expect(na!.getTime() - Date.now()).toBeGreaterThan(800 * 86_400_000);
  });

  it.each(DEFAULT_DOMAINS)('%s: the private key matches the certificate', async (d) => {
    const fromCert = await openssl('x509', '-in', result.leaves[d]!.cert, '-noout', '-pubkey');
    const fromKey = await openssl('pkey', '-in', result.leaves[d]!.key, '-pubout');
    expect(fromKey.trim()).toBe(fromCert.trim());
    const m1 = await openssl('x509', '-in', result.leaves[d]!.cert, '-noout', '-modulus');
    const m2 = await openssl('rsa', '-in', result.leaves[d]!.key, '-noout', '-modulus');
    expect(m2).toBe(m1);
  });

  it('the CA key matches the CA certificate', async () => {
    const fromCert = await openssl('x509', '-in', result.caCert, '-noout', '-pubkey');
    const fromKey = await openssl('pkey', '-in', path.join(dir, 'ca', 'ca.key'), '-pubout');
    expect(fromKey.trim()).toBe(fromCert.trim());
  });

  it.each(DEFAULT_DOMAINS)('%s: the HAProxy bundle holds certificate, then CA, then key', async (d) => {
    const bundle = result.bundles[d]!;
    const text = await fs.readFile(bundle, 'utf8');
    const types = [...text.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]);
    expect(types).toEqual(['CERTIFICATE', 'CERTIFICATE', 'RSA PRIVATE KEY']);
    const [cert, ca, key] = await Promise.all([
      fs.readFile(result.leaves[d]!.cert, 'utf8'),
      fs.readFile(result.caCert, 'utf8'),
      fs.readFile(result.leaves[d]!.key, 'utf8'),
    ]);
    expect(text).toBe(cert + ca + key);
    // openssl reads the first certificate of the bundle and the key inside it
    expect(await openssl('verify', '-CAfile', result.caCert, bundle)).toContain(': OK');
    const fromBundleKey = await openssl('pkey', '-in', bundle, '-pubout');
    const fromCert = await openssl('x509', '-in', bundle, '-noout', '-pubkey');
    expect(fromBundleKey.trim()).toBe(fromCert.trim());
  });

  it('writes keys and bundles with mode 0600, and the CA directory with 0700', async () => {
    const mode = async (f: string) => (await fs.stat(f)).mode & 0o777;
    expect(await mode(path.join(dir, 'ca', 'ca.key'))).toBe(0o600);
    expect(await mode(path.join(dir, 'ca'))).toBe(0o700);
    for (const d of DEFAULT_DOMAINS) {
      expect(await mode(result.leaves[d]!.key)).toBe(0o600);
      expect(await mode(result.bundles[d]!)).toBe(0o600);
      expect(await mode(result.leaves[d]!.cert)).toBe(0o644);
    }
    // no temporary files left behind
    const leftovers = (await fs.readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('logs what it made, and never key material', () => {
    expect(logged).toHaveLength(8);
    expect(logged[0]).toMatch(/^CA .*ca\.crt: generated \(none found\)$/);
    const all = logged.join('\n') + JSON.stringify(result);
    expect(all).not.toMatch(/PRIVATE KEY|MII[A-Za-z0-9+/]{20}/);
  });

  it('lab certs verify finds every file good', async () => {
    const lines = await verifyCerts(dir);
    expect(lines).toHaveLength(2 + 3 * DEFAULT_DOMAINS.length);
    expect(lines.filter((l) => !l.ok)).toEqual([]);
  });

  it('forge reads back what openssl agrees with (sanity of the parser used for idempotency)', async () => {
    const ca = forge.pki.certificateFromPem(await fs.readFile(result.caCert, 'utf8'));
    const leaf = forge.pki.certificateFromPem(await fs.readFile(result.leaves[DEFAULT_DOMAINS[0]!]!.cert, 'utf8'));
    expect(ca.verify(leaf)).toBe(true);
  });
});
