// The results store of a class run: one JSON file per student, grades/<exp>/results/<name>.json,
// written atomically the moment that student's grading finishes. It is the run's only state: an
// interrupted run resumes (`--resume`) by skipping every student whose stored result was graded from
// the same submission (same hash, see submission-hash.ts), and the gradebook and report are rebuilt
// from these files alone, without regrading (`lab grade report`).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FileError } from '../util/errors.js';
import { TMP_SUFFIX, writeFileAtomic } from './atomic-write.js';
import { studentFileName } from './file-names.js';

const Problem = z.object({ file: z.string().optional(), line: z.number().int().optional(), message: z.string(), hint: z.string().optional() });
const Finding = z.object({ file: z.string(), line: z.number().int(), directive: z.string(), rule: z.string(), message: z.string() });
const Status = z.enum(['pass', 'fail', 'skip']);
/** What validate-then-reload did with one service of the submission (a rejected config is graded as the start state). */
const Applied = z.object({
  role: z.string(),
  tool: z.string(),
  status: z.enum(['unchanged', 'reloaded', 'invalid', 'reload-failed']),
  file: z.string().optional(),
  line: z.number().int().optional(),
  message: z.string().optional(),
});
const CheckResult = z.object({ id: z.string(), title: z.string(), status: Status, points: z.number(), maxPoints: z.number(), message: z.string(), hint: z.string() });
const Report = z.object({ experiment: z.string(), score: z.number(), maxScore: z.number(), passed: z.boolean(), checks: z.array(CheckResult) });
const Meta = z.object({
  required: z.record(z.boolean()),
  durationMs: z.record(z.number()),
  attempts: z.record(z.number()),
  totalMs: z.number(),
  lang: z.enum(['zh', 'en']),
  target: z.string().optional(),
});

export const RECORD_FORMAT = 1;

export const GradeRecord = z.object({
  format: z.literal(RECORD_FORMAT),
  name: z.string().min(1),
  experiment: z.string().min(1),
  /** submissionHash() of what was graded. */
  hash: z.string().min(1),
  source: z.object({ kind: z.enum(['folder', 'zip', 'tar', 'git']), path: z.string(), commit: z.string().optional() }),
  /** The `lab check --json` shape; for a submission with problems, problemReport()'s all-zero one. */
  report: Report,
  /** What junit() needs besides the report. */
  meta: Meta,
  problems: z.array(Problem),
  ignored: z.array(z.string()).default([]),
  findings: z.array(Finding).default([]),
  /** Each service's validate-and-reload; a config its tool rejected was not loaded, so that service ran the start files. */
  applied: z.array(Applied).default([]),
  /** Who graded it: the worker (and its lab) and the engine it ran on. */
  grader: z.object({ worker: z.string(), lab: z.string().optional(), engine: z.string().optional(), host: z.string().optional(), version: z.string().optional() }),
  timings: z.object({
    startedAt: z.string().datetime(),
    finishedAt: z.string().datetime(),
    totalMs: z.number().min(0),
    /** e.g. intake, swap, reload, checks, reset. */
    phases: z.record(z.number()).default({}),
  }),
});
export type GradeRecord = z.infer<typeof GradeRecord>;
export type GradeRecordInput = z.input<typeof GradeRecord>;

export function resultsDir(gradesDir: string): string {
  return path.join(gradesDir, 'results');
}

export function resultPath(gradesDir: string, name: string): string {
  return path.join(resultsDir(gradesDir), `${studentFileName(name)}.json`);
}

/** Stores one student's result atomically; returns its path. A record that does not fit the schema is a bug, and throws. */
export async function writeResult(gradesDir: string, record: GradeRecordInput): Promise<string> {
  const r = GradeRecord.parse(record);
  const file = resultPath(gradesDir, r.name);
  await writeFileAtomic(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}

export async function readResult(file: string): Promise<GradeRecord> {
  let data: unknown;
  try {
    data = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new FileError(file, undefined, `not a readable result: ${(e as Error).message}`, { hint: 'Delete it; the student is graded again on the next --resume.' });
  }
  const r = GradeRecord.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new FileError(file, undefined, `not a result lab wrote: ${i.path.join('.') || '(top)'}: ${i.message}`, { hint: 'Delete it; the student is graded again on the next --resume.' });
  }
  return r.data;
}

export interface Finished {
  /** By student name. */
  records: Map<string, GradeRecord>;
  /** Result files that could not be used (they count as not finished). */
  unreadable: { file: string; message: string }[];
}

/** Every stored result under grades/<exp>/; temporary files of an interrupted write are skipped. */
export async function listFinished(gradesDir: string): Promise<Finished> {
  const dir = resultsDir(gradesDir);
  const names = await fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const out: Finished = { records: new Map(), unreadable: [] };
  for (const n of names.sort()) {
    if (!n.endsWith('.json') || n.startsWith('.') || n.endsWith(TMP_SUFFIX)) continue;
    const file = path.join(dir, n);
    try {
      const r = await readResult(file);
      // A file renamed by hand, or two files claiming one student: only the file the name maps to counts.
      if (`${studentFileName(r.name)}.json` !== n) {
        out.unreadable.push({ file, message: `holds the result of "${r.name}", whose file is ${studentFileName(r.name)}.json` });
        continue;
      }
      out.records.set(r.name, r);
    } catch (e) {
      out.unreadable.push({ file, message: (e as Error).message });
    }
  }
  return out;
}

/** True when `name` was already graded from exactly this submission for this experiment (skip it on --resume). */
export function isFinished(finished: Finished, name: string, hash: string, experiment?: string): boolean {
  const r = finished.records.get(name);
  return !!r && r.hash === hash && (experiment === undefined || r.experiment === experiment);
}
