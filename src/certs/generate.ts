// `ensureCerts`: make the lab CA, one leaf per domain and the HAProxy bundles, keeping every valid
// file untouched (no rewrite, no mtime change) and saying why anything was (re)generated.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireDirLock } from '../util/dir-lock.js';
import { UsageError } from '../util/errors.js';
import { DEFAULT_DOMAINS, defaultCertificateDomain, normalizeDomain, uniqueDomains } from './domains.js';
import { caPaths, haproxyDir, leafPaths } from './paths.js';
import {
  CERT_MODE,
  KEY_MODE,
  PRIVATE_DIR_MODE,
  ensureDir,
  modeOf,
  parseCertificate,
  parsePrivateKey,
  readIfExists,
  writeAtomic,
} from './files.js';
import { generateKeyPair } from './keys.js';
import { createCa, type CaMaterial } from './ca.js';
import { createLeaf, DEFAULT_LEAF_DAYS, MAX_LEAF_DAYS, type LeafMaterial } from './leaf.js';
import { caProblems, leafProblems, RENEW_WITHIN_DAYS } from './inspect.js';
import { bundlePem } from './bundle.js';
import { existingDomains } from './discover.js';
import { assertWritableFolder } from '../util/files.js';

export interface CertsOptions {
  /** Output directory, e.g. `certs/`. */
  outDir: string;
  /** Validity of newly issued leaves, in days (31–825; default 825). Existing valid leaves are kept. */
  days?: number;
  /** Domains beyond the seven defaults. Domains found under outDir from earlier runs are kept too. */
  extraDomains?: string[];
  /** Rotate everything: a new CA and new leaves for every domain. */
  force?: boolean;
  /** Receives one line per change, as it happens. Never receives key material. */
  log?: (line: string) => void;
  /** For tests: the moment to judge expiry against. */
  now?: Date;
  /** Decide and report what would be (re)generated, write nothing (`lab up --dry-run`). */
  dryRun?: boolean;
}

export interface CertsResult {
  /** Path of the CA certificate (its key sits beside it as ca.key). */
  caCert: string;
  /** Every domain with a leaf, in the order HAProxy loads their bundles. */
  domains: string[];
  /** domain -> path of certs/haproxy/<domain>.pem */
  bundles: Record<string, string>;
  /** domain -> paths of certs/<domain>/certificate.crt and private.key */
  leaves: Record<string, { cert: string; key: string }>;
  /** What was (re)generated or fixed, and why. Empty when everything was kept. */
  changed: string[];
  /** Files that were already valid and left untouched. */
  kept: string[];
  /** The domain whose certificate clients without SNI get (see defaultCertificateDomain). */
  defaultDomain: string;
}

export function checkDays(days: number | undefined): number {
  if (days === undefined) return DEFAULT_LEAF_DAYS;
  if (!Number.isInteger(days) || days <= RENEW_WITHIN_DAYS || days > MAX_LEAF_DAYS) {
    throw new UsageError(`--days must be a whole number from ${RENEW_WITHIN_DAYS + 1} to ${MAX_LEAF_DAYS}, got ${days}`, {
      hint: `Browsers refuse server certificates valid for more than ${MAX_LEAF_DAYS} days, and a leaf expiring within ${RENEW_WITHIN_DAYS} days is renewed on every run.`,
    });
  }
  return days;
}

interface Existing {
  certPem: string;
  keyPem: string;
}

export async function ensureCerts(opts: CertsOptions, locked = false): Promise<CertsResult> {
  const days = checkDays(opts.days);
  assertWritableFolder(opts.outDir, '--certs or --out');
  const now = opts.now ?? new Date();
  const outDir = opts.outDir;
  const changed: string[] = [];
  const kept: string[] = [];
  const log = (line: string) => {
    changed.push(line);
    opts.log?.(line);
  };

  const extra = (opts.extraDomains ?? []).map(normalizeDomain);
  // Domains made on earlier runs stay in the set, so --force and a new CA re-issue them too.
  const found = await existingDomains(outDir);
  const domains = uniqueDomains([...DEFAULT_DOMAINS, ...extra, ...found]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  // ---- 1. Decide what must be (re)made. Corrupt files throw a FileError here, before anything is written.
  const ca = caPaths(outDir);
  let caReason: string | undefined;
  let currentCa: CaMaterial | undefined; // the CA on disk, when it is kept
  if (opts.force) caReason = 'rotated (--force)';
  else {
    const [certPem, keyPem] = await Promise.all([readIfExists(ca.cert), readIfExists(ca.key)]);
    if (certPem === undefined && keyPem === undefined) caReason = 'generated (none found)';
    else if (certPem === undefined) caReason = `regenerated: ${ca.cert} is missing`;
    else if (keyPem === undefined) caReason = `regenerated: ${ca.key} is missing`;
    else {
      const cert = parseCertificate(ca.cert, certPem);
      const key = parsePrivateKey(ca.key, keyPem);
      const problems = caProblems(cert, key, now);
      if (problems.length) caReason = `regenerated: ${problems.join('; ')}`;
      else currentCa = { cert, key, certPem, keyPem };
    }
  }

  const leafReasons = new Map<string, string>();
  const existing = new Map<string, Existing>();
  for (const domain of domains) {
    const p = leafPaths(outDir, domain);
    if (opts.force) {
      leafReasons.set(domain, 'rotated (--force)');
      continue;
    }
    if (caReason) {
      // Still parse what is there, so a corrupt file is reported rather than silently replaced.
      const [c, k] = await Promise.all([readIfExists(p.cert), readIfExists(p.key)]);
      if (c !== undefined) parseCertificate(p.cert, c);
      if (k !== undefined) parsePrivateKey(p.key, k);
      leafReasons.set(domain, c === undefined ? 'generated (none found)' : 're-issued under the new CA');
      continue;
    }
    const [certPem, keyPem] = await Promise.all([readIfExists(p.cert), readIfExists(p.key)]);
    if (certPem === undefined && keyPem === undefined) {
      leafReasons.set(domain, 'generated (none found)');
      continue;
    }
    if (certPem === undefined || keyPem === undefined) {
      leafReasons.set(domain, `regenerated: ${certPem === undefined ? p.cert : p.key} is missing`);
      continue;
    }
    const cert = parseCertificate(p.cert, certPem);
    const key = parsePrivateKey(p.key, keyPem);
    const problems = leafProblems(domain, cert, key, currentCa!.cert, now);
    if (problems.length) leafReasons.set(domain, `regenerated: ${problems.join('; ')}`);
    else existing.set(domain, { certPem, keyPem });
  }

  // Generation writes the CA and every leaf: one process at a time per certificate folder (two labs of
  // one project start at once), and the decision is made again under the lock.
  if (!opts.dryRun && !locked && (caReason || leafReasons.size)) {
    const lock = await acquireDirLock(path.join(outDir, '.lock'), (l) => opts.log?.(l), 'writing certificates');
    try {
      return await ensureCerts(opts, true);
    } finally {
      lock.release();
    }
  }

  if (opts.dryRun) {
    const would = [
      ...(caReason ? [`CA ${ca.cert}: ${caReason}`] : []),
      ...[...leafReasons].map(([domain, why]) => `${domain}: ${why}`),
    ];
    return {
      caCert: ca.cert,
      domains,
      bundles: Object.fromEntries(domains.map((d) => [d, leafPaths(outDir, d).bundle])),
      leaves: Object.fromEntries(domains.map((d) => [d, { cert: leafPaths(outDir, d).cert, key: leafPaths(outDir, d).key }])),
      changed: would,
      kept: [],
      defaultDomain: defaultCertificateDomain(domains),
    };
  }

  // ---- 2. Generate every key needed at once: native generation runs on the thread pool in parallel,
  // and each certificate is signed (on this thread) as soon as its key and the CA are ready.
  const caJob: Promise<CaMaterial> = caReason
    ? generateKeyPair().then((keys) => createCa(keys, { now }))
    : Promise.resolve(currentCa!);
  const leafJobs = new Map<string, Promise<LeafMaterial>>();
  for (const domain of leafReasons.keys()) {
    const keyJob = generateKeyPair();
    leafJobs.set(domain, Promise.all([caJob, keyJob]).then(([caM, keys]) => createLeaf(domain, caM, keys, { days, now })));
  }
  // Wait for all, so no job is left running (or rejecting unobserved) if one fails.
  const settled = await Promise.allSettled([caJob, ...leafJobs.values()]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const caMaterial = await caJob;

  // ---- 3. Write. Directories first; the CA directory is private.
  await ensureDir(outDir);
  await ensureDir(ca.dir, PRIVATE_DIR_MODE);
  await ensureDir(haproxyDir(outDir));

  if (caReason) {
    await writeAtomic(ca.key, caMaterial.keyPem, KEY_MODE);
    await writeAtomic(ca.cert, caMaterial.certPem, CERT_MODE);
    log(`CA ${ca.cert}: ${caReason}`);
  } else {
    kept.push(ca.cert, ca.key);
    await fixKeyMode(ca.key, log);
  }

  const result: CertsResult = {
    caCert: ca.cert,
    domains,
    bundles: {},
    leaves: {},
    changed,
    kept,
    defaultDomain: defaultCertificateDomain(domains),
  };

  for (const domain of domains) {
    const p = leafPaths(outDir, domain);
    result.leaves[domain] = { cert: p.cert, key: p.key };
    result.bundles[domain] = p.bundle;
    await ensureDir(p.dir);
    let material: Existing;
    const job = leafJobs.get(domain);
    if (job) {
      const leaf = await job;
      await writeAtomic(p.key, leaf.keyPem, KEY_MODE);
      await writeAtomic(p.cert, leaf.certPem, CERT_MODE);
      material = { certPem: leaf.certPem, keyPem: leaf.keyPem };
      log(`${domain}: ${leafReasons.get(domain)}`);
    } else {
      material = existing.get(domain)!;
      kept.push(p.cert, p.key);
      await fixKeyMode(p.key, log);
    }
    const want = bundlePem(material.certPem, caMaterial.certPem, material.keyPem);
    const have = await readIfExists(p.bundle);
    if (have !== want) {
      await writeAtomic(p.bundle, want, KEY_MODE);
      if (!job) log(`${p.bundle}: ${have === undefined ? 'written (none found)' : 'rewritten (did not match certificate + CA + key)'}`);
    } else {
      kept.push(p.bundle);
      await fixKeyMode(p.bundle, log);
    }
  }
  return result;
}

/** Narrows a key-bearing file to 0600 if someone widened it. chmod changes no content and no mtime. */
async function fixKeyMode(file: string, log: (line: string) => void): Promise<void> {
  const mode = await modeOf(file);
  if (mode !== undefined && mode !== KEY_MODE) {
    await fs.chmod(file, KEY_MODE);
    log(`${file}: mode ${mode.toString(8).padStart(4, '0')} narrowed to 0600`);
  }
}

