// `lab grade <exp> <submission…>`: a whole class, graded by behaviour, fast by reuse and safe by proof.
//   1. intake: every submission read and judged (submission.ts); one that cannot be graded gets its
//      all-zero result at once; with --resume, one graded before from the same files is skipped;
//   2. engines: each prepared once (images, and a remote engine must see the worker folders);
//   3. workers: one lab per worker (`<prefix>-w<N>`), several per engine; each takes submissions from
//      one queue, grades (worker.ts), stores the result the moment it has it (results.ts), and resets
//      its lab to the proven start state before the next;
//   4. an engine that stops answering is lost: its workers' submissions go back to the queue and are
//      graded elsewhere; a result is written once, by the worker that finished it, never twice;
//   5. the gradebook from the stored results (gradebook.ts), and the worker labs removed (or kept).
import os from 'node:os';
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Lang } from '../checks/types.js';
import type { Lab } from '../labs/load.js';
import type { Progress, TaskControl } from '../progress/progress.js';
import { pool } from '../progress/progress.js';
import { InterruptedError, LabError, UsageError } from '../util/errors.js';
import { LAB_VERSION } from '../version.js';
import { sleep } from '../util/sleep.js';
import type { EngineEndpoint } from './engine-endpoint.js';
import { EngineWatch, prepareEngine, type Engine } from './engine-watch.js';
import { writeGradebook, type WrittenGradebook } from './gradebook.js';
import type { IntakeLimits } from './limits.js';
import { problemReport } from './problem-report.js';
import { WorkQueue } from './queue.js';
import { isFinished, listFinished, resultsDir, writeResult, type GradeRecordInput } from './results.js';
import type { RosterEntry } from './roster.js';
import { submissionHash } from './submission-hash.js';
import { readSubmission } from './submission.js';
import { gradable, type Submission } from './types.js';
import { GradeWorker } from './worker.js';
import { downLab } from '../lifecycle/down.js';
import type { Runtime } from '../runtime/types.js';
import { LABEL } from '../topology/labels.js';
import { pidAlive } from '../util/process.js';

/** Labs on an engine whose project folder is a worker folder under `workRoot` (left by an earlier --keep run). */
async function staleWorkerLabs(runtime: Runtime, workRoot: string): Promise<string[]> {
  const all = await runtime.listContainers({ [LABEL.name]: '' });
  return [...new Set(all.filter((c) => (c.labels[LABEL.root] ?? '').startsWith(workRoot + path.sep)).map((c) => c.labels[LABEL.name]!))];
}

export interface EngineRun extends Engine {
  /** Workers on this engine. */
  jobs: number;
}

export type ClassEvent =
  | { type: 'written'; name: string; worker?: string; engine?: string }
  | { type: 'grading'; name: string; worker: string; engine: string }
  | { type: 'requeued'; name: string; worker: string; engine: string }
  | { type: 'engine-lost'; engine: string; message: string }
  | { type: 'worker-ready'; worker: string; engine: string }
  | { type: 'recreated'; worker: string; nodes: string[]; why: string[] }
  | { type: 'reset'; worker: string; ms: number };

export interface ClassOptions {
  lab: Lab;
  entries: RosterEntry[];
  /** grades/<exp> (absolute). */
  gradesDir: string;
  engines: EngineRun[];
  /** Skip students graded before from the same files; without it, results already there are an error unless `fresh`. */
  resume: boolean;
  /** Remove earlier results first. */
  fresh: boolean;
  /** Leave the worker labs for the next run. */
  keep: boolean;
  lang: Lang;
  /** Worker lab names are `<prefix>-w<N>`. */
  prefix: string;
  progress: Progress;
  signal?: AbortSignal;
  readyTimeoutMs: number;
  /** The class's stats password, where the teacher set one (see WorkerSpec.statsPassword). */
  statsPassword?: string;
  /** An images bundle (`lab images save`) for engines without the images. */
  bundle?: string;
  limits?: Partial<IntakeLimits>;
  onEvent?: (e: ClassEvent) => void;
  /** Engine heartbeat (tests make it quicker). */
  heartbeatMs?: number;
  now?: () => number;
}

export interface WorkerSummary {
  id: string;
  lab: string;
  engine: string;
  graded: number;
  recreations: number;
  kept: boolean;
  error?: string;
}

export interface ClassResult {
  students: number;
  /** Results written by this run (graded, or not gradable). */
  written: string[];
  /** Already graded from the same files (--resume). */
  skipped: string[];
  notGradable: string[];
  /** No result: the grader failed twice on it, or the run ended before it (interrupt, every engine lost). */
  unfinished: { name: string; message: string }[];
  interrupted: boolean;
  lostEngines: { engine: string; message: string }[];
  workers: WorkerSummary[];
  gradebook?: WrittenGradebook;
  resultsDir: string;
  /** Labs that are still there: kept, or that could not be removed. */
  leftLabs: string[];
  elapsedMs: number;
}

interface Item {
  sub: Submission;
  hash: string;
  attempts: number;
  startedAt?: number;
}

class Interrupted extends Error {}

/** Resolves with `p`, or rejects as soon as any of `stops` does (the abandoned `p` is left to settle on its own). */
function race<T>(p: Promise<T>, ...stops: Promise<never>[]): Promise<T> {
  p.catch(() => undefined);
  return Promise.race([p, ...stops]);
}

const fmtEta = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export async function gradeClass(o: ClassOptions): Promise<ClassResult> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const { gradesDir } = o;
  const result: ClassResult = {
    students: o.entries.length,
    written: [],
    skipped: [],
    notGradable: [],
    unfinished: [],
    interrupted: false,
    lostEngines: [],
    workers: [],
    resultsDir: resultsDir(gradesDir),
    leftLabs: [],
    elapsedMs: 0,
  };
  const runLock = takeRunLock(gradesDir);
  try {
    return await gradeLocked(o, result, t0, now);
  } finally {
    runLock.release();
  }
}

/** One class run per grades folder at a time: two would share worker labs and overwrite each other. */
function takeRunLock(gradesDir: string): { release(): void } {
  const dir = path.join(gradesDir, '.run.lock');
  mkdirSync(gradesDir, { recursive: true });
  for (let i = 0; i < 2; i++) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), `${process.pid} ${os.hostname()}\n`);
      return { release: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pid, host] = (readFileOr(path.join(dir, 'owner')) ?? '').trim().split(' ');
      const alive = host === os.hostname() && Number(pid) > 0 && pidAlive(Number(pid));
      if (alive || (host && host !== os.hostname())) {
        throw new UsageError(`another \`lab grade\` (pid ${pid} on ${host}) is grading into ${gradesDir}`, {
          hint: `Wait for it, or grade into another folder with --out. If it is gone, remove ${dir}.`,
        });
      }
      rmSync(dir, { recursive: true, force: true }); // left by a process that died
    }
  }
  throw new UsageError(`cannot lock ${gradesDir}`);
}

function readFileOr(f: string): string | undefined {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

async function gradeLocked(o: ClassOptions, result: ClassResult, t0: number, now: () => number): Promise<ClassResult> {
  const { lab, gradesDir } = o;
  const emit = (e: ClassEvent) => o.onEvent?.(e);
  let finished = await listFinished(gradesDir);
  if (o.fresh) {
    rmSync(resultsDir(gradesDir), { recursive: true, force: true });
    finished = { records: new Map(), unreadable: [] };
  } else if (!o.resume && finished.records.size) {
    throw new UsageError(`${path.relative(process.cwd(), resultsDir(gradesDir)) || resultsDir(gradesDir)} already holds ${finished.records.size} result(s)`, {
      hint: 'Continue that run with --resume (students graded from the same files are skipped), or start over with --fresh.',
    });
  }

  // Ctrl-C: stop handing out work and abandon what is in flight (it was not stored, so --resume grades it).
  let rejectAbort!: (e: Error) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAbort = reject));
  aborted.catch(() => undefined);
  const onAbort = () => {
    result.interrupted = true;
    rejectAbort(new Interrupted('interrupted'));
    queue?.close();
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const writtenNames = new Set<string>();
  const store = async (rec: GradeRecordInput, worker?: string, engine?: string) => {
    // One result per student per run: a second write would be a bug in the queue, never a regrade.
    if (writtenNames.has(rec.name)) throw new LabError(`internal: ${rec.name} was graded twice`);
    writtenNames.add(rec.name);
    await writeResult(gradesDir, rec);
    result.written.push(rec.name);
    emit({ type: 'written', name: rec.name, worker, engine });
  };

  // 1. Intake.
  const items: Item[] = [];
  const grader = (worker: string, labName?: string, engine?: string) => ({ worker, lab: labName, engine, host: os.hostname(), version: LAB_VERSION });
  let queue: WorkQueue<Item> | undefined;
  let classCtl: TaskControl | undefined;
  let gradingSince = 0;
  let doneCount = 0;
  let total = 0;
  const classTitle = () => {
    const rate = doneCount && gradingSince ? (now() - gradingSince) / doneCount : 0;
    const left = total - doneCount;
    const eta = rate && left > 0 ? `, ETA ${fmtEta(rate * left)}` : '';
    return `Grading ${lab.id}: ${doneCount}/${total} done${eta}`;
  };
  const bump = () => {
    doneCount++;
    classCtl?.title(classTitle());
  };

  await o.progress.run([
    {
      title: `Reading ${o.entries.length} submission${o.entries.length === 1 ? '' : 's'}`,
      run: async (ctl) => {
        const subs: (Submission | undefined)[] = Array.from({ length: o.entries.length });
        await pool(
          o.entries.map((e, i) => ({ e, i })),
          4,
          async ({ e, i }) => {
            subs[i] = await readSubmission(e.path, lab, { name: e.name, allowCode: lab.def.grade?.allowCode ?? [], limits: o.limits });
          },
        );
        for (const sub of subs as Submission[]) {
          const hash = submissionHash(sub);
          if (o.resume && isFinished(finished, sub.name, hash, lab.id)) {
            result.skipped.push(sub.name);
            continue;
          }
          if (!gradable(sub)) {
            const at = new Date(now()).toISOString();
            const { report, meta } = problemReport(lab, sub.problems, o.lang);
            await store({
              format: 1, name: sub.name, experiment: lab.id, hash, source: sub.source, report, meta,
              problems: sub.problems, ignored: sub.ignored, findings: sub.findings, applied: [],
              grader: grader('intake'), timings: { startedAt: at, finishedAt: at, totalMs: 0, phases: {} },
            });
            result.notGradable.push(sub.name);
            continue;
          }
          items.push({ sub, hash, attempts: 0 });
        }
        ctl.title(
          `Read ${o.entries.length} submission${o.entries.length === 1 ? '' : 's'}: ${items.length} to grade` +
            (result.notGradable.length ? `, ${result.notGradable.length} not gradable` : '') +
            (result.skipped.length ? `, ${result.skipped.length} already graded` : ''),
        );
      },
    },
  ]);

  // 2–4. Workers over the engines.
  if (items.length && !result.interrupted) {
    queue = new WorkQueue(items);
    if (result.interrupted) queue.close();
    total = items.length;
    const workRoot = path.join(gradesDir, '.workers');
    const certsDir = path.join(workRoot, 'certs');
    const watches = o.engines.map(
      (e) =>
        new EngineWatch(e, {
          intervalMs: o.heartbeatMs,
          onLost: (err) => {
            result.lostEngines.push({ engine: e.endpoint.endpoint, message: err.message });
            emit({ type: 'engine-lost', engine: e.endpoint.endpoint, message: err.message });
          },
        }),
    );
    // Never more workers than submissions.
    let budget = items.length;
    let n = 0;
    const plan = o.engines.map((e, i) => {
      const count = Math.min(e.jobs, budget);
      budget -= count;
      return { engine: e, watch: watches[i]!, ids: Array.from({ length: count }, () => ++n) };
    });
    const prepared = new Map<EngineRun, Promise<void>>();
    const prepare = (e: EngineRun, log: (l: string) => void) => {
      if (!prepared.has(e)) {
        const p = prepareEngine(e, { bundle: o.bundle, workRoot, log });
        p.catch(() => undefined);
        prepared.set(e, p);
      }
      return prepared.get(e)!;
    };
    const workersAlive = () => plan.some((p) => !p.watch.isLost);

    const runWorker = async (id: number, e: EngineRun, watch: EngineWatch, ctl: TaskControl): Promise<void> => {
      const wid = `w${id}`;
      const labName = `${o.prefix}-${wid}`;
      const label = `${wid} ${e.endpoint.label}`;
      const say = (s: string) => ctl.title(`${label}: ${s}`);
      const summary: WorkerSummary = { id: wid, lab: labName, engine: e.endpoint.endpoint, graded: 0, recreations: 0, kept: false };
      result.workers.push(summary);
      const worker = new GradeWorker({
        id: wid,
        labName,
        lab,
        rootDir: path.join(workRoot, labName),
        certsDir,
        runtime: e.runtime,
        engine: e.endpoint,
        lang: o.lang,
        readyTimeoutMs: o.readyTimeoutMs,
        statsPassword: o.statsPassword,
      });
      let started = false;
      // The operation a stop (Ctrl-C, lost engine) abandoned: the lab is not touched again until it settles.
      let current: Promise<unknown> = Promise.resolve();
      const op = <T>(p: Promise<T>): Promise<T> => {
        current = p;
        return race(p, watch.lost, aborted);
      };
      try {
        say('preparing the engine');
        await op(prepare(e, (l) => ctl.output(l)));
        say('starting its lab');
        await op(worker.startUp(say, o.signal));
        started = true;
        emit({ type: 'worker-ready', worker: wid, engine: e.endpoint.endpoint });
        for (;;) {
          say('waiting for work');
          const item = await queue!.take();
          if (!item) break;
          // Every item taken is settled exactly once: done (stored or given up on) or back to the queue.
          let settled = false;
          const settle = (how: 'done' | 'requeue') => {
            if (settled) return;
            settled = true;
            if (how === 'done') queue!.done();
            else queue!.requeue(item);
          };
          try {
            if (watch.isLost) {
              settle('requeue');
              emit({ type: 'requeued', name: item.sub.name, worker: wid, engine: e.endpoint.endpoint });
              throw watch.lostError;
            }
            if (!gradingSince) gradingSince = now();
            const startedAt = now();
            emit({ type: 'grading', name: item.sub.name, worker: wid, engine: e.endpoint.endpoint });
            let graded;
            try {
              say(item.sub.name);
              graded = await op(worker.grade(item.sub.files, (s) => say(`${item.sub.name}: ${s}`)));
            } catch (err) {
              if (err instanceof Interrupted) throw err;
              if (watch.isLost || (await watch.confirmLost())) {
                settle('requeue');
                emit({ type: 'requeued', name: item.sub.name, worker: wid, engine: e.endpoint.endpoint });
                throw watch.lostError;
              }
              // The worker failed, not the engine: once more on a repaired lab, then give up on this one.
              item.attempts++;
              if (item.attempts < 2) settle('requeue');
              else {
                result.unfinished.push({ name: item.sub.name, message: `the grader failed twice: ${(err as Error).message}` });
                settle('done');
                bump();
              }
              say('repairing its lab');
              await op(worker.reset(say, { recreate: worker.studentContainers(), signal: o.signal }));
              continue;
            }
            const finishedAt = now();
            await store(
              {
                format: 1,
                name: item.sub.name,
                experiment: lab.id,
                hash: item.hash,
                source: item.sub.source,
                report: graded.report,
                meta: graded.meta,
                problems: [],
                ignored: item.sub.ignored,
                findings: item.sub.findings,
                applied: graded.applied,
                grader: grader(wid, labName, e.endpoint.endpoint),
                timings: { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), totalMs: finishedAt - startedAt, phases: graded.phases },
              },
              wid,
              e.endpoint.endpoint,
            );
            settle('done');
            summary.graded++;
            bump();
            // Back to the proven start state before the next student; nodes that ran allowed code are recreated.
            const ranCode = [...new Set(item.sub.findings.map((f) => f.file.split('/')[0]!))];
            const r = await op(worker.reset(say, { recreate: worker.studentContainers(ranCode), signal: o.signal }));
            emit({ type: 'reset', worker: wid, ms: r.ms });
            if (r.recreated.length) emit({ type: 'recreated', worker: wid, nodes: r.recreated.map((x) => x.node), why: r.recreated.map((x) => `${x.node}: ${x.why.join('; ')}`) });
          } finally {
            if (!settled) {
              if (result.interrupted || watch.isLost) settle('requeue');
              else {
                result.unfinished.push({ name: item.sub.name, message: 'the grader stopped while grading it' });
                settle('done');
                bump();
              }
            }
          }
        }
        say(`done: ${summary.graded} graded${worker.recreations ? `, ${worker.recreations} node(s) recreated` : ''}`);
      } catch (err) {
        if (err instanceof Interrupted) {
          say('interrupted');
        } else {
          summary.error = (err as Error).message;
          say(watch.isLost ? `engine lost: ${summary.error}` : `stopped: ${summary.error}`);
          // The last worker standing takes the queue down with it: nothing could grade what is left.
          if (!workersAlive() || plan.every((p) => p.watch.isLost)) queue!.close();
        }
      } finally {
        if (!watch.isLost) {
          say('stopping');
          await Promise.race([current.catch(() => undefined), sleep(60_000)]);
        }
        summary.recreations = worker.recreations;
        if (watch.isLost) result.leftLabs.push(labName);
        else if (o.keep && started) {
          // Kept; vouched for (a marker the next run trusts) only when it is at its proven start state,
          // otherwise the next run recreates its HAProxy and Nginx nodes before using it.
          await worker.stop(true);
          summary.kept = true;
          result.leftLabs.push(labName);
        } else {
          try {
            await worker.stop(false);
          } catch (err) {
            result.leftLabs.push(labName);
            summary.error ??= `could not remove its lab: ${(err as Error).message}`;
          }
        }
      }
    };

    for (const w of watches) w.start();
    try {
      await o.progress.run([
        {
          title: classTitle(),
          run: async (ctl) => {
            classCtl = ctl;
            await ctl.subtasks(
              plan.flatMap((p) =>
                p.ids.map((id) => ({
                  title: `w${id} ${p.engine.endpoint.label}`,
                  run: (wctl: TaskControl) => runWorker(id, p.engine, p.watch, wctl),
                })),
              ),
              { concurrent: true },
            );
            ctl.title(classTitle().replace(/, ETA .*/, ''));
          },
        },
      ]);
    } finally {
      for (const w of watches) w.stop();
    }
    // What no worker finished: the run was interrupted, or no engine was left.
    const left = queue.close();
    for (const it of left) result.unfinished.push({ name: it.sub.name, message: result.interrupted ? 'interrupted before it was graded' : 'no worker was left to grade it' });
    if (!result.workers.some((w) => w.graded > 0 || !w.error) && !result.interrupted && left.length === items.length) {
      const why = result.workers.map((w) => `${w.id}: ${w.error}`).join('; ');
      throw new LabError(`no worker could start: ${why}`, { hint: 'Fix the engine (see the message), then run again with --resume.' });
    }
  }
  o.signal?.removeEventListener('abort', onAbort);

  // 5. The gradebook from everything stored.
  if (existsSync(resultsDir(gradesDir))) {
    try {
      result.gradebook = await writeGradebook(gradesDir, lab, o.lang);
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
    }
  }
  if (!o.keep) {
    // Worker labs an earlier --keep run of this folder left, that this run did not use: gone too.
    const workRoot = path.join(gradesDir, '.workers');
    const used = new Set(result.workers.map((w) => w.lab));
    for (const e of o.engines) {
      const stale = await staleWorkerLabs(e.runtime, workRoot).catch(() => [] as string[]);
      for (const name of stale.filter((n) => !used.has(n))) {
        await downLab(e.runtime, name, { force: true }).catch(() => result.leftLabs.push(name));
      }
    }
    if (!result.leftLabs.length) rmSync(workRoot, { recursive: true, force: true });
  }
  result.elapsedMs = now() - t0;
  if (result.interrupted) {
    const dir = path.relative(process.cwd(), resultsDir(gradesDir)) || resultsDir(gradesDir);
    throw new InterruptedError(`grading was interrupted: ${result.written.length + result.skipped.length} of ${result.students} results are stored in ${dir}`, {
      hint: `Run the same command with --resume to grade the rest (nobody is graded twice).${result.leftLabs.length ? ` Worker labs left: ${result.leftLabs.join(', ')}.` : ''}`,
    });
  }
  return result;
}
