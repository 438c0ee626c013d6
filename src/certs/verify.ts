// `verifyCerts`: one line per file under outDir (chain, SAN, key match, expiry, permissions).
// Never throws for a bad file: a fault is a line with ok=false.
import { DEFAULT_DOMAINS, uniqueDomains } from './domains.js';
import { caPaths, leafPaths } from './paths.js';
import { KEY_MODE, modeOf, parseCertificate, parsePrivateKey, readIfExists } from './files.js';
import { caProblems, leafProblems } from './inspect.js';
import { keyMatchesCertificate } from './keys.js';
import { bundleProblems } from './bundle.js';
import { existingDomains } from './discover.js';
import { isLabError } from '../util/errors.js';

export interface VerifyLine {
  file: string;
  ok: boolean;
  message: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

type Loaded<T> = { ok: true; value: T; text: string } | { ok: false; message: string };

async function load<T>(file: string, parse: (file: string, text: string) => T): Promise<Loaded<T>> {
  try {
    const text = await readIfExists(file);
    if (text === undefined) return { ok: false, message: 'missing' };
    return { ok: true, value: parse(file, text), text };
  } catch (e) {
    if (isLabError(e)) return { ok: false, message: e.message.replace(`${file}: `, '') };
    throw e;
  }
}

async function modeProblem(file: string): Promise<string[]> {
  const mode = await modeOf(file);
  return mode === undefined || mode === KEY_MODE ? [] : [`mode is ${mode.toString(8).padStart(4, '0')}, should be 0600`];
}

export async function verifyCerts(outDir: string, domains?: string[], now = new Date()): Promise<VerifyLine[]> {
  const lines: VerifyLine[] = [];
  const add = (file: string, problems: string[], okMessage: string) =>
    lines.push({ file, ok: problems.length === 0, message: problems.length ? problems.join('; ') : okMessage });
  const list = domains ?? uniqueDomains([...DEFAULT_DOMAINS, ...(await existingDomains(outDir))]);

  const ca = caPaths(outDir);
  const caCert = await load(ca.cert, parseCertificate);
  const caKey = await load(ca.key, parsePrivateKey);
  if (caCert.ok) {
    add(ca.cert, caProblems(caCert.value, undefined, now), `lab root CA, self-signed, valid until ${day(caCert.value.validity.notAfter)}`);
  } else add(ca.cert, [caCert.message], '');
  if (caKey.ok) {
    const problems = [...(await modeProblem(ca.key))];
    if (caCert.ok && !keyMatchesCertificate(caCert.value, caKey.value)) problems.unshift('does not match ca.crt');
    add(ca.key, problems, 'matches ca.crt, mode 0600');
  } else add(ca.key, [caKey.message], '');

  for (const domain of list) {
    const p = leafPaths(outDir, domain);
    const cert = await load(p.cert, parseCertificate);
    const key = await load(p.key, parsePrivateKey);
    if (cert.ok) {
      const problems = leafProblems(domain, cert.value, undefined, caCert.ok ? caCert.value : undefined, now);
      if (!caCert.ok) problems.unshift('chain not checked: the CA certificate is unreadable');
      add(p.cert, problems, `chains to the lab CA, SAN ${domain}, valid until ${day(cert.value.validity.notAfter)}`);
    } else add(p.cert, [cert.message], '');
    if (key.ok) {
      const problems = [...(await modeProblem(p.key))];
      if (cert.ok && !keyMatchesCertificate(cert.value, key.value)) problems.unshift('does not match certificate.crt');
      add(p.key, problems, 'matches certificate.crt, mode 0600');
    } else add(p.key, [key.message], '');

    const bundle = await readIfExists(p.bundle).catch((e) => (isLabError(e) ? e : Promise.reject(e)));
    if (bundle === undefined) add(p.bundle, ['missing'], '');
    else if (typeof bundle !== 'string') add(p.bundle, [bundle.message.replace(`${p.bundle}: `, '')], '');
    else if (!cert.ok || !key.ok || !caCert.ok) add(p.bundle, ['not checked: a file it is made from is missing or unreadable'], '');
    else {
      const problems = [
        ...bundleProblems(bundle, cert.text, caCert.text, key.text),
        ...(await modeProblem(p.bundle)),
      ];
      add(p.bundle, problems, 'certificate, CA, key in that order, mode 0600');
    }
  }
  return lines;
}
