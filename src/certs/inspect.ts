// Checks shared by `lab certs` (decide what to keep) and `lab certs verify` (report faults).
// Each returns human-readable problems; an empty list means the file is good.
import forge from 'node-forge';
import { keyMatchesCertificate } from './keys.js';
import { DAY_MS, subjectKeyIdentifierBytes } from './ca.js';
import { MAX_LEAF_DAYS } from './leaf.js';

/** A leaf or CA that expires within this many days is renewed. */
export const RENEW_WITHIN_DAYS = 30;

const day = (d: Date) => d.toISOString().slice(0, 10);

export function validityProblems(cert: forge.pki.Certificate, now = new Date()): string[] {
  const { notBefore, notAfter } = cert.validity;
  if (notAfter.getTime() <= now.getTime()) return [`expired on ${day(notAfter)}`];
  if (notBefore.getTime() > now.getTime()) return [`not valid until ${notBefore.toISOString()}`];
  if (notAfter.getTime() - now.getTime() < RENEW_WITHIN_DAYS * DAY_MS) {
    return [`expires on ${day(notAfter)}, within ${RENEW_WITHIN_DAYS} days`];
  }
  return [];
}

function signedWithSha256(cert: forge.pki.Certificate): boolean {
  return cert.siginfo.algorithmOid === forge.pki.oids.sha256WithRSAEncryption;
}

/** Verifies `child`'s signature with `issuer`'s key; false on any mismatch instead of throwing. */
export function issuedBy(child: forge.pki.Certificate, issuer: forge.pki.Certificate): boolean {
  try {
    return issuer.verify(child);
  } catch {
    return false;
  }
}

/** The keyIdentifier of a certificate's authorityKeyIdentifier extension, as hex, if it has one. */
export function authorityKeyIdentifierHex(cert: forge.pki.Certificate): string | undefined {
  const ext = cert.getExtension('authorityKeyIdentifier') as { value?: unknown } | null;
  if (!ext?.value) return undefined;
  try {
    const node = typeof ext.value === 'string' ? forge.asn1.fromDer(ext.value) : (ext.value as forge.asn1.Asn1);
    const items = Array.isArray(node.value) ? node.value : [];
    const keyId = items.find((i) => i.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && i.type === 0);
    return keyId && typeof keyId.value === 'string' ? forge.util.bytesToHex(keyId.value) : undefined;
  } catch {
    return undefined;
  }
}

/** The DNS names in a certificate's subjectAltName. */
export function dnsNames(cert: forge.pki.Certificate): string[] {
  const ext = cert.getExtension('subjectAltName') as { altNames?: { type: number; value: string }[] } | null;
  return (ext?.altNames ?? []).filter((n) => n.type === 2).map((n) => n.value.toLowerCase());
}

export function caProblems(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey | undefined, now = new Date()): string[] {
  const problems: string[] = [];
  const bc = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (!bc?.cA) problems.push('is not a CA certificate (basicConstraints CA:true missing)');
  const ku = cert.getExtension('keyUsage') as { keyCertSign?: boolean } | null;
  if (ku && !ku.keyCertSign) problems.push('its keyUsage lacks keyCertSign');
  if (!issuedBy(cert, cert)) problems.push('is not self-signed');
  if (!signedWithSha256(cert)) problems.push('is not signed with SHA-256');
  if (key && !keyMatchesCertificate(cert, key)) problems.push('ca.key does not match ca.crt');
  problems.push(...validityProblems(cert, now));
  return problems;
}

export function leafProblems(
  domain: string,
  cert: forge.pki.Certificate,
  key: forge.pki.rsa.PrivateKey | undefined,
  caCert: forge.pki.Certificate | undefined,
  now = new Date(),
): string[] {
  const problems: string[] = [];
  if (caCert) {
    if (!issuedBy(cert, caCert)) problems.push('it was not signed by the current lab CA');
    else {
      const aki = authorityKeyIdentifierHex(cert);
      const ski = forge.util.bytesToHex(subjectKeyIdentifierBytes(caCert));
      if (aki !== ski) problems.push(aki ? "its authorityKeyIdentifier is not the CA's key identifier" : 'it has no authorityKeyIdentifier');
    }
  }
  const names = dnsNames(cert);
  if (!names.includes(domain)) {
    problems.push(`its SAN does not name ${domain} (${names.length ? `names ${names.join(', ')}` : 'no DNS names'})`);
  }
  const eku = cert.getExtension('extKeyUsage') as { serverAuth?: boolean } | null;
  if (!eku?.serverAuth) problems.push('its extKeyUsage lacks serverAuth');
  if (!signedWithSha256(cert)) problems.push('it is not signed with SHA-256');
  const span = cert.validity.notAfter.getTime() - cert.validity.notBefore.getTime();
  if (span > MAX_LEAF_DAYS * DAY_MS + 60_000) problems.push(`it is valid for ${Math.round(span / DAY_MS)} days, more than ${MAX_LEAF_DAYS}`);
  if (key && !keyMatchesCertificate(cert, key)) problems.push('its private key does not match the certificate');
  problems.push(...validityProblems(cert, now).map((p) => `it ${p}`));
  return problems;
}
