// The tutorial's seven service domains, domain-name validation, and the deliberate choice of the
// certificate HAProxy presents to clients that send no SNI (or an SNI that matches nothing).
import { UsageError } from '../util/errors.js';

/** The seven `.liujun.com` domains of the tutorial, in the order HAProxy will load their bundles. */
export const DEFAULT_DOMAINS: string[] = [
  'go-backend.liujun.com',
  'java-backend.liujun.com',
  'python-backend.liujun.com',
  'stars.liujun.com',
  'touch.liujun.com',
  'vue-backup.liujun.com',
  'vue-web.liujun.com',
];

/** The domain whose certificate clients without SNI should get: the tutorial's `default_backend go-backend`. */
export const PREFERRED_DEFAULT_DOMAIN = 'go-backend.liujun.com';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True for a plain DNS host name with at least two labels (no wildcard, no trailing dot). */
export function isDomainName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = name.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/** Lower-cases and checks a domain given on the command line; throws a UsageError with a hint if it is not one. */
export function normalizeDomain(name: string): string {
  const d = name.trim().toLowerCase();
  if (!isDomainName(d)) {
    throw new UsageError(`"${name}" is not a domain name lab can make a certificate for`, {
      hint: 'Give a plain host name such as shop.liujun.com: letters, digits and dashes, at least one dot, no wildcard.',
    });
  }
  return d;
}

/** The file name of a domain's bundle in the HAProxy crt directory. */
export function bundleFileName(domain: string): string {
  return `${domain}.pem`;
}

/** Byte-order comparison, the order of C's alphasort/strcmp in the "C" locale (not localeCompare). */
export function byteOrder(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

/**
 * The domain whose certificate HAProxy presents when a client sends no SNI, or an SNI that matches no
 * certificate.
 *
 * HAProxy (2.6, as in the lab images) loads a `crt <directory>` with scandir(3) + alphasort, i.e. in
 * byte order of the file names, and the first certificate loaded on a bind line becomes that line's
 * default certificate. The generator names bundles `<domain>.pem`, so the default is the domain whose
 * bundle file name sorts first. For the seven tutorial domains that is go-backend.liujun.com, which is
 * also the tutorial's `default_backend`: a client without SNI gets the certificate of the site it will
 * be routed to. A student who adds a domain that sorts earlier (say api.liujun.com) moves the default;
 * `lab certs` prints the current default so that is never a surprise.
 */
export function defaultCertificateDomain(domains: string[]): string {
  if (domains.length === 0) throw new UsageError('no domains to choose a default certificate from');
  return [...domains].sort((a, b) => byteOrder(bundleFileName(a), bundleFileName(b)))[0]!;
}

/** Removes duplicates, keeping first occurrences. */
export function uniqueDomains(domains: string[]): string[] {
  return [...new Set(domains)];
}
