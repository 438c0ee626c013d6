#!/usr/bin/env node
// Times the lab CA + the seven domain leaves (+ HAProxy bundles) made by lab's generator against the
// openssl command line making the same set, in the same run. Results go to stdout only.
//
//   npx tsc -p . && node bench/certs.mjs [--runs N]
//
// Measured, interleaved so both sides see the same machine load:
//   lab ensureCerts (in-process)  ensureCerts() from dist/, a fresh directory each run
//   lab certs (CLI, cold node)    `node dist/cli/main.js certs --out <dir>`, process start included
//   openssl CLI, sequential       what a shell script does: CA, then per domain key+CSR, sign, cat bundle
//   openssl CLI, 7 in parallel    the same commands with the seven leaves run concurrently
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'certs', 'index.js');
try {
  await fs.access(dist);
} catch {
  console.error('dist/ is missing: run `npx tsc -p .` first');
  process.exit(1);
}
const { ensureCerts, DEFAULT_DOMAINS } = await import(dist);

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-bench-certs-'));

async function openssl(...args) {
  await run('openssl', args);
}

async function opensslLeaf(dir, domain) {
  const d = path.join(dir, domain);
  await fs.mkdir(d, { recursive: true });
  const ext = path.join(d, 'ext.cnf');
  await fs.writeFile(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${domain}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  await openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(d, 'private.key'),
    '-out', path.join(d, 'request.csr'), '-subj', `/CN=${domain}/O=haproxy-lab`);
  await openssl('x509', '-req', '-in', path.join(d, 'request.csr'), '-CA', path.join(dir, 'ca', 'ca.crt'),
    '-CAkey', path.join(dir, 'ca', 'ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '825', '-sha256', '-extfile', ext, '-out', path.join(d, 'certificate.crt'));
  const parts = await Promise.all([path.join(d, 'certificate.crt'), path.join(dir, 'ca', 'ca.crt'), path.join(d, 'private.key')]
    .map((f) => fs.readFile(f)));
  await fs.writeFile(path.join(dir, 'haproxy', `${domain}.pem`), Buffer.concat(parts), { mode: 0o600 });
}

async function opensslSet(dir, parallel) {
  await fs.mkdir(path.join(dir, 'ca'), { recursive: true });
  await fs.mkdir(path.join(dir, 'haproxy'), { recursive: true });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'ca', 'ca.key'),
    '-out', path.join(dir, 'ca', 'ca.crt'), '-days', '3650', '-sha256', '-subj', '/CN=haproxy-lab bench CA/O=haproxy-lab',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash');
  if (parallel) await Promise.all(DEFAULT_DOMAINS.map((d) => opensslLeaf(dir, d)));
  else for (const d of DEFAULT_DOMAINS) await opensslLeaf(dir, d);
}

function cli(dir) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'certs', '--out', dir], { stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lab certs exited ${code}`))));
  });
}

const cases = [
  ['lab ensureCerts (in-process)', (dir) => ensureCerts({ outDir: dir })],
  ['lab certs (CLI, cold node)', cli],
  ['openssl CLI, sequential', (dir) => opensslSet(dir, false)],
  ['openssl CLI, 7 in parallel', (dir) => opensslSet(dir, true)],
];
const times = Object.fromEntries(cases.map(([name]) => [name, []]));

// one warm-up round, not counted
for (const [, fn] of cases) await fn(path.join(tmp, `warm-${randomBytes(4).toString('hex')}`));
for (let i = 0; i < RUNS; i++) {
  for (const [name, fn] of cases) {
    const dir = path.join(tmp, `${i}-${randomBytes(4).toString('hex')}`);
    const t = performance.now();
    await fn(dir);
    times[name].push(performance.now() - t);
    await fs.rm(dir, { recursive: true, force: true });
  }
}
await fs.rm(tmp, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = cases.map(([name]) => [name, median(times[name]), Math.min(...times[name]), Math.max(...times[name])]);
const base = rows[0][1];
const widths = [Math.max(...rows.map((r) => r[0].length)), 10, 8, 8, 12];
const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');

console.log(`CA + ${DEFAULT_DOMAINS.length} leaves + bundles, RSA 2048, SHA-256; ${RUNS} runs each (after 1 warm-up), ` +
  `${os.cpus().length} CPUs, node ${process.versions.node}, ${(await run('openssl', ['version'])).stdout.trim()}`);
console.log(line(['', 'median ms', 'min ms', 'max ms', 'vs in-proc']));
for (const [name, med, min, max] of rows) {
  console.log(line([name, med.toFixed(0), min.toFixed(0), max.toFixed(0), `${(med / base).toFixed(2)}x`]));
}
const seq = rows[2][1];
const par = rows[3][1];
console.log('');
console.log(`ratio openssl sequential / lab in-process: ${(seq / base).toFixed(2)} (lab is ${seq >= base ? 'faster' : 'slower'})`);
console.log(`ratio openssl parallel   / lab in-process: ${(par / base).toFixed(2)}`);
console.log(`ratio openssl sequential / lab CLI (cold): ${(seq / rows[1][1]).toFixed(2)}`);
