// The host key check of `--engine ssh://…`, as OpenSSH does it: the engine's machine must present a key
// listed for it in known_hosts (plain or hashed host names, `[host]:port` for other ports). Grading
// sends every submission to that machine, so an unknown or changed key refuses the connection.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  /** The key blob (base64 in the file). */
  key: Buffer;
  revoked: boolean;
}

function hostMatches(pattern: string, names: string[]): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return names.some((n) => createHmac('sha1', Buffer.from(salt, 'base64')).update(n).digest('base64') === hash);
  }
  const list = pattern.split(',');
  if (list.some((p) => p.startsWith('!') && names.includes(p.slice(1)))) return false;
  return list.some((p) => names.includes(p));
}

/** Keys known_hosts lists for host:port. */
export function knownKeys(text: string, host: string, port: number): KnownKey[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const out: KnownKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let words = line.split(/\s+/);
    let revoked = false;
    if (words[0]!.startsWith('@')) {
      if (words[0] === '@revoked') revoked = true;
      else continue; // @cert-authority: certificates are not supported here
      words = words.slice(1);
    }
    const [hosts, , b64] = words;
    if (!hosts || !b64 || !hostMatches(hosts, names)) continue;
    out.push({ key: Buffer.from(b64, 'base64'), revoked });
  }
  return out;
}

/** An ssh2 hostVerifier: true when the presented key is listed (and not revoked) for the host. */
export function knownHostsVerifier(file: string, host: string, port: number): (key: Buffer) => boolean {
  return (key: Buffer) => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    const keys = knownKeys(text, host, port);
    if (keys.some((k) => k.revoked && k.key.equals(key))) return false;
    return keys.some((k) => !k.revoked && k.key.equals(key));
  };
}
