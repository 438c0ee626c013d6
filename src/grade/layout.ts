// Where in a submission the experiment's files are. Students hand in what they have: the files at the
// top level (haproxy/haproxy.cfg), their lab workspace (workspace/exp2/haproxy/haproxy.cfg), the
// workspace/exp2 folder itself (exp2/…, or the whole workspace with exp1/ … exp5/ beside it), and any of
// those wrapped in one more folder, as a zip made by right-clicking a folder is. We try each of those
// roots, keep the one where most of the lab's `workspace:` globs find a file (a root named after the
// experiment wins a tie), and refuse to guess when two roots are equally good.
import { globToRegExp } from '../labs/validate.js';
import type { SubmissionProblem } from './types.js';

/** Folders that never hold experiment files; their content is listed as one ignored line. */
export const NOISE_DIRS = new Set(['.git', '__MACOSX', 'node_modules', '.backups', '.lab', '.idea', '.vscode']);
/** Files desktop systems drop into folders and archives. */
const NOISE_FILE = /^(?:\._.*|\.DS_Store|Thumbs\.db|desktop\.ini)$/;

export function isNoise(rel: string): boolean {
  const segs = rel.split('/');
  return segs.some((s) => NOISE_DIRS.has(s)) || NOISE_FILE.test(segs[segs.length - 1]!);
}

/** `a/.git/objects/x` → `a/.git/`, so a zipped repository does not list every object. */
export function collapseIgnored(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const segs = p.split('/');
    const i = segs.findIndex((s) => NOISE_DIRS.has(s));
    out.add(i >= 0 && i < segs.length - 1 ? `${segs.slice(0, i + 1).join('/')}/` : p);
  }
  return [...out].sort();
}

const isWildcard = (glob: string) => /[*?{[]/.test(glob);

export interface Layout {
  /** The root the experiment files were found under ('' for the top level, else ending in '/'). */
  root: string;
  /** Workspace-relative path → path in the submission. */
  files: Map<string, string>;
  /** Submission paths that are not experiment files. */
  ignored: string[];
  problems: SubmissionProblem[];
}

function candidateRoots(paths: string[], exp: string): string[] {
  const tops = [...new Set(paths.filter((p) => p.includes('/')).map((p) => p.split('/')[0]!))]
    .filter((d) => !NOISE_DIRS.has(d) && !d.startsWith('.'))
    .sort();
  const roots = ['', `workspace/${exp}/`, `${exp}/`];
  for (const d of tops) roots.push(`${d}/workspace/${exp}/`, `${d}/${exp}/`, `${d}/`);
  return [...new Set(roots)];
}

/**
 * Finds the experiment files among `paths` (normalised file paths, directories left out).
 * Problems: no experiment file at all, two equally good roots, a required file missing.
 */
export function findLayout(paths: string[], exp: string, globs: string[]): Layout {
  const res = globs.map((g) => globToRegExp(g));
  const usable = paths.filter((p) => !isNoise(p));
  const scored = candidateRoots(usable, exp).map((root) => {
    const files = new Map<string, string>();
    for (const p of usable) {
      if (!p.startsWith(root)) continue;
      const rel = p.slice(root.length);
      if (res.some((re) => re.test(rel))) files.set(rel, p);
    }
    const satisfied = res.filter((re) => [...files.keys()].some((f) => re.test(f))).length;
    return { root, files, satisfied, named: root.endsWith(`${exp}/`) ? 1 : 0 };
  });
  const best = Math.max(0, ...scored.map((s) => s.satisfied));
  const where = `at the top level or under workspace/${exp}/`;
  const expected = globs.join(', ');

  if (best === 0) {
    const seen = usable.slice(0, 8).join(', ') + (usable.length > 8 ? ', …' : '');
    return {
      root: '',
      files: new Map(),
      ignored: collapseIgnored(paths),
      problems: [
        {
          message: `none of ${exp}'s files is in the submission (expected ${expected} ${where})`,
          hint: usable.length ? `The submission holds: ${seen}.` : 'The submission is empty.',
        },
      ],
    };
  }
  const top = scored.filter((s) => s.satisfied === best);
  const bestNamed = Math.max(...top.map((s) => s.named));
  const winners = top.filter((s) => s.named === bestNamed);
  const chosen = winners[0]!;
  const problems: SubmissionProblem[] = [];
  if (winners.length > 1) {
    problems.push({
      message: `${exp}'s files are in more than one place: ${winners.map((w) => w.root || '(top level)').join(' and ')}`,
      hint: `Keep one copy, ${where}.`,
    });
  }
  globs.forEach((g, i) => {
    if ([...chosen.files.keys()].some((f) => res[i]!.test(f))) return;
    problems.push({
      file: isWildcard(g) ? undefined : g,
      message: isWildcard(g) ? `no file matches ${g}` : 'is missing',
      hint: `Expected ${chosen.root ? `under ${chosen.root}` : where}: ${expected}.`,
    });
  });
  const taken = new Set(chosen.files.values());
  return { root: chosen.root, files: chosen.files, ignored: collapseIgnored(paths.filter((p) => !taken.has(p))), problems };
}
