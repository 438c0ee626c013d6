// The certificate HAProxy presents to a client without SNI is chosen on purpose: the bundle that sorts
// first in the crt directory (HAProxy loads it with scandir + alphasort and the first one is the default).
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import {
  DEFAULT_DOMAINS,
  PREFERRED_DEFAULT_DOMAIN,
  defaultCertificateDomain,
  ensureCerts,
  haproxyDir,
} from '../../src/certs/index.js';
import { freePort, listening } from '../helpers/ports.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('defaultCertificateDomain', () => {
  it('is go-backend.liujun.com for the seven tutorial domains (the tutorial default_backend)', () => {
    expect(PREFERRED_DEFAULT_DOMAIN).toBe('go-backend.liujun.com');
    expect(defaultCertificateDomain(DEFAULT_DOMAINS)).toBe(PREFERRED_DEFAULT_DOMAIN);
    expect(defaultCertificateDomain([...DEFAULT_DOMAINS].reverse())).toBe(PREFERRED_DEFAULT_DOMAIN);
  });

  it('follows C byte order of the bundle file names, not the locale', () => {
    // '-' (0x2d) sorts before '.' (0x2e): go-backend.liujun.com.pem < go.liujun.com.pem
    expect(defaultCertificateDomain(['go.liujun.com', 'go-backend.liujun.com'])).toBe('go-backend.liujun.com');
    // digits before letters
    expect(defaultCertificateDomain(['a.liujun.com', '0.liujun.com'])).toBe('0.liujun.com');
    // a student domain that sorts earlier moves the default
    expect(defaultCertificateDomain([...DEFAULT_DOMAINS, 'api.liujun.com'])).toBe('api.liujun.com');
  });

  it('the generator writes the default bundle first in the directory, as `LC_ALL=C ls` and HAProxy see it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-default-'));
    dirs.push(dir);
    const r = await ensureCerts({ outDir: dir });
    expect(r.defaultDomain).toBe(PREFERRED_DEFAULT_DOMAIN);
    expect(r.domains[0]).toBe(r.defaultDomain);
    const listing = (await execa('ls', ['-1', haproxyDir(dir)], { env: { LC_ALL: 'C' } })).stdout.split('\n');
    expect(listing).toEqual(DEFAULT_DOMAINS.map((d) => `${d}.pem`));
    expect(listing[0]).toBe(`${defaultCertificateDomain(r.domains)}.pem`);
    // nothing else sits in the crt directory for HAProxy to load first
    expect(listing.every((f) => f.endsWith('.pem'))).toBe(true);
  }, 60_000);
});

// Check the claim on the real binary (Debian's HAProxy 2.6, as in the lab images; CI installs it), on
// loopback only: load the generated crt directory and see what each kind of client gets. Without haproxy
// on this machine these tests fail, saying so: they never skip.
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

let haproxyBin: string | undefined;

async function waitForPort(port: number, ms: number): Promise<void> {
  if (!(await listening(port, ms))) throw new Error(`haproxy did not listen on 127.0.0.1:${port}`);
}

/** Starts haproxy on a free loopback port with `crt <dir>/haproxy/`, runs `fn`, then stops it. */
async function withHaproxy<T>(outDir: string, fn: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const cfg = path.join(outDir, 'haproxy.cfg');
  await fs.writeFile(
    cfg,
    [
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend https-in',
      `  bind 127.0.0.1:${port} ssl crt ${haproxyDir(outDir)}/`,
      '  http-request return status 200 content-type text/plain string ok',
      '',
    ].join('\n'),
  );
  const check = await execa(haproxyBin!, ['-c', '-f', cfg], { reject: false });
  expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  const proc = spawn(haproxyBin!, ['-db', '-f', cfg], { stdio: 'ignore' });
  try {
    await waitForPort(port, 5000);
    return await fn(port);
  } finally {
    proc.kill('SIGTERM');
  }
}

/** The SAN of the certificate HAProxy presents, verified against the lab CA. */
async function servedSan(port: number, caCert: string, sni: string[]): Promise<string> {
  const hello = await execa(
    hostTool('openssl'),
    ['s_client', '-connect', `127.0.0.1:${port}`, ...sni, '-CAfile', caCert, '-verify_return_error', '-showcerts'],
    { input: '', reject: false },
  );
  expect(hello.stdout).toContain('Verify return code: 0 (ok)');
  const leaf = hello.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0];
  return (await execa(hostTool('openssl'), ['x509', '-noout', '-ext', 'subjectAltName'], { input: leaf })).stdout;
}

describe('what HAProxy presents (local haproxy binary, loopback only)', () => {
  beforeAll(() => {
    haproxyBin = hostTool('haproxy');
    hostTool('openssl');
  });

  it('no SNI and unknown SNI get go-backend.liujun.com; a known SNI gets its own certificate', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-haproxy-'));
    dirs.push(dir);
    const r = await ensureCerts({ outDir: dir });
    await withHaproxy(dir, async (port) => {
      expect(await servedSan(port, r.caCert, ['-noservername'])).toContain(`DNS:${defaultCertificateDomain(r.domains)}`);
      expect(await servedSan(port, r.caCert, ['-noservername'])).toContain('DNS:go-backend.liujun.com');
      expect(await servedSan(port, r.caCert, ['-servername', 'unknown.example.test'])).toContain('DNS:go-backend.liujun.com');
      for (const d of ['stars.liujun.com', 'vue-web.liujun.com']) {
        expect(await servedSan(port, r.caCert, ['-servername', d])).toContain(`DNS:${d}`);
      }
    });
  }, 60_000);

  it('the default follows the sort order, not chance: a domain that sorts first becomes the default', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-certs-haproxy-'));
    dirs.push(dir);
    const r = await ensureCerts({ outDir: dir, extraDomains: ['zzz.liujun.com', 'api.liujun.com'] });
    expect(r.defaultDomain).toBe('api.liujun.com');
    await withHaproxy(dir, async (port) => {
      expect(await servedSan(port, r.caCert, ['-noservername'])).toContain('DNS:api.liujun.com');
    });
  }, 60_000);
});
