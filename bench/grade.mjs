#!/usr/bin/env node
// Times `lab grade` on a generated class of exp2 submissions against the naive loop (for each student:
// lab up, copy the files in, lab apply, lab check, lab down), in the same run, and says whether both
// gave every student the same status per check. Results go to stdout.
//
//   npx tsc -p . && node bench/grade.mjs [--n 20] [--jobs N] [--naive K] [--keep]
//
// --naive K times the naive loop on the first K submissions only (default: all n); its figure is per
// submission either way. --keep runs the class twice, the second time on the labs the first one kept.
// Measure on a quiet machine: the load average is printed before and after.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClass } from '../test/fixtures/grade/class.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--n', 20));
const KEEP = process.argv.includes('--keep');

const { DockerRuntime } = await import(dist('runtime/docker.js'));
const { loadLab } = await import(dist('labs/load.js'));
const { gradeClass } = await import(dist('grade/orchestrator.js'));
const { parseEndpoint } = await import(dist('grade/engine-endpoint.js'));
const { capacityOf, jobsFor } = await import(dist('grade/jobs.js'));
const { rosterFromPaths } = await import(dist('grade/roster.js'));
const { silentProgress } = await import(dist('progress/progress.js'));
const { upLab } = await import(dist('lifecycle/up.js'));
const { downLab } = await import(dist('lifecycle/down.js'));
const { observeLab } = await import(dist('lifecycle/observe.js'));
const { applyTarget, resolveTarget } = await import(dist('apply/apply.js'));
const { labContext } = await import(dist('checks/context.js'));
const { runChecks } = await import(dist('checks/runner.js'));
const { swapFiles } = await import(dist('grade/swap.js'));
const { walkFiles } = await import(dist('util/files.js'));

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const s = (ms) => (ms / 1000).toFixed(1);
const runtime = new DockerRuntime();
const lab = loadLab('exp2');
const local = parseEndpoint('unix:///var/run/docker.sock');
const JOBS = Number(arg('--jobs', jobsFor(capacityOf(local, await runtime.version()))));
const NAIVE = Math.min(N, Number(arg('--naive', N)));
const CLASS_ONLY = NAIVE === 0;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-grade-'));
const subs = makeClass(path.join(tmp, 'subs'), N);
const statusOf = (report) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const prefix = `bench-g${process.pid}`.slice(0, 20);

console.log(`load before: ${uptime()}`);
console.log(`class: ${N} exp2 submissions (${[...new Set(subs.map((x) => x.kind))].join(', ')}), ${JOBS} worker(s), ${os.availableParallelism()} cores`);

async function classRun(label, keep) {
  const t0 = Date.now();
  const resets = [];
  let firstReady;
  const r = await gradeClass({
    onEvent: (e) => {
      if (e.type === 'reset') resets.push(e.ms);
      if (e.type === 'recreated') console.log(`  recreated after a submission: ${e.why.join(' | ')}`);
      if (e.type === 'worker-ready') firstReady ??= Date.now() - t0;
    },
    lab, entries: rosterFromPaths(subs.map((x) => x.path)), gradesDir: path.join(tmp, 'grades'), engines: [{ endpoint: local, runtime, jobs: JOBS }],
    resume: false, fresh: true, keep, lang: 'en', prefix, progress: silentProgress(), readyTimeoutMs: 300_000,
  });
  const ms = Date.now() - t0;
  const recs = Object.fromEntries(subs.map((x) => [x.name, JSON.parse(readFileSync(path.join(tmp, 'grades', 'results', `${x.name}.json`), 'utf8'))]));
  const phases = {};
  for (const rec of Object.values(recs)) for (const [k, v] of Object.entries(rec.timings.phases)) phases[k] = (phases[k] ?? 0) + v;
  console.log(`${label}: ${s(ms)} s for ${N} = ${s(ms / N)} s per submission (labs up and down included); recreated nodes: ${r.workers.reduce((a, w) => a + w.recreations, 0)}`);
  console.log(`  per submission, mean of the graded phases: ${Object.entries(phases).map(([k, v]) => `${k} ${s(v / N)} s`).join(', ')}; reset ${s(resets.reduce((a, b) => a + b, 0) / Math.max(1, resets.length))} s`);
  console.log(`  first worker ready after ${s(firstReady ?? 0)} s`);
  return { ms, recs };
}

let cls;
try {
  cls = await classRun(KEEP ? 'lab grade (cold, --keep)' : 'lab grade', KEEP);
  if (KEEP) cls = await classRun('lab grade (kept labs)', false);
} finally {
  for (let i = 1; i <= JOBS; i++) await downLab(runtime, `${prefix}-w${i}`, { force: true }).catch(() => undefined);
}

if (CLASS_ONLY) {
  console.log(`load after: ${uptime()}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}
// The naive loop: one fresh lab per student.
const naive = {};
const t0 = Date.now();
for (const sub of subs.slice(0, NAIVE)) {
  const name = `bench-n${process.pid}`.slice(0, 20);
  const cwd = mkdtempSync(path.join(tmp, 'naive-'));
  try {
    let up;
    // Labs made at the same moment on one engine can pick the same free subnet; converging again picks another.
    for (let attempt = 1; ; attempt++) {
      try {
        up = await upLab({ experiment: 'exp2', cwd, yes: true, interactive: false, timeoutMs: 300_000 }, { runtime, progress: silentProgress(), labName: name });
        break;
      } catch (e) {
        if (attempt >= 4 || !/Pool overlaps/.test(e.message)) throw e;
      }
    }
    const files = new Map(walkFiles(sub.path).map((rel) => [rel.split(path.sep).join('/'), readFileSync(path.join(sub.path, rel))]));
    swapFiles(up.workspaceDir, lab.def.workspace, files);
    const t = resolveTarget(await observeLab(runtime, name), { labName: name, cwd, experiment: 'exp2' });
    await applyTarget(runtime, t, { cwd, force: true });
    const { report } = await runChecks('exp2', lab.def.checks, labContext(runtime, await observeLab(runtime, name), 'exp2'), { lang: 'en' });
    naive[sub.name] = report;
  } finally {
    await downLab(runtime, name, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
}
const naiveMs = Date.now() - t0;
console.log(`naive loop (up, apply, check, down): ${s(naiveMs)} s for ${NAIVE} = ${s(naiveMs / NAIVE)} s per submission`);
console.log(`ratio lab grade / naive, per submission: ${(cls.ms / N / (naiveMs / NAIVE)).toFixed(2)}`);
const differ = Object.keys(naive).filter((n) => JSON.stringify(statusOf(naive[n])) !== JSON.stringify(statusOf(cls.recs[n].report)));
console.log(differ.length ? `DIFFERENT status per check: ${differ.join(', ')}` : `same status per check for all ${NAIVE} compared submissions`);
console.log(`load after: ${uptime()}`);
rmSync(tmp, { recursive: true, force: true });
