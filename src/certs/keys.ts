// RSA key generation through node-forge's native path (Node's crypto.generateKeyPair on the libuv
// thread pool), never forge's pure-JavaScript generator, which takes seconds per key.
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
