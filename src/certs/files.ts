// Reading and writing certificate files: atomic writes with the final mode set before the rename
// (so a key is never briefly world-readable), and PEM parsing that turns any failure into a
// FileError naming the file. Error messages never include file contents.
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { FileError } from '../util/errors.js';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;
export const PRIVATE_DIR_MODE = 0o700;

export const CORRUPT_HINT = 'delete it, or rerun `lab certs --force` to regenerate every certificate';

/** Reads a file, or returns undefined when it does not exist. Other failures become a FileError. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new FileError(file, undefined, `cannot read (${code ?? 'error'})`, {
      hint: code === 'EISDIR' ? 'a directory stands where a file should be: remove it' : code === 'ENOTDIR' ? 'a file stands where one of its folders should be: move it away, or choose another --out' : 'check its permissions',
      cause: e,
    });
  }
}

/** The permission bits of a file, or undefined when it does not exist. */
export async function modeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** Writes `data` to `file` through a temporary file created with `mode`, then renames it into place. */
export async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
  try {
    await handle.chmod(mode); // the umask may have narrowed it; never widened beyond `mode`
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Creates a directory (and parents); `mode` is applied to the last one even if it already existed. */
export async function ensureDir(dir: string, mode?: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  if (mode !== undefined) {
    const current = (await fs.stat(dir)).mode & 0o777;
    if (current !== mode) await fs.chmod(dir, mode);
  }
}

/** forge writes PEM with CRLF line ends; the files we write use LF, like openssl. */
export function lf(pem: string): string {
  const s = pem.replace(/\r\n/g, '\n');
  return s.endsWith('\n') ? s : `${s}\n`;
}

export function parseCertificate(file: string, text: string): forge.pki.Certificate {
  const blocks = pemBlocks(text);
  if (blocks.length === 0 || blocks[0]!.type !== 'CERTIFICATE') {
    throw new FileError(file, undefined, 'is not a PEM certificate (no "BEGIN CERTIFICATE" block)', { hint: CORRUPT_HINT });
  }
  try {
    return forge.pki.certificateFromPem(text);
  } catch (e) {
    throw new FileError(file, undefined, `holds a certificate that cannot be parsed (${safeReason(e)})`, {
      hint: CORRUPT_HINT,
      cause: e,
    });
  }
}

export function parsePrivateKey(file: string, text: string): forge.pki.rsa.PrivateKey {
  const blocks = pemBlocks(text);
  const type = blocks[0]?.type;
  if (type !== 'RSA PRIVATE KEY' && type !== 'PRIVATE KEY') {
    throw new FileError(
      file,
      undefined,
      type === 'ENCRYPTED PRIVATE KEY'
        ? 'holds an encrypted private key; HAProxy and lab need it unencrypted'
        : 'is not a PEM RSA private key (no "BEGIN RSA PRIVATE KEY" or "BEGIN PRIVATE KEY" block)',
      { hint: CORRUPT_HINT },
    );
  }
  try {
    const key = forge.pki.privateKeyFromPem(text) as forge.pki.rsa.PrivateKey | null;
    if (!key || !key.n) throw new Error('not an RSA key');
    if (!rsaKeyConsistent(key)) throw new Error('its numbers do not fit together: the file is damaged');
    return key;
  } catch (e) {
    // Never echo key material: the reason comes from a fixed list of parser messages, trimmed.
    throw new FileError(file, undefined, `holds a private key that cannot be parsed (${safeReason(e)})`, {
      hint: CORRUPT_HINT,
      cause: undefined,
    });
  }
}

/**
 * forge parses any well-formed DER without checking the RSA arithmetic, so a flipped byte can yield a
 * "key" that parses but signs garbage. Check n = p·q, e·d ≡ 1 (mod p−1, q−1) and the CRT values.
 */
export function rsaKeyConsistent(key: forge.pki.rsa.PrivateKey): boolean {
  const { n, e, d, p, q, dP, dQ, qInv } = key;
  if (!p || !q || !d) return false;
  const one = forge.jsbn.BigInteger.ONE;
  const p1 = p.subtract(one);
  const q1 = q.subtract(one);
  return (
    p.multiply(q).equals(n) &&
    e.multiply(d).mod(p1).equals(one) &&
    e.multiply(d).mod(q1).equals(one) &&
    (!dP || d.mod(p1).equals(dP)) &&
    (!dQ || d.mod(q1).equals(dQ)) &&
    (!qInv || qInv.multiply(q).mod(p).equals(one))
  );
}

export interface PemBlock {
  type: string;
  /** The whole block, BEGIN to END line, LF line ends, with a trailing newline. */
  text: string;
}

/** Splits PEM text into its blocks, in order. Anything between blocks is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
  for (const m of text.matchAll(re)) out.push({ type: m[1]!, text: lf(m[0]) });
  return out;
}

/** The DER bytes of a PEM block, for comparing blocks regardless of line wrapping. */
export function pemBody(block: PemBlock): string {
  return block.text
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
}

function safeReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0]!.slice(0, 120);
  // forge's messages are fixed strings; strip anything that looks like base64 just in case.
  return first.replace(/[A-Za-z0-9+/=]{40,}/g, '…').replace(/\.$/, '');
}
