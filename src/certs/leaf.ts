// A server certificate for one domain, signed by the lab CA.
import forge from 'node-forge';
import type { KeyPair } from './keys.js';
import { privateKeyToPem, signCertificate } from './keys.js';
import { randomSerialHex } from './serial.js';
import { lf } from './files.js';
import { BACKDATE_MS, DAY_MS, subjectKeyIdentifierBytes, type CaMaterial } from './ca.js';

/** Browsers reject server certificates valid for longer than 825 days; this is the longest we issue. */
export const MAX_LEAF_DAYS = 825;
export const DEFAULT_LEAF_DAYS = 825;

export interface LeafMaterial {
  domain: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  certPem: string;
  keyPem: string;
}

export function createLeaf(
  domain: string,
  ca: Pick<CaMaterial, 'cert' | 'key'>,
  keys: KeyPair,
  opts: { days?: number; now?: Date } = {},
): LeafMaterial {
  const now = opts.now ?? new Date();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(cert.validity.notBefore.getTime() + (opts.days ?? DEFAULT_LEAF_DAYS) * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: domain },
    { name: 'organizationName', value: 'haproxy-lab (liujun.com course)' },
  ]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: domain }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierBytes(ca.cert) },
  ]);
  signCertificate(cert, ca.key);
  return {
    domain,
    cert,
    key: keys.privateKey,
    certPem: lf(forge.pki.certificateToPem(cert)),
    keyPem: privateKeyToPem(keys.privateKey),
  };
}
