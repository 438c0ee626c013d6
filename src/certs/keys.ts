// RSA key generation through node-forge's native path (Node's crypto.generateKeyPair on the libuv
// thread pool), never forge's pure-JavaScript generator, which takes seconds per key.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export const KEY_BITS = 2048;

export interface KeyPair {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}

/**
 * Generates an RSA key pair. forge hands the work to Node's native crypto.generateKeyPair when a
 * callback is given and forge.options.usePureJavaScript is false, so several calls run in parallel.
 */
export function generateKeyPair(bits = KEY_BITS): Promise<KeyPair> {
  // @types/node-forge does not declare forge.options; it exists at runtime (default usePureJavaScript: false).
  if ((forge as unknown as { options?: { usePureJavaScript?: boolean } }).options?.usePureJavaScript) {
    // Someone forced the slow path; refuse rather than silently take seconds per key.
    return Promise.reject(new Error('node-forge is set to pure JavaScript; lab needs native RSA key generation'));
  }
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 }, (err, keys) => (err ? reject(err) : resolve(keys)));
  });
}

/** True when the private key belongs to the certificate's public key (modulus and exponent compared). */
export function keyMatchesCertificate(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): boolean {
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  return !!pub?.n && pub.n.equals(key.n) && pub.e.equals(key.e);
}

export function privateKeyToPem(key: forge.pki.rsa.PrivateKey): string {
  return forge.pki.privateKeyToPem(key).replace(/\r\n/g, '\n');
}

/** Node's form of a forge key, made once per key (a CA signs seven leaves). */
const nativeKeys = new WeakMap<forge.pki.rsa.PrivateKey, KeyObject>();

/**
 * forge's `cert.sign(key, sha256)`, with the RSA step in Node's native crypto: forge's JavaScript big
 * numbers took about a third of the CPU of a lab's first certificates (eight signatures; jsbn's
 * montReduce in a profile). The same certificate comes out: sha256WithRSAEncryption, PKCS#1 v1.5, over
 * the DER of forge's TBSCertificate, with forge's fields set as cert.sign sets them.
 */
export function signCertificate(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): void {
  // @types/node-forge leaves out the fields cert.sign sets.
  const c = cert as unknown as {
    md: forge.md.MessageDigest;
    signatureOid: string;
    siginfo: { algorithmOid: string };
    tbsCertificate: forge.asn1.Asn1;
    signature: string;
  };
  c.md = forge.md.sha256.create();
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // Declared by forge at runtime, not by @types/node-forge.
  const pki = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  c.tbsCertificate = pki.getTBSCertificate(cert);
  const der = forge.asn1.toDer(c.tbsCertificate).getBytes();
  c.md.update(der);
  let native = nativeKeys.get(key);
  if (!native) {
    native = createPrivateKey(forge.pki.privateKeyToPem(key));
    nativeKeys.set(key, native);
  }
  c.signature = sign('sha256', Buffer.from(der, 'binary'), native).toString('binary');
}
