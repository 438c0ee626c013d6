// `lab validate <path>`: a lab.yaml or an experiment folder, checked as a whole. On top of the file's
// own checks (src/labs/lint.ts): the folder name matches the id, start/ and solution/ exist, every
// workspace glob matches a start file, every solution file is a workspace file, steps only copy
// solution files that exist, and no reference solution contains an errata pitfall that breaks it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { lintLabText, type Problem } from './lint.js';
import { findPitfalls } from './pitfalls.js';
import type { LabFile } from './schema.js';
import type { Lab } from './load.js';
import { startFiles } from '../workspace/seed.js';
import { walkFiles } from '../util/files.js';
import { textProblem } from '../util/text.js';

export type { Problem };

/** Glob → RegExp for workspace patterns: `*` and `?` within a path segment, `**` across segments, `{a,b}`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob.slice(i + 1, end).split(',').map((p) => p.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|')})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchesAny(rel: string, globs: string[]): boolean {
  const posix = rel.split(path.sep).join('/');
  return globs.some((g) => globToRegExp(g).test(posix));
}

export interface ValidateResult {
  file: string;
  def?: LabFile;
  problems: Problem[];
}

/** Resolves the argument to lab.yaml: the file itself, or lab.yaml inside the folder. */
function labFileOf(arg: string): { file?: string; problem?: Problem } {
  if (!existsSync(arg)) {
    return { problem: { file: arg, message: 'no such file or folder', hint: 'Fix: pass an experiment folder (e.g. labs/exp2) or its lab.yaml.' } };
  }
  if (statSync(arg).isDirectory()) {
    const f = path.join(arg, 'lab.yaml');
    if (!existsSync(f)) return { problem: { file: arg, message: 'this folder has no lab.yaml', hint: 'Fix: create lab.yaml here (see labs/exp1/lab.yaml), or pass the experiment folder.' } };
    return { file: f };
  }
  return { file: arg };
}

export function validateLabPath(arg: string, cwd = process.cwd()): ValidateResult {
  const { file: abs, problem } = labFileOf(path.resolve(cwd, arg));
  const show = (p: string) => path.relative(cwd, p) || p;
  if (!abs) return { file: arg, problems: [{ ...problem!, file: show(problem!.file) }] };
  const file = show(abs);
  let text: string;
  try {
    const bytes = readFileSync(abs);
    const bad = textProblem(bytes);
    if (bad) return { file, problems: [{ file, line: bad.line, message: bad.message, hint: `Fix: ${bad.hint}` }] };
    text = bytes.toString('utf8');
  } catch (e) {
    return { file, problems: [{ file, message: `cannot read: ${(e as Error).message}`, hint: 'Fix: check the file permissions.' }] };
  }
  const { def, problems, lineAt } = lintLabText(file, text);
  if (!def) return { file, problems };

  const dir = path.dirname(abs);
  const folder = path.basename(dir);
  if (def.id !== folder) {
    problems.push({ file, line: lineAt(['id']), message: `id is "${def.id}" but the folder is "${folder}"`, hint: `Fix: set \`id: ${folder}\`, or rename the folder to ${def.id}.` });
  }
  const lab: Lab = { id: def.id, dir, file: abs, def, startDir: path.join(dir, 'start'), solutionDir: path.join(dir, 'solution') };
  for (const [sub, what] of [
    ['start', 'the files the student starts from'],
    ['solution', 'the reference answer'],
  ] as const) {
    const p = path.join(dir, sub);
    if (!existsSync(p) || !statSync(p).isDirectory()) {
      problems.push({ file: show(p), message: `missing folder ${sub}/`, hint: `Fix: create ${show(p)}/ with ${what}, one folder per role (e.g. ${sub}/haproxy/haproxy.cfg).` });
    }
  }

  const start = [...startFiles(lab).keys()];
  def.workspace.forEach((glob, i) => {
    if (!start.some((f) => matchesAny(f, [glob]))) {
      problems.push({
        file,
        line: lineAt(['workspace', i]),
        message: `workspace[${i}]: "${glob}" matches no start file`,
        hint: `Fix: add a matching file under start/, or correct the pattern (start files: ${start.map((f) => f.split(path.sep).join('/')).join(', ') || 'none'}).`,
      });
    }
  });

  const solution = walkFiles(lab.solutionDir);
  for (const rel of solution) {
    const shown = show(path.join(lab.solutionDir, rel));
    if (!matchesAny(rel, def.workspace)) {
      problems.push({ file: shown, message: 'solution file is not a workspace file', hint: `Fix: list it under \`workspace:\` in ${file}, or remove it.` });
    }
    // Reference solutions must not contain a pitfall that breaks them (errata.md).
    const textOf = (f: string) => readFileSync(path.join(lab.solutionDir, f), 'utf8');
    const siblings = solution.filter((f) => f !== rel && path.dirname(f) === path.dirname(rel)).map(textOf);
    for (const p of findPitfalls(rel, textOf(rel), { siblings }).filter((x) => x.severity === 'error')) {
      problems.push({ file: shown, line: p.line, message: `errata ${p.errata}: ${p.message}`, hint: `Fix: ${p.fix}.` });
    }
  }

  def.steps.forEach((step, i) => {
    step.edit.forEach((e, j) => {
      const line = lineAt(['steps', i, 'edit', j, 'file']);
      if (!solution.some((f) => f.split(path.sep).join('/') === e.file)) {
        problems.push({ file, line, message: `steps[${i}].edit[${j}].file: solution/${e.file} does not exist`, hint: `Fix: name a file of solution/ (${solution.map((f) => f.split(path.sep).join('/')).join(', ') || 'none'}).` });
      } else if (!matchesAny(e.file, def.workspace)) {
        problems.push({ file, line, message: `steps[${i}].edit[${j}].file: ${e.file} is not a workspace file`, hint: 'Fix: list it under `workspace:`, or edit a workspace file.' });
      }
    });
  });
  return { file, def, problems };
}
