// One run of `lab guide` on a terminal: intro, then each step (what and why; run it for me or do it
// yourself; verification with escalating hints; retry, hint, skip or quit), then the finish text and
// a summary with the `lab check` score. Side effects come in through GuideEnv and questions through a
// Prompter, so the whole flow runs in unit tests against fakes.
import { withStatsPassword } from '../state/secrets.js';
import type { Lab } from '../labs/load.js';
import type { Step } from '../labs/steps-schema.js';
import { labCmd, stepActions, stepFiles } from './actions.js';
import { hintLadder, hintMenuLabel, hintText, type Hint } from './hints.js';
import { instructions, type Where } from './instructions.js';
import { pick, type Lang } from '../util/lang.js';
import { messages } from './messages.js';
import { formatPitfalls, type FilePitfall } from './pitfall-warnings.js';
import { loadProgress, recordHint, recordStep, saveProgress, startPoint, type Progress } from './progress.js';
import { isPromptExit, type Choice, type Prompter } from './prompts.js';
import { formatOutputs, type ApplyView, type PerformReport } from './run-step.js';
import { renderSummary } from './summary.js';
import { refLabel, tutorialRef, type TutorialRef } from './tutorial-ref.js';
import type { Score, Verdict } from './verify.js';
import { plainStyle, type Style } from '../util/style.js';

export interface GuideEnv {
  /** "Run it for me": the step's edits, lab apply, and its commands. */
  perform(step: Step): Promise<PerformReport>;
  /** `lab apply` on the student's own files. */
  apply(): Promise<ApplyView>;
  verify(step: Step): Promise<Verdict>;
  score(): Promise<Score>;
  pitfalls(step: Step): FilePitfall[];
  /** Unified diff of the step's files: the student's workspace against solution/. */
  solutionDiff(step: Step): string;
}


export interface SessionIO {
  prompter: Prompter;
  print(text: string): void;
  style?: Style;
}

export interface SessionOptions {
  lab: Lab;
  lang: Lang;
  where: Where;
  progressFile: string;
  step?: string;
  restart?: boolean;
  cwd?: string;
  findRef?: (section: string) => TutorialRef;
}

export type SessionEnd = 'finished' | 'quit' | 'interrupted';

type Mode = 'run' | 'self';
type StepEnd = 'next' | 'quit';

/** The command that resumes this run. */
export function resumeCommand(o: Pick<SessionOptions, 'lab' | 'lang' | 'where'>): string {
  return labCmd(o.where.labName, `guide ${o.lab.id}${o.lang === 'en' ? ' --lang en' : ''}`);
}

export async function runSession(o: SessionOptions, io: SessionIO, env: GuideEnv): Promise<{ end: SessionEnd; progress: Progress }> {
  const m = messages(o.lang);
  const s = io.style ?? plainStyle;
  const steps = o.lab.def.steps;
  const ids = steps.map((x) => x.id);
  const start = startPoint(loadProgress(o.progressFile, o.lab.id, ids), ids, { step: o.step, restart: o.restart });
  let progress = start.progress;
  const save = (p: Progress) => {
    progress = p;
    saveProgress(o.progressFile, p);
  };
  save(progress);
  const say = (text = '') => io.print(text);

  async function revealHint(step: Step, ladder: Hint[], shown: number): Promise<number> {
    const h = ladder[shown];
    if (!h) {
      say(s.dim(m.noMoreHints));
      return shown;
    }
    say(s.yellow(withStatsPassword(hintText(h, shown, ladder, o.lang, o.cwd), o.where.statsPassword)));
    if (h.kind === 'solution' && h.files.length && (await io.prompter.confirm(m.offerDiff, true))) {
      const diff = env.solutionDiff(step);
      say(diff ? colorDiff(diff, s) : s.dim(m.noDiff));
    }
    save(recordHint(progress, step.id, shown + 1));
    return shown + 1;
  }

  function showInstructions(step: Step): void {
    say(s.bold(m.selfIntro));
    const list = instructions(step, o.where);
    if (!list.length) say(`  ${m.selfNothing}`);
    list.forEach((ins, k) => {
      const n = `  ${k + 1}. `;
      if (ins.kind === 'edit') say(`${n}${m.selfEdit(ins.path)}`);
      else if (ins.kind === 'apply') say(`${n}${m.selfApply(ins.command)}`);
      else say(`${n}${m.selfShell(ins.shell)}\n       ${s.bold(ins.cmd)}`);
    });
    say(s.dim(`  ${m.selfWait}`));
  }

  function warnPitfalls(step: Step): void {
    const found = env.pitfalls(step);
    if (!found.length) return;
    say(s.yellow(m.pitfallsIntro));
    for (const p of formatPitfalls(found, o.where.workspaceRoot, o.lang)) say(s.yellow(p));
  }

  function showApply(view: ApplyView): void {
    for (const l of view.lines) say(l.startsWith('✗') ? s.red(l) : s.dim(l));
    if (!view.ok) {
      say(s.red(m.applyFailed));
      for (const e of view.errors) say(s.red(`  ${e.replace(/\n/g, '\n  ')}`));
    }
  }

  async function attempt(step: Step, mode: Mode): Promise<boolean> {
    if (mode === 'run') {
      const r = await env.perform(step);
      for (const b of r.backups) say(s.dim(m.backedUp(b)));
      if (r.apply) showApply(r.apply);
      for (const out of formatOutputs(r.outputs, o.lang)) say(out);
      if (r.apply && !r.apply.ok) return false;
    } else {
      warnPitfalls(step);
      if (stepFiles(step).length) {
        const view = await env.apply();
        showApply(view);
        if (!view.ok) return false;
      }
    }
    if (!step.verify) return true;
    let verdict: Verdict;
    try {
      verdict = await env.verify(step);
    } catch (e) {
      say(s.red(`${m.failed} ${(e as Error).message}`));
      return false;
    }
    if (verdict.passed) {
      for (const c of verdict.results) say(s.green(`  ✔ ${c.title}`));
      return true;
    }
    say(s.red(m.failed));
    for (const c of verdict.results) {
      if (c.status === 'fail') say(s.red(`  ✘ ${c.title} [${c.id}]: ${c.message}`));
      else say(s.green(`  ✔ ${c.title}`));
    }
    return false;
  }

  async function runStep(step: Step, i: number): Promise<StepEnd> {
    say();
    say(s.bold(`━━ ${m.stepHeader(i + 1, steps.length, pick(step.title, o.lang))} ━━`));
    say(withStatsPassword(pick(step.text, o.lang), o.where.statsPassword).trimEnd());
    if (step.tutorial) say(s.dim(m.tutorial(refLabel((o.findRef ?? tutorialRef)(step.tutorial)))));
    const canRun = stepActions(step).length > 0;
    const ladder = hintLadder(step, o.lang, o.findRef);
    let shown = 0;
    warnPitfalls(step);

    const first = await io.prompter.select<Mode | 'skip' | 'quit'>(m.how, [
      ...(canRun ? [{ value: 'run' as const, name: m.runForMe }] : []),
      { value: 'self', name: m.doItMyself },
      { value: 'skip', name: m.skip },
      { value: 'quit', name: m.quit },
    ]);
    if (first === 'quit') return 'quit';
    if (first === 'skip') {
      save(recordStep(progress, ids, step.id, 'skipped'));
      say(s.yellow(m.skipped));
      return 'next';
    }
    let mode: Mode = first;
    if (mode === 'self') showInstructions(step);
    let phase: 'attempt' | 'waiting' | 'failed' = mode === 'run' ? 'attempt' : 'waiting';
    for (;;) {
      if (phase === 'attempt') {
        if (await attempt(step, mode)) {
          save(recordStep(progress, ids, step.id, 'passed', mode));
          say(s.green(step.verify ? m.passed : m.passedNoCheck));
          return 'next';
        }
        if (shown === 0 && ladder.length) shown = await revealHint(step, ladder, shown);
        phase = 'failed';
      }
      const next = ladder[shown];
      const choices: Choice<string>[] = [
        phase === 'waiting' ? { value: 'again', name: m.done } : { value: 'again', name: m.retry },
        ...(next ? [{ value: 'hint', name: hintMenuLabel(next, shown, ladder, o.lang) }] : []),
        ...(canRun && mode === 'self' ? [{ value: 'run', name: m.runForMe }] : []),
        ...(mode === 'run' ? [{ value: 'self', name: m.doItMyself }] : []),
        { value: 'skip', name: m.skip },
        { value: 'quit', name: m.quit },
      ];
      const pickd = await io.prompter.select(m.whatNow, choices);
      if (pickd === 'again') phase = 'attempt';
      else if (pickd === 'hint') shown = await revealHint(step, ladder, shown);
      else if (pickd === 'run') {
        mode = 'run';
        phase = 'attempt';
      } else if (pickd === 'self') {
        mode = 'self';
        showInstructions(step);
        phase = 'waiting';
      } else if (pickd === 'skip') {
        save(recordStep(progress, ids, step.id, 'skipped', mode));
        say(s.yellow(m.skipped));
        return 'next';
      } else return 'quit';
    }
  }

  try {
    if (start.index === 0 && o.lab.def.intro) {
      say(s.bold(pick(o.lab.def.title, o.lang)));
      say();
      say(pick(o.lab.def.intro, o.lang).trimEnd());
    }
    if (start.index >= steps.length) say(m.allDone(`${resumeCommand(o)} --restart`));
    for (let i = start.index; i < steps.length; i++) {
      save({ ...progress, current: steps[i]!.id });
      if ((await runStep(steps[i]!, i)) === 'quit') {
        say();
        say(m.resume(resumeCommand(o)));
        return { end: 'quit', progress };
      }
    }
  } catch (e) {
    if (!isPromptExit(e)) throw e;
    say();
    say(m.resume(resumeCommand(o)));
    return { end: 'interrupted', progress };
  }
  save({ ...progress, current: null });
  say();
  say(s.bold(`━━ ${m.finish} ━━`));
  if (o.lab.def.finish) say(pick(o.lab.def.finish, o.lang).trimEnd());
  let score: Score | { error: string };
  try {
    score = await env.score();
  } catch (e) {
    score = { error: (e as Error).message };
  }
  say();
  for (const line of renderSummary(steps, progress, score, o.lang)) say(line);
  return { end: 'finished', progress };
}

function colorDiff(diff: string, s: Style): string {
  return diff
    .trimEnd()
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? s.green(l) : l.startsWith('-') && !l.startsWith('---') ? s.red(l) : l.startsWith('@@') ? s.dim(l) : l))
    .join('\n');
}
