// The lab root CA: self-signed, CA:true pathlen 0, keyCertSign + cRLSign, with a subject key identifier.
// Its key stays in certs/ca/ and is never mounted into a container.
import forge from 'node-forge';
import { randomBytes } from 'node:crypto';
import type { KeyPair } from './keys.js';
import { privateKeyToPem, signCertificate } from './keys.js';
import { randomSerialHex } from './serial.js';
import { lf } from './files.js';

export const CA_DAYS = 3650;
/** Certificates start a little in the past so clock differences never make a fresh one "not yet valid". */
export const BACKDATE_MS = 5 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface CaMaterial {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  certPem: string;
  keyPem: string;
}

/** The CA's subject key identifier as raw bytes (a forge binary string), read from its extension. */
export function subjectKeyIdentifierBytes(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

export function createCa(keys: KeyPair, opts: { days?: number; now?: Date } = {}): CaMaterial {
  const now = opts.now ?? new Date();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(cert.validity.notBefore.getTime() + (opts.days ?? CA_DAYS) * DAY_MS);
  // A short random tag keeps two labs' CAs apart in a browser's authority list.
  const attrs = [
    { name: 'commonName', value: `haproxy-lab root CA ${randomBytes(3).toString('hex')}` },
    { name: 'organizationName', value: 'haproxy-lab (liujun.com course)' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keys.privateKey);
  return {
    cert,
    key: keys.privateKey,
    certPem: lf(forge.pki.certificateToPem(cert)),
    keyPem: privateKeyToPem(keys.privateKey),
  };
}
