#!/usr/bin/env node
// Times the lab lifecycle as a user runs it, through the CLI (`node dist/cli/main.js`, Node start
// included), and prints a Markdown table for the README, with the machine's load before and after.
//   node bench/topology.mjs            warm up, up with nothing to change, lab check exp2 (solved), down
//   node bench/topology.mjs --cold     first: cold up with no lab images (debootstrap base + builds)
// Traffic: none beyond what `lab up` and `lab check` send inside the lab's own networks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const cold = process.argv.includes('--cold');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const name = `bench-${process.pid}`.slice(0, 31);
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** Runs `lab -n <bench> …` from the bench folder; returns seconds. Fails loudly when the command fails. */
function lab(...args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '-n', name, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return s;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const before = load();

try {
  if (cold) {
    const tags = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).toString().split('\n').filter((t) => /^lab-(base|client|director|haproxy|nginx|app):/.test(t));
    for (const t of tags) execFileSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    rows.push(['cold `lab up exp2` (no images: debootstrap base, role images, lab)', lab('up', 'exp2', '--yes').toFixed(1), '1']);
    lab('down');
  }
  const warm = [];
  const reup = [];
  const check = [];
  const down = [];
  for (let i = 0; i < rounds; i++) {
    warm.push(lab('up', 'exp2', '--yes'));
    reup.push(lab('up', 'exp2'));
    lab('solve', 'exp2', '--yes');
    check.push(lab('check', 'exp2', '--json'));
    down.push(lab('down'));
    if (i < rounds - 1) rmSync(path.join(cwd, 'workspace'), { recursive: true, force: true });
  }
  rows.push(['warm `lab up exp2` (images present, no lab)', median(warm).toFixed(1), String(rounds)]);
  rows.push(['`lab up exp2` with nothing to change', median(reup).toFixed(2), String(rounds)]);
  rows.push(['`lab check exp2` on a solved lab', median(check).toFixed(2), String(rounds)]);
  rows.push(['`lab down`', median(down).toFixed(2), String(rounds)]);
  console.log(`| what | median s | runs |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
  console.log(`\nmachine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average (1/5/15 min) before ${before}, after ${load()}`);
} finally {
  spawnSync(process.execPath, [cli, '-n', name, 'down', '--force'], { cwd, stdio: 'ignore' });
  rmSync(cwd, { recursive: true, force: true });
}
