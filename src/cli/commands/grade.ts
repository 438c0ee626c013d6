// `lab grade <exp> <submission…>`: grade a whole class (src/grade/orchestrator.ts), and
// `lab grade report <dir>`: the gradebook again from the stored results, regrading nobody.
import path from 'node:path';
import type { Command } from 'commander';
import type { Runtime } from '../../runtime/types.js';
import { UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import { checkLabName, type Deps } from '../deps.js';
import { note, printJson, say, table } from '../output.js';
import { interruptible } from '../interrupt.js';

export interface Options {
  experiment: string;
  submissions: string[];
  roster?: string;
  out?: string;
  jobs?: string;
  resume: boolean;
  fresh: boolean;
  keep: boolean;
  engines: string[];
  images?: string;
  lang?: string;
  json: boolean;
  timeout: string;
  statsPasswordFile?: string;
}

function positiveInt(flag: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} ${v}: expected a whole number from 1 to ${max}`, { hint: `e.g. ${flag} 2` });
  return n;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { loadLab } = await import('../../labs/load.js');
  const { resolveLang } = await import('../../checks/runner.js');
  const { readRoster, rosterFromPaths } = await import('../../grade/roster.js');
  const { parseEndpoint } = await import('../../grade/engine-endpoint.js');
  const { capacityOf, jobsFor, spreadJobs } = await import('../../grade/jobs.js');
  const { gradeClass } = await import('../../grade/orchestrator.js');
  if (o.lang && o.lang !== 'zh' && o.lang !== 'en') throw new UsageError(`--lang ${o.lang}: expected zh or en`, { hint: 'e.g. --lang zh' });
  if (o.resume && o.fresh) throw new UsageError('--resume and --fresh contradict each other', { hint: '--resume continues the stored run; --fresh removes it first.' });
  const lab = loadLab(o.experiment);
  const lang = resolveLang(o.lang, deps.env);
  if (o.roster && o.submissions.length) throw new UsageError('give submissions either as paths or with --roster, not both', { hint: 'e.g. lab grade exp2 --roster class.csv' });
  if (!o.roster && !o.submissions.length) throw new UsageError('no submissions', { hint: `e.g. lab grade ${lab.id} subs/*.zip, or --roster class.csv (columns name, submission)` });
  const entries = o.roster ? readRoster(path.resolve(deps.cwd, o.roster)) : rosterFromPaths(o.submissions.map((p) => path.resolve(deps.cwd, p)));
  const gradesDir = path.resolve(deps.cwd, o.out ?? path.join('grades', lab.id));
  const timeoutMs = positiveInt('--timeout', o.timeout, 3600) * 1000;
  const { statsPasswordFrom } = await import('../../state/secrets.js');
  const statsPassword = statsPasswordFrom(deps.env, o.statsPasswordFile === undefined ? undefined : path.resolve(deps.cwd, o.statsPasswordFile));
  const prefix = deps.labName === 'lab' ? `grade-${lab.id}` : deps.labName;

  // The engines: --engine ENDPOINT…, or the one every other command uses.
  const endpoints = o.engines.length ? o.engines.map(parseEndpoint) : [parseEndpoint(deps.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock')];
  const seen = new Set<string>();
  for (const e of endpoints) {
    if (seen.has(e.endpoint)) throw new UsageError(`--engine ${e.endpoint} is given twice`, { hint: 'Give each engine once; --jobs sets how many workers there are.' });
    seen.add(e.endpoint);
  }
  const runtimes: Runtime[] = endpoints.map((e) => (o.engines.length ? (deps.engine ? deps.engine(e) : deps.runtime) : deps.runtime));
  let jobs: number[];
  if (o.jobs !== undefined) {
    const total = positiveInt('--jobs', o.jobs, 64);
    if (total < endpoints.length) throw new UsageError(`--jobs ${total} is fewer than the ${endpoints.length} engines`, { hint: `Give at least --jobs ${endpoints.length}, or fewer --engine.` });
    jobs = spreadJobs(total, endpoints.length);
  } else {
    jobs = await Promise.all(endpoints.map(async (e, i) => jobsFor(capacityOf(e, await runtimes[i]!.version().catch(() => ({} as { cpus?: number; memoryBytes?: number }))))));
  }
  const maxWorker = `${prefix}-w${jobs.reduce((a, b) => a + b, 0)}`;
  try {
    checkLabName(maxWorker);
  } catch {
    throw new UsageError(`worker labs would be named ${maxWorker}, longer than a lab name may be`, { hint: 'Use a shorter --name (at most 26 characters).' });
  }

  const r = await interruptible(deps, 'lab grade', (signal) =>
    gradeClass({
      lab,
      entries,
      gradesDir,
      engines: endpoints.map((endpoint, i) => ({ endpoint, runtime: runtimes[i]!, jobs: jobs[i]! })),
      resume: o.resume,
      fresh: o.fresh,
      keep: o.keep,
      lang,
      prefix,
      progress: deps.progress,
      signal,
      readyTimeoutMs: timeoutMs,
      statsPassword,
      bundle: o.images ? path.resolve(deps.cwd, o.images) : undefined,
    }),
  );

  const rel = (p: string) => path.relative(deps.cwd, p) || '.';
  if (o.json) {
    printJson(deps.io, {
      experiment: lab.id,
      gradesDir,
      students: r.students,
      written: r.written,
      skipped: r.skipped,
      notGradable: r.notGradable,
      unfinished: r.unfinished,
      lostEngines: r.lostEngines,
      workers: r.workers,
      leftLabs: r.leftLabs,
      elapsedMs: r.elapsedMs,
      gradebook: r.gradebook?.gradebook.summary,
    });
    return r.unfinished.length ? 1 : 0;
  }
  const s = deps.io.style;
  const g = r.gradebook?.gradebook;
  if (g) {
    say(deps.io, table([['STUDENT', 'SCORE', 'PASSED', 'NOTE'], ...g.students.map((st) => [st.name, `${st.score}/${st.maxScore}`, st.passed ? s.green('yes') : st.notGraded ? s.red('not graded') : s.red('no'), [...st.problems, ...st.notes][0] ?? ''])]));
    say(deps.io);
  }
  const graded = r.written.length - r.notGradable.length;
  const per = graded ? ` (${(r.elapsedMs / 1000 / graded).toFixed(1)} s per submission)` : '';
  say(deps.io, `${r.written.length} result(s) written${r.skipped.length ? `, ${r.skipped.length} already graded (--resume)` : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s${per} on ${r.workers.length} worker(s).`);
  if (r.gradebook) say(deps.io, `Gradebook: ${rel(path.join(gradesDir, 'gradebook.csv'))}, ${rel(path.join(gradesDir, 'report.html'))}`);
  for (const l of r.lostEngines) note(deps.io, s.yellow(`warning: ${l.message}; its submissions were graded on the other engines`));
  for (const w of r.workers.filter((x) => x.error)) note(deps.io, s.yellow(`warning: worker ${w.id} (${w.lab}) stopped: ${w.error}`));
  if (r.leftLabs.length) note(deps.io, `Worker labs left on the engine: ${r.leftLabs.join(', ')}${o.keep ? ' (--keep: the next run reuses them)' : ''}; remove with \`lab -n NAME down\`.`);
  if (r.unfinished.length) {
    for (const u of r.unfinished) note(deps.io, `${deps.io.errStyle.red('not graded:')} ${u.name}: ${u.message}`);
    note(deps.io, `Run the same command with --resume to grade them (nobody is graded twice).`);
    return 1;
  }
  return 0;
}

export interface ReportOptions {
  dir: string;
  lang?: string;
  json: boolean;
}

/** `lab grade report <dir>`: gradebook.csv/json, junit/ and report.html again, from results/ alone. */
export async function runReport(o: ReportOptions, deps: Deps): Promise<number> {
  const { loadLab } = await import('../../labs/load.js');
  const { resolveLang } = await import('../../checks/runner.js');
  const { listFinished, resultsDir } = await import('../../grade/results.js');
  const { writeGradebook } = await import('../../grade/gradebook.js');
  if (o.lang && o.lang !== 'zh' && o.lang !== 'en') throw new UsageError(`--lang ${o.lang}: expected zh or en`, { hint: 'e.g. --lang zh' });
  const dir = path.resolve(deps.cwd, o.dir);
  const finished = await listFinished(dir);
  const exps = [...new Set([...finished.records.values()].map((r) => r.experiment))];
  if (!exps.length) {
    throw new UsageError(`no results in ${path.relative(deps.cwd, resultsDir(dir)) || resultsDir(dir)}`, { hint: 'Pass the folder a class run wrote, e.g. lab grade report grades/exp2.' });
  }
  const exp = exps.includes(path.basename(dir)) ? path.basename(dir) : exps.length === 1 ? exps[0]! : undefined;
  if (!exp) throw new UsageError(`${o.dir} holds results of ${exps.join(', ')}`, { hint: 'Keep one experiment per folder (grades/<exp>).' });
  // Messages were stored in the language they were graded in; the page's own words follow --lang, else that.
  const stored = [...finished.records.values()].find((r) => r.experiment === exp)!.meta.lang;
  const lang = o.lang ? resolveLang(o.lang, deps.env) : stored;
  const w = await writeGradebook(dir, loadLab(exp), lang);
  if (o.json) printJson(deps.io, { dir, files: w.files, skipped: w.skipped, summary: w.gradebook.summary });
  else {
    say(deps.io, `Gradebook of ${exp} rebuilt from ${w.gradebook.students.length} stored result(s), nobody regraded:`);
    for (const f of w.files.filter((f) => !f.includes(`${path.sep}junit${path.sep}`))) say(deps.io, `  ${path.relative(deps.cwd, f)}`);
    say(deps.io, `  ${path.relative(deps.cwd, path.join(dir, 'junit'))}/ (${w.gradebook.students.length} JUnit files)`);
  }
  for (const sk of w.skipped) note(deps.io, deps.io.errStyle.yellow(`skipped ${path.relative(deps.cwd, sk.file)}: ${sk.message}`));
  return 0;
}

export function define(program: Command, act: Act): void {
  const grade = program
    .command('grade')
    .description('grade a whole class: each submission in a reused worker lab, reset and proven clean between students; results in grades/<exp>/')
    .argument('<exp>', 'experiment, e.g. exp2')
    .argument('[submissions...]', 'folders, .zip, .tar.gz or git repositories, one per student (named after the file)')
    .option('--roster <file>', 'CSV with name and submission columns, instead of paths')
    .option('-o, --out <dir>', 'where results and the gradebook go (default: grades/<exp>)')
    .option('-j, --jobs <n>', 'worker labs in all (default: per engine, from its cores and free memory)')
    .option('--resume', 'continue a stored run: skip students already graded from the same files')
    .option('--fresh', 'remove the stored results first and grade everyone')
    .option('--keep', 'leave the worker labs for a faster next run (default: removed)')
    .option('--engine <endpoint>', 'a Docker engine to grade on, as in DOCKER_HOST: unix://…, tcp://host:port, ssh://user@host (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--images <bundle>', 'a `lab images save` bundle to load into engines that lack the images')
    .option('--lang <zh|en>', 'language of messages and hints (default: zh when LANG starts with zh, else en)')
    .option('--timeout <seconds>', 'how long a worker lab may take to become ready', '180')
    .option('--stats-password-file <file>', "the stats password the class's labs were given (first line; or LAB_STATS_PASSWORD): the grader logs in with it")
    .option('--json', 'print the run summary as JSON')
    .action((exp: string, subs: string[], f: Omit<Options, 'experiment' | 'submissions' | 'engines' | 'resume' | 'fresh' | 'keep' | 'json'> & { engine: string[]; resume?: boolean; fresh?: boolean; keep?: boolean; json?: boolean }, cmd: Command) =>
      act(cmd, run, {
        experiment: exp,
        submissions: subs,
        roster: f.roster,
        out: f.out,
        jobs: f.jobs,
        resume: !!f.resume,
        fresh: !!f.fresh,
        keep: !!f.keep,
        engines: f.engine,
        images: f.images,
        lang: f.lang,
        json: !!f.json,
        timeout: f.timeout,
        statsPasswordFile: f.statsPasswordFile,
      }),
    );
  grade
    .command('report')
    .description('rebuild gradebook.csv/json, junit/ and report.html from the stored results (regrades nobody)')
    .argument('<dir>', 'the folder a class run wrote, e.g. grades/exp2')
    .option('--lang <zh|en>', 'language of the page (default: the one the results were graded in)')
    .option('--json', 'print what was written as JSON')
    .action((dir: string, f: { lang?: string; json?: boolean }, cmd: Command) => {
      // `grade` has --lang and --json of its own, and commander may hand them to it.
      const parent = (cmd.parent?.opts() ?? {}) as { lang?: string; json?: boolean };
      return act(cmd, runReport, { dir, lang: f.lang ?? parent.lang, json: !!(f.json || parent.json) });
    });
}
