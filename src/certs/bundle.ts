// HAProxy bundles: the leaf certificate, then the CA chain, then the private key, in one PEM file
// (the tutorial's `cat certificate.crt private.key > <domain>.pem`, plus the chain).
import { lf, pemBlocks, pemBody } from './files.js';

export function bundlePem(leafCertPem: string, caCertPem: string, keyPem: string): string {
  return lf(leafCertPem) + lf(caCertPem) + lf(keyPem);
}

/** Compares a bundle's blocks, in order, with the files it should be made from. Empty list = good. */
export function bundleProblems(text: string, leafCertPem: string, caCertPem: string, keyPem: string): string[] {
  const blocks = pemBlocks(text);
  const want = [...pemBlocks(leafCertPem), ...pemBlocks(caCertPem), ...pemBlocks(keyPem)];
  const problems: string[] = [];
  const names = ['the certificate', 'the CA certificate', 'the private key'];
  if (blocks.length !== want.length) {
    problems.push(`holds ${blocks.length} PEM blocks, expected ${want.length} (certificate, CA, key)`);
  }
  for (let i = 0; i < Math.min(blocks.length, want.length); i++) {
    if (blocks[i]!.type !== want[i]!.type || pemBody(blocks[i]!) !== pemBody(want[i]!)) {
      problems.push(`block ${i + 1} is not ${names[i] ?? 'what it should be'}`);
    }
  }
  return problems;
}
