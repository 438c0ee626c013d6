// The certificate HAProxy presents to a client without SNI is chosen on purpose: the bundle that sorts
// first in the crt directory (HAProxy loads it with scandir + alphasort and the first one is the default).
import { describe, it, expect, afterAll } from 'vitest';
import { promises as fs } from 'node:fs';
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
