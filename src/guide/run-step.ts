// "Run it for me": copy the step's files from solution/ (the student's copy backed up first, by the
// same routine `lab solve` uses), `lab apply`, then run the step's commands in their containers.
// Long work shows listr2 progress; results are returned for the session to print.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Lab } from '../labs/load.js';
import { errataLink } from '../labs/pitfalls.js';
import type { Step } from '../labs/steps-schema.js';
import { replaceWorkspace, workspaceFiles, type ReplaceResult } from '../workspace/replace.js';
import { walkFiles } from '../util/files.js';
import { courseFileBytes, withStatsPassword } from '../state/secrets.js';
import type { Progress, Task } from '../progress/progress.js';
import type { Runtime } from '../runtime/types.js';
import type { ApplyResult } from '../apply/apply.js';
import { isLabError, LabError } from '../util/errors.js';
import { stepActions, stepFiles } from './actions.js';
import type { Lang } from '../util/lang.js';
import { messages } from './messages.js';

export interface ApplyView {
  ok: boolean;
  /** One line per service: validated and reloaded, unchanged, or rejected. */
  lines: string[];
  /** The validators' errors with file:line and the errata fix. */
  errors: string[];
}

export interface ExecOutput {
  node: string;
  cmd: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PerformReport {
  backups: string[];
  apply?: ApplyView;
  outputs: ExecOutput[];
}

export interface StepWorld {
  runtime: Runtime;
  lab: Lab;
  labName: string;
  cwd: string;
  workspaceDir: string;
  lang: Lang;
  progress: Progress;
  /** Node name → container name. */
  containerOf(node: string): string;
  /** The lab's own stats password, where the course's commands and files say admin:123456. */
  statsPassword?: string;
  /** `lab apply` on this lab and workspace; tests pass a fake. */
  apply(onProgress: (line: string) => void): Promise<ApplyResult>;
}

export function applyView(r: ApplyResult): ApplyView {
  const lines: string[] = [];
  const errors: string[] = [];
  for (const o of r.outcomes) {
    if (o.status === 'unchanged') lines.push(`· ${o.role}: unchanged`);
    else if (o.status === 'reloaded') lines.push(`✓ ${o.role}: ${o.tool} ok, reloaded ${o.nodes.join(', ')}`);
    else {
      lines.push(`✗ ${o.role}: ${o.status === 'invalid' ? `${o.tool} rejected the config, nothing reloaded` : 'reload failed'}`);
      const e = o.error;
      if (e) errors.push(`${e.message}${isLabError(e) && e.hint ? `\n  hint: ${e.hint}` : ''}`);
    }
  }
  for (const w of r.warnings.slice(0, 5)) lines.push(`! ${r.target.workspaceRoot}/${w.file}:${w.line}: ${w.message} (${errataLink(w.errata)}; fix: ${w.fix})`);
  return { ok: r.ok, lines, errors };
}

/**
 * A step's "do it for me" edit: its files from solution/, every other file as it is. One backup of the
 * workspace first (the routine `lab solve` uses), however many files the step changes.
 */
export function copyStepFiles(lab: Lab, workspaceDir: string, files: string[], statsPassword?: string): ReplaceResult {
  const target = new Map<string, string | Buffer>(workspaceFiles(workspaceDir).map((rel) => [rel, path.join(workspaceDir, rel)]));
  for (const rel of files) {
    const src = path.join(lab.solutionDir, rel);
    if (!existsSync(src)) throw new LabError(`${lab.id} has no solution file ${rel}`, { hint: `Files in solution/: ${walkFiles(lab.solutionDir).join(', ')}.` });
    target.set(rel.split('/').join(path.sep), courseFileBytes(src, statsPassword));
  }
  return replaceWorkspace(workspaceDir, lab.id, target);
}

class ApplyFailed extends Error {
  constructor(readonly view: ApplyView) {
    super(view.lines.filter((l) => l.startsWith('✗')).join('; ') || 'lab apply failed');
  }
}

function applyTask(w: StepWorld, into: { apply?: ApplyView }): Task {
  return {
    title: messages(w.lang).applying,
    run: async (ctl) => {
      let r: ApplyResult;
      try {
        r = await w.apply((line) => ctl.output(line));
      } catch (e) {
        into.apply = { ok: false, lines: [], errors: [`${(e as Error).message}${isLabError(e) && e.hint ? `\n  hint: ${e.hint}` : ''}`] };
        throw e;
      }
      into.apply = applyView(r);
      if (!r.ok) throw new ApplyFailed(into.apply);
    },
  };
}

/** `lab apply` on the student's files, with progress. */
export async function applyStudentFiles(w: StepWorld): Promise<ApplyView> {
  const into: { apply?: ApplyView } = {};
  try {
    await w.progress.run([applyTask(w, into)]);
  } catch {
    // the view says what failed
  }
  return into.apply ?? { ok: false, lines: [], errors: ['lab apply did not run'] };
}

export async function performStep(w: StepWorld, step: Step): Promise<PerformReport> {
  const m = messages(w.lang);
  const report: PerformReport = { backups: [], outputs: [] };
  const files = stepFiles(step);
  const tasks: Task[] = stepActions(step).flatMap((a): Task[] => {
    if (a.kind === 'edit') {
      if (a.file !== files[0]) return [];
      return [
        {
          title: m.copying(files),
          run: () => {
            const r = copyStepFiles(w.lab, w.workspaceDir, files, w.statsPassword);
            if (r.backup) report.backups.push(path.relative(w.cwd, r.backup.dir) || r.backup.dir);
          },
        },
      ];
    }
    if (a.kind === 'apply') return [applyTask(w, report)];
    const cmd = withStatsPassword(a.cmd, w.statsPassword);
    return [
      {
        title: m.running(a.node, cmd.length > 70 ? `${cmd.slice(0, 67)}…` : cmd),
        run: async () => {
          const r = await w.runtime.exec(w.containerOf(a.node), ['sh', '-c', cmd], { timeoutMs: 60_000 });
          report.outputs.push({ node: a.node, cmd, ...r });
        },
      },
    ];
  });
  if (!tasks.length) return report;
  try {
    await w.progress.run(tasks);
  } catch (e) {
    if (!(e instanceof ApplyFailed) && !report.apply) throw e;
  }
  return report;
}

/** The output of the commands, as the student would have seen it in the shell. */
export function formatOutputs(outputs: ExecOutput[], lang: Lang): string[] {
  const m = messages(lang);
  return outputs.map((o) => {
    const body = [o.stdout, o.stderr].map((s) => s.trimEnd()).filter(Boolean).join('\n');
    const code = o.exitCode === 0 ? '' : `\n${m.exitCode(o.exitCode)}`;
    return `$ ${o.node}: ${o.cmd}\n${body.split('\n').map((l) => `  ${l}`).join('\n')}${code}`;
  });
}
