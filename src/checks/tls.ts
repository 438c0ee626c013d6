// Which certificate HAProxy presents for an SNI, and whether it fits: lab mode asks openssl s_client in
// the client container for the chain, --target asks node:tls from here. The analysis is the same code.
import { X509Certificate } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import type { Runtime } from '../runtime/types.js';
import { shq } from './http.js';
import { runClientScript } from './client-script.js';

export interface PeerChain {
  /** PEM certificates as presented, leaf first; empty when the handshake failed. */
  chain: string[];
  error?: string;
}

export interface TlsClient {
  /** One handshake per SNI, against the edge address on `port`. */
  chains(snis: string[], port: number): Promise<PeerChain[]>;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function s_clientScript(address: string, port: number, snis: string[], token: string): string {
  const lines = ['d=$(mktemp -d)'];
  snis.forEach((sni, i) => {
    lines.push(
      // No trust store: the chain is judged in lab against the lab CA, and loading Debian's 140 CAs is
      // most of s_client's CPU (67 → 11 ms each, seven at once; a loaded CI run timed some out).
      `timeout 4 openssl s_client -no-CAfile -no-CApath -no-CAstore -connect ${shq(`${address}:${port}`)} -servername ${shq(sni)} -showcerts </dev/null > "$d/${i}" 2>&1 &`,
    );
  });
  lines.push('wait');
  snis.forEach((_, i) => lines.push(`printf '\\n@@${token} %s\\n' ${i}; cat "$d/${i}"`));
  lines.push('rm -rf "$d"');
  return `${lines.join('\n')}\n`;
}

/**
 * OpenSSL's reasons a student meets on port 443, said plainly, as openssl s_client and curl print them
 * (the raw reason is kept for the ones not listed).
 */
const PLAIN: [RegExp, string, string][] = [
  [/connection refused/i, 'connection refused (nothing listens on that port)', '连接被拒绝（该端口没有服务监听）'],
  [/wrong version number|packet length too long|unknown protocol|record layer failure/i, 'the port answers, but not with TLS (plain HTTP there?)', '端口有应答，但不是 TLS（那里是明文 HTTP？）'],
  [/unexpected eof|connection reset|errno=104|SSL_ERROR_SYSCALL/i, 'the connection was closed during the handshake', '握手过程中连接被关闭'],
  [/alert (handshake failure|unrecognized name|internal error)|tlsv1 alert|sslv3 alert/i, 'the server refused the handshake (a TLS alert)', '服务器拒绝了握手（TLS 告警）'],
  [/no route to host|network is unreachable|name or service not known/i, 'the address cannot be reached', '地址不可达'],
  [/certificate has expired/i, 'the certificate has expired', '证书已过期'],
  [
    /unable to get local issuer|self[- ]signed certificate|unknown ca|unable to verify the first certificate/i,
    'the certificate is not signed by a CA the client trusts (the lab CA)',
    '证书不是由客户端信任的 CA（实验 CA）签发的',
  ],
  [/no alternative certificate subject name matches|does not match target host name/i, 'the certificate is for another name than the one asked for', '证书上的名字与所请求的域名不符'],
  // Last: s_client prints this after every failed handshake, whatever the cause named above (an
  // "unexpected eof" when HAProxy closes a pass-through with no server UP was reported as this).
  [/no peer certificate available/i, 'no certificate was presented', '对方没有出示证书'],
];

/** A TLS failure's reason in plain words, English and Chinese, or undefined when it is not one we know. */
export function plainTlsReason(text: string): { en: string; zh: string } | undefined {
  const hit = PLAIN.find(([re]) => re.test(text));
  return hit ? { en: hit[1], zh: hit[2] } : undefined;
}

/** The last line of s_client's chatter that says what went wrong, in plain words where we know them. */
function s_clientError(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.filter((l) => /errno|error|refused|alert|wrong version|unexpected eof|no peer certificate/i.test(l));
  const raw = bad[0] ?? lines[lines.length - 1];
  // Nothing at all: `timeout 4` ended s_client before it printed anything.
  if (!raw) return 'no TLS answer within 4 s';
  // Connected, then silence until `timeout 4`: something took the connection but never spoke TLS.
  if (!bad.length && /^CONNECTED\(/.test(raw)) return 'connected, but no TLS answer within 4 s';
  const plain = plainTlsReason(bad.join('\n') || raw);
  if (plain) return plain.en;
  // OpenSSL 3's lines: "40C7…:error:0A00010B:SSL routines:func:reason:file:line:"; the reason is what says it.
  const parts = raw.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '').split(':');
  return (parts.length >= 3 ? parts[2]! : raw).slice(0, 200);
}

export function parseS_client(out: string, token: string, count: number): PeerChain[] {
  const res: PeerChain[] = Array.from({ length: count }, () => ({ chain: [], error: 'no answer' }));
  const parts = out.split(`\n@@${token} `).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    const i = Number(p.slice(0, nl));
    const text = p.slice(nl + 1);
    if (!Number.isInteger(i) || i < 0 || i >= count) continue;
    const chain = text.match(PEM) ?? [];
    res[i] = chain.length ? { chain } : { chain: [], error: s_clientError(text) };
  }
  return res;
}

export class S_clientTls implements TlsClient {
  constructor(
    private readonly runtime: Runtime,
    private readonly container: string,
    private readonly address: string,
  ) {}

  async chains(snis: string[], port: number): Promise<PeerChain[]> {
    const token = randomBytes(6).toString('hex');
    const r = await runClientScript(this.runtime, this.container, s_clientScript(this.address, port, snis, token), 10_000);
    return parseS_client(r.stdout, token, snis.length);
  }
}

function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export class NodeTls implements TlsClient {
  constructor(private readonly address: string) {}

  one(sni: string, port: number): Promise<PeerChain> {
    return new Promise((resolve) => {
      const sock = tls.connect({ host: this.address, port, servername: sni, rejectUnauthorized: false, timeout: 4000 });
      const done = (v: PeerChain) => {
        // A graceful close: our Finished and close_notify reach the server, which then counts a completed
        // handshake (HAProxy's ssl_sess), as it does for openssl s_client in a lab.
        sock.end();
        setTimeout(() => sock.destroy(), 1000).unref();
        resolve(v);
      };
      sock.on('secureConnect', () => {
        const chain: string[] = [];
        let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
        const seen = new Set<string>();
        while (c && c.raw && !seen.has(c.fingerprint256)) {
          seen.add(c.fingerprint256);
          chain.push(derToPem(c.raw));
          c = c.issuerCertificate;
        }
        done(chain.length ? { chain } : { chain: [], error: 'no peer certificate' });
      });
      sock.on('timeout', () => done({ chain: [], error: 'no TLS answer within 4 s' }));
      sock.on('error', (e) => done({ chain: [], error: e.message }));
    });
  }

  chains(snis: string[], port: number): Promise<PeerChain[]> {
    return Promise.all(snis.map((s) => this.one(s, port)));
  }
}

export interface CertVerdict {
  ok: boolean;
  /** The leaf's DNS names, for messages. */
  names: string[];
  matchesHost: boolean;
  chainsToCa: boolean;
  expired: boolean;
}

/** Does the presented chain prove `host` under the lab CA? Intermediates in the chain are followed. */
export function judgeChain(chainPem: string[], host: string, caPem: string, now = new Date()): CertVerdict {
  const certs = chainPem.map((p) => new X509Certificate(p));
  const leaf = certs[0]!;
  const names = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const matchesHost = leaf.checkHost(host, { subject: 'never' }) !== undefined;
  const ca = new X509Certificate(caPem);
  let chainsToCa = false;
  let cur: X509Certificate | undefined = leaf;
  const pool = certs.slice(1);
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur.checkIssued(ca) && cur.verify(ca.publicKey)) {
      chainsToCa = true;
      break;
    }
    const issuer: X509Certificate | undefined = pool.find((p) => cur!.checkIssued(p) && cur!.verify(p.publicKey));
    if (!issuer || issuer === cur) break;
    cur = issuer;
  }
  const expired = now < new Date(leaf.validFrom) || now > new Date(leaf.validTo);
  return { ok: matchesHost && chainsToCa && !expired, names, matchesHost, chainsToCa, expired };
}

/** What a presented chain says, as plain data (recorded for --explain and replayed by tls-sni's decision). */
export interface CertFacts {
  subject: string;
  issuer: string;
  /** The leaf's DNS names. */
  names: string[];
  validFrom: string;
  validTo: string;
  /** The chain (following intermediates) is signed by the lab CA. */
  chainsToCa: boolean;
  fingerprint: string;
}

export function certFacts(chainPem: string[], caPem: string): CertFacts {
  const leaf = new X509Certificate(chainPem[0]!);
  const v = judgeChain(chainPem, 'lab-check.invalid', caPem);
  return {
    subject: leaf.subject.replace(/\n/g, ', '),
    issuer: leaf.issuer.replace(/\n/g, ', '),
    names: v.names,
    validFrom: new Date(leaf.validFrom).toISOString(),
    validTo: new Date(leaf.validTo).toISOString(),
    chainsToCa: v.chainsToCa,
    fingerprint: leaf.fingerprint256,
  };
}

/** RFC 6125 host matching on DNS names: exact, or one leftmost wildcard label. */
export function nameMatches(names: string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => {
    const x = n.toLowerCase();
    if (x === h) return true;
    if (!x.startsWith('*.')) return false;
    const rest = h.slice(h.indexOf('.') + 1);
    return h.indexOf('.') > 0 && rest === x.slice(2);
  });
}
