#!/usr/bin/env node
// What an idle lab costs, and how many fit on this machine.
//   node bench/idle.mjs [--seconds 60] [--max-labs 8]
// 1. Stands one exp2 lab up (solved), lets it settle, and measures CPU for --seconds: the whole machine
//    from /proc/stat, and each container from `docker stats`.
// 2. Stands more idle labs up, one at a time, and after each times `lab check exp2` on the first lab
//    (through the CLI); stops when that exceeds 2 s or at --max-labs. Every lab it made is removed.
// Measure on a quiet machine: the load average before and after is printed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SECONDS = arg('--seconds', 60);
const MAX_LABS = arg('--max-labs', 8);
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-idle-'));
const made = [];
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function lab(name, ...args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '-n', name, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, encoding: 'utf8' });
  if (r.status !== 0 && args[0] !== 'check') throw new Error(`lab ${args.join(' ')} failed:\n${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** busy and total jiffies of the whole machine. */
function cpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds each container used, from its cgroup (cpuacct.usage, ns), so short samples are exact. */
function containerCpu(names) {
  const out = {};
  for (const n of names) {
    const id = execFileSync('docker', ['inspect', '-f', '{{.Id}}', n]).toString().trim();
    for (const p of [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, `/sys/fs/cgroup/cpu,cpuacct/docker/${id}/cpuacct.usage`, `/sys/fs/cgroup/docker/${id}/cpu.stat`]) {
      try {
        const text = readFileSync(p, 'utf8');
        out[n] = p.endsWith('cpu.stat') ? Number(/usage_usec (\d+)/.exec(text)[1]) / 1e6 : Number(text) / 1e9;
        break;
      } catch {
        /* try the next layout */
      }
    }
  }
  return out;
}

const before = load();
try {
  const first = `idle-${process.pid}-0`.slice(0, 31);
  made.push(first);
  lab(first, 'up', 'exp2', '--yes');
  lab(first, 'solve', 'exp2', '--yes');
  await new Promise((r) => setTimeout(r, 15_000)); // settle: health checks converge, VRRP steady
  const names = execFileSync('docker', ['ps', '--filter', `label=lab.name=${first}`, '--format', '{{.Names}}']).toString().trim().split('\n');
  const c0 = containerCpu(names);
  const m0 = cpu();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const m1 = cpu();
  const c1 = containerCpu(names);
  const cores = os.cpus().length;
  const machinePct = (100 * (m1.busy - m0.busy)) / (m1.total - m0.total);
  const stats = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}', ...names]).toString().trim();
  console.log(`## idle exp2 lab (solved), ${SECONDS} s, ${cores} cores`);
  console.log(`whole machine busy: ${machinePct.toFixed(2)} % of ${cores} cores (= ${(machinePct * cores).toFixed(2)} % of one core)`);
  let sum = 0;
  console.log('| container | CPU s in the window | % of one core | docker stats (snapshot) |\n|---|---|---|---|');
  for (const n of names.sort()) {
    const used = (c1[n] ?? 0) - (c0[n] ?? 0);
    sum += used;
    const snap = stats.split('\n').find((l) => l.startsWith(`${n} `))?.split(' ').slice(1).join(' ') ?? '';
    console.log(`| ${n} | ${used.toFixed(3)} | ${((100 * used) / SECONDS).toFixed(2)} | ${snap} |`);
  }
  console.log(`| all containers | ${sum.toFixed(3)} | ${((100 * sum) / SECONDS).toFixed(2)} | |`);

  console.log('\n## idle labs on this machine vs `lab check exp2` on the first (CLI, solved)');
  console.log('| idle labs | lab check exp2 s | load (1 min) |\n|---|---|---|');
  for (let n = 1; n <= MAX_LABS; n++) {
    if (n > 1) {
      const name = `idle-${process.pid}-${n - 1}`.slice(0, 31);
      made.push(name);
      lab(name, 'up', 'exp2', '--yes');
      await new Promise((r) => setTimeout(r, 10_000));
    }
    const t = Math.min(lab(first, 'check', 'exp2', '--json'), lab(first, 'check', 'exp2', '--json'));
    console.log(`| ${n} | ${t.toFixed(2)} | ${os.loadavg()[0].toFixed(2)} |`);
    if (t > 2) break;
  }
  console.log(`\nload average before ${before}, after ${load()}`);
} finally {
  for (const name of made) spawnSync(process.execPath, [cli, '-n', name, 'down', '--force'], { cwd, stdio: 'ignore' });
  rmSync(cwd, { recursive: true, force: true });
}
