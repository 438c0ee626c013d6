#!/usr/bin/env node
// Times `lab check` on a running lab: the whole CLI (cold node, process start included) and the
// in-process runner with each check's own time. Results go to stdout only.
//
//   npx tsc -p . && node bench/check.mjs [--name LAB] [--exp exp2] [--runs N]
//
// The lab must be up (e.g. `lab up exp2`, then `lab solve exp2` for the all-pass path). With no --name
// the bench starts its own exp2 lab in a temp dir, applies the reference solution, and removes the lab.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', 5));
const EXP = arg('--exp', 'exp2');
let name = arg('--name');

const { DockerRuntime } = await import(dist('runtime/docker.js'));
const { labContext } = await import(dist('checks/context.js'));
const { runChecks } = await import(dist('checks/runner.js'));
const { loadLab } = await import(dist('labs/load.js'));
const { observeLab } = await import(dist('lifecycle/observe.js'));
const runtime = new DockerRuntime();

let cleanup = async () => {};
if (!name) {
  const { upLab } = await import(dist('lifecycle/up.js'));
  const { downLab } = await import(dist('lifecycle/down.js'));
  const { applyTarget, resolveTarget } = await import(dist('apply/apply.js'));
  const { silentProgress } = await import(dist('progress/progress.js'));
  name = `bench-check-${process.pid}`.slice(0, 31);
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-check-'));
  cleanup = async () => {
    await downLab(runtime, name, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  };
  process.stderr.write(`starting lab ${name} (${EXP}) …\n`);
  const up = await upLab({ experiment: EXP, cwd, yes: true, interactive: false, timeoutMs: 120_000 }, { runtime, progress: silentProgress(), labName: name });
  cpSync(up.lab.solutionDir, up.workspaceDir, { recursive: true });
  const target = resolveTarget(await observeLab(runtime, name), { labName: name, cwd, experiment: EXP });
  const applied = await applyTarget(runtime, target, { cwd, force: true });
  const bad = applied.outcomes.find((o) => o.error);
  if (bad) throw bad.error;
  await new Promise((r) => setTimeout(r, 1500));
}

try {
  const checks = loadLab(EXP).def.checks;
  const cli = [];
  const inproc = [];
  const perCheck = {};
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await run(process.execPath, [dist('cli/main.js'), '--name', name, 'check', EXP, '--json']).catch((e) => e);
    cli.push(performance.now() - t0);
    last = JSON.parse(r.stdout);
    const base = labContext(runtime, await observeLab(runtime, name), EXP);
    const t1 = performance.now();
    const { meta } = await runChecks(EXP, checks, base, { lang: 'en' });
    inproc.push(performance.now() - t1);
    for (const [id, ms] of Object.entries(meta.durationMs)) (perCheck[id] ??= []).push(ms);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`lab check ${EXP} on lab ${name}: score ${last.score}/${last.maxScore}, passed ${last.passed}, ${RUNS} runs`);
  console.log(`  CLI (node start included)  median ${fmt(med(cli))}  min ${fmt(Math.min(...cli))}  max ${fmt(Math.max(...cli))}`);
  console.log(`  runner (in-process)        median ${fmt(med(inproc))}  min ${fmt(Math.min(...inproc))}  max ${fmt(Math.max(...inproc))}`);
  console.log('  per check (median; traffic checks overlap, exclusive ones run one after another):');
  for (const [id, xs] of Object.entries(perCheck)) console.log(`    ${id.padEnd(22)} ${fmt(med(xs))}`);
} finally {
  await cleanup();
}
