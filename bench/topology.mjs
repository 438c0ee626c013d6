#!/usr/bin/env node
// Times the lab lifecycle on this machine and prints a Markdown table (copy it into the README).
//   node bench/topology.mjs            warm up, re-up, down, memory (images must exist)
//   node bench/topology.mjs --cold     also cold up: removes the lab images first and rebuilds them
// Traffic: none beyond what `lab up` itself does inside its own networks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

process.env.LAB_PROGRESS = 'silent';
const { DockerRuntime } = await import('../dist/runtime/docker.js');
const { upLab } = await import('../dist/lifecycle/up.js');
const { downLab } = await import('../dist/lifecycle/down.js');

const runtime = new DockerRuntime();
const cold = process.argv.includes('--cold');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const name = `bench-${process.pid}`.slice(0, 31);
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
const up = () => upLab({ experiment: 'exp2', labName: name, cwd, yes: true, interactive: false, timeoutMs: 300_000, runtime });
const time = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];

try {
  if (cold) {
    const imgs = (await runtime.listImages({ 'lab.image': '' })).flatMap((i) => i.tags);
    const base = (await runtime.listImages()).flatMap((i) => i.tags).filter((t) => t.startsWith('lab-base:'));
    for (const t of [...imgs, ...base]) execFileSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    rows.push(['cold `up` (no images: debootstrap base + 5 image builds + lab)', (await time(up)).toFixed(1), '1']);
    await downLab(runtime, name);
  }
  const warm = [];
  const reup = [];
  const down = [];
  let memory = 0;
  for (let i = 0; i < rounds; i++) {
    warm.push(await time(up));
    reup.push(await time(up));
    if (i === 0) {
      const ids = (await runtime.listContainers({ 'lab.name': name })).map((c) => c.name);
      const out = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids]).toString();
      const toMiB = (s) => {
        const m = /([\d.]+)\s*([KMG]i?B)/.exec(s);
        const f = { KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1000, MB: 1, GB: 1000 }[m[2]] ?? 1;
        return Number(m[1]) * f;
      };
      memory = out.trim().split('\n').reduce((a, l) => a + toMiB(l.split('/')[0]), 0);
    }
    down.push(await time(() => downLab(runtime, name)));
  }
  rows.push(['warm `up` (images present, no lab)', median(warm).toFixed(1), String(rounds)]);
  rows.push(['re-`up` of a running lab (nothing changed)', median(reup).toFixed(2), String(rounds)]);
  rows.push(['`down`', median(down).toFixed(1), String(rounds)]);
  console.log(`| what | median s | runs |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
  console.log(`\nmemory of the running lab (11 containers, docker stats): ${memory.toFixed(0)} MiB`);
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg()[0].toFixed(1)}`);
} finally {
  await downLab(runtime, name);
  rmSync(cwd, { recursive: true, force: true });
}
