// What a report must never carry: private keys (the CA's, the leaves', the HAProxy bundles that embed
// them) and passwords. Files holding key material are left out whole; passwords are masked wherever they
// appear, by the rule that wrote them (`stats auth user:password`, userlist passwords, Basic auth headers)
// and, once known, as plain strings in every other file (a grader's message quoting the login, a log).

export const MASK = '********';

/** Key material: left out of the report whole, whatever the file is called. */
export function isKeyMaterial(rel: string, content: Buffer): boolean {
  if (/\.(key|pem|p12|pfx|jks|keystore)$/i.test(rel)) return true;
  return /-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----/.test(content.toString('latin1'));
}

const RULES: { re: RegExp; keep: (m: RegExpExecArray) => string }[] = [
  // HAProxy: stats auth <user>:<password>
  { re: /(\bstats\s+auth\s+[^:\s]+:)(\S+)/g, keep: (m) => m[1]! },
  // HAProxy userlist: user <name> password <hash> | insecure-password <pw>
  { re: /(\b(?:insecure-)?password\s+)(\S+)/g, keep: (m) => m[1]! },
  // HTTP Basic credentials in a header or a curl command line
  { re: /(\bAuthorization:\s*Basic\s+)([A-Za-z0-9+/=]+)/gi, keep: (m) => m[1]! },
  { re: /(\s-u\s+'?[^:\s']+:)([^\s']+)/g, keep: (m) => m[1]! },
];

/** The secrets the rules find in `text` (to mask them elsewhere as plain strings too). */
export function findSecrets(text: string): string[] {
  const out: string[] = [];
  for (const { re } of RULES) for (const m of text.matchAll(new RegExp(re.source, re.flags))) if (m[2]) out.push(m[2]);
  return out;
}

/** Passwords found anywhere in a parsed document (e.g. lab.yaml's probe credentials). */
export function passwordsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(passwordsIn);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (/password|secret|auth/i.test(k) && (typeof v === 'string' || typeof v === 'number') ? [String(v)] : passwordsIn(v)));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` with every rule's secret and every known secret replaced by the mask; the count of masks. */
export function maskText(text: string, secrets: Iterable<string>): { text: string; masked: number } {
  let masked = 0;
  let out = text;
  for (const { re, keep } of RULES) {
    out = out.replace(new RegExp(re.source, re.flags), (...args) => {
      const m = args.slice(0, -2) as unknown as RegExpExecArray;
      if (m[2] === MASK) return m[0]!;
      masked++;
      return `${keep(m)}${MASK}`;
    });
  }
  // Longest first, so a secret containing another is masked whole. Very short ones would mask noise.
  const known = [...new Set(secrets)].filter((s) => s.length >= 4 && s !== MASK).sort((a, b) => b.length - a.length);
  for (const s of known) {
    out = out.replace(new RegExp(escapeRe(s), 'g'), () => {
      masked++;
      return MASK;
    });
  }
  return { text: out, masked };
}
