// `lab guide <exp>`: on a terminal, the interactive walk-through (session.ts) on a running lab; with
// --print or without a terminal, the exercise as Markdown on stdout, never waiting on a prompt.
import { readSecrets } from '../state/secrets.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tutorialFile } from '../labs/config.js';
import { loadLab, type Lab } from '../labs/load.js';
import type { Runtime } from '../runtime/types.js';
import type { Progress } from '../progress/progress.js';
import { applyTarget, resolveTarget } from '../apply/apply.js';
import { observeLab } from '../lifecycle/observe.js';
import { UsageError } from '../util/errors.js';
import { labCmd, stepFiles } from './actions.js';
import { unifiedDiff } from './diff.js';
import { resolveLang, type Lang } from '../util/lang.js';
import { messages } from './messages.js';
import { stepPitfalls } from './pitfall-warnings.js';
import { progressFile, resolveStepArg } from './progress.js';
import { inquirerPrompter, isPromptExit, type Prompter } from './prompts.js';
import { renderMarkdown } from './render-markdown.js';
import { applyStudentFiles, performStep, type StepWorld } from './run-step.js';
import { resumeCommand, runSession, type GuideEnv } from './session.js';
import { tutorialRef, type TutorialRef } from './tutorial-ref.js';
import type { Style } from '../util/style.js';
import { scoreLab, verifyStep } from './verify.js';

export interface GuideOptions {
  experiment: string;
  lang?: string;
  step?: string;
  restart?: boolean;
  print?: boolean;
  labName: string;
  workspace?: string;
  cwd: string;
  /** Whether stdin and stdout are a terminal (injected by tests). */
  tty: boolean;
  style?: Style;
}

/** What the guide needs from the outside world, injected (the CLI's deps, or fakes in tests). */
export interface GuideDeps {
  runtime: Runtime;
  progress: Progress;
  out(text: string): void;
}

/** The step files of the student against solution/, as one unified diff. */
export function solutionDiff(lab: Lab, workspaceDir: string, workspaceRoot: string, files: string[]): string {
  return files
    .map((rel) => {
      const mine = path.join(workspaceDir, rel);
      const ref = path.join(lab.solutionDir, rel);
      const a = existsSync(mine) ? readFileSync(mine, 'utf8') : '';
      const b = existsSync(ref) ? readFileSync(ref, 'utf8') : '';
      return unifiedDiff(a, b, `${workspaceRoot}/${rel}`, `solution/${rel}`);
    })
    .join('');
}

/** Tutorial pointers: section and title always; file:line where the teacher's copy is configured (LAB_TUTORIAL, lab.config.yaml). */
export function refFinder(cwd: string, env: NodeJS.ProcessEnv = process.env): (section: string) => TutorialRef {
  const file = tutorialFile(cwd, env);
  return (section) => tutorialRef(section, file);
}

/** The --print document for an experiment, with the workspace the lab would use. */
export async function printDocument(lab: Lab, o: Pick<GuideOptions, 'labName' | 'workspace' | 'cwd'>, lang: Lang): Promise<string> {
  const findRef = refFinder(o.cwd);
  const t = resolveTarget(undefined, { labName: o.labName, cwd: o.cwd, experiment: lab.id, workspace: o.workspace, allowStopped: true });
  return renderMarkdown(lab, { experiment: lab.id, labName: o.labName, workspaceRoot: t.workspaceRoot, statsPassword: readSecrets(o.cwd, o.labName).statsPassword }, lang, findRef);
}

/** Makes sure the lab runs this experiment; offers `lab up <exp>` when it does not. */
async function ensureLabUp(deps: GuideDeps, lab: Lab, o: GuideOptions, lang: Lang, prompter: Prompter): Promise<void> {
  const m = messages(lang);
  const view = await observeLab(deps.runtime, o.labName);
  const running = view.nodes.some((n) => n.state === 'running');
  const exp = view.experiment;
  if (running && exp === lab.id) return;
  const up = labCmd(o.labName, `up ${lab.id}`);
  deps.out(`${running && exp ? m.labOther(o.labName, exp, lab.id) : m.labDown(o.labName, lab.id)}\n`);
  if (!(await prompter.confirm(m.offerUp(up), true))) throw new UsageError(`lab guide ${lab.id} needs the lab running ${lab.id}`, { hint: m.startIt(up) });
  const { upLab } = await import('../lifecycle/up.js');
  await upLab({ experiment: lab.id, cwd: o.cwd, workspace: o.workspace, yes: false, interactive: true, timeoutMs: 180_000 }, { ...deps, labName: o.labName });
}

/** Runs the guide; resolves to the exit code (0, or 130 after Ctrl-C). */
export async function guide(o: GuideOptions, deps: GuideDeps): Promise<number> {
  const lab = loadLab(o.experiment);
  if (o.lang !== undefined && o.lang !== 'zh' && o.lang !== 'en') throw new UsageError(`--lang ${o.lang}: expected zh or en`, { hint: 'e.g. --lang en' });
  const lang = resolveLang(o.lang, process.env, 'zh');
  if (o.step !== undefined) resolveStepArg(o.step, lab.def.steps.map((s) => s.id));
  if (o.print || !o.tty) {
    deps.out(await printDocument(lab, o, lang));
    return 0;
  }
  const findRef = refFinder(o.cwd);

  const { runtime } = deps;
  const prompter = inquirerPrompter();
  try {
    await ensureLabUp(deps, lab, o, lang, prompter);
  } catch (e) {
    if (isPromptExit(e)) return 130;
    throw e;
  }
  const t = resolveTarget(await observeLab(runtime, o.labName), { labName: o.labName, cwd: o.cwd, experiment: lab.id, workspace: o.workspace });
  const world: StepWorld = {
    runtime,
    lab,
    labName: o.labName,
    cwd: o.cwd,
    workspaceDir: t.workspaceDir,
    lang,
    progress: deps.progress,
    statsPassword: readSecrets(o.cwd, o.labName).statsPassword,
    apply: async (onProgress) => applyTarget(runtime, resolveTarget(await observeLab(runtime, o.labName), { labName: o.labName, cwd: o.cwd, experiment: lab.id, workspace: o.workspace }), { cwd: o.cwd, onProgress }),
    containerOf: (node) => {
      const c = t.nodes.find((x) => x.node === node);
      if (!c) throw new UsageError(`no node "${node}" in lab "${o.labName}"`, { hint: `Nodes are: ${t.nodes.map((x) => x.node).join(', ')}.` });
      return c.container;
    },
  };
  const env: GuideEnv = {
    perform: (step) => performStep(world, step),
    apply: () => applyStudentFiles(world),
    verify: async (step) => {
      const m = messages(lang);
      let verdict;
      await deps.progress.run([
        {
          title: m.verifying(step.verify!.checks.join(', '), step.verify!.retries),
          run: async (ctl) => {
            verdict = await verifyStep(runtime, o.labName, lab, step.verify!, lang, (r) => ctl.output(`${r.status === 'pass' ? '✔' : '✘'} ${r.title}`));
          },
        },
      ]);
      return verdict!;
    },
    score: async () => {
      let score;
      await deps.progress.run([
        {
          title: messages(lang).scoring,
          run: async (ctl) => {
            score = await scoreLab(runtime, o.labName, lab, lang, (r) => ctl.output(`${r.status === 'pass' ? '✔' : '✘'} ${r.title}`));
          },
        },
      ]);
      return score!;
    },
    pitfalls: (step) => stepPitfalls(t.workspaceDir, step),
    solutionDiff: (step) => solutionDiff(lab, t.workspaceDir, t.workspaceRoot, stepFiles(step)),
  };
  const where = { experiment: lab.id, labName: o.labName, workspaceRoot: t.workspaceRoot, statsPassword: world.statsPassword };
  // Ctrl-C outside a prompt (during apply or verification): progress is saved after every change
  // already, so say how to resume and leave; the lab and the workspace stay as they are.
  const onSigint = () => {
    deps.out(`\n${messages(lang).resume(resumeCommand({ lab, lang, where }))}\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await runSession(
      { lab, lang, where, progressFile: progressFile(t.workspaceDir, lab.id), step: o.step, restart: o.restart, cwd: o.cwd, findRef },
      { prompter, print: (text) => deps.out(`${text}\n`), style: o.style },
      env,
    );
    return r.end === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
