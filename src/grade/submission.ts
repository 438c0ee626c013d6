// Intake of one student's submission: a folder, a .zip, a .tar.gz/.tgz/.tar, or a local git repository
// (its committed HEAD tree). Every submission is untrusted, so intake is a sequence of refusals before
// anything is used:
//   1. the path itself: present, not a symlink, a supported kind, not larger than maxSourceBytes;
//   2. every entry, by name and kind only (nothing read yet): no absolute path or `..`, no symlink,
//      hard link, device, FIFO, socket, submodule or encrypted entry, no duplicate, at most maxEntries;
//   3. the layout: which root holds the lab's workspace files (layout.ts); missing files;
//   4. sizes: at most maxFiles experiment files, each at most maxFileBytes, together maxTotalBytes;
//   5. content of the experiment files only (other entries are never decompressed): text, UTF-8, and
//      no directive that runs code unless the experiment allows it (code-exec.ts).
// Intake reads into memory and never writes to disk; staging.ts writes the accepted files to a fresh
// temporary folder when the grader needs them there. Whatever the student handed in, intake returns
// a Submission (problems instead of exceptions), so one broken archive cannot abort a class run.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { findCodeExecution, isAllowed, type AllowCode } from './code-exec.js';
import { SourceError, TooLargeError, type Entry, type EntrySource } from './entries.js';
import { normalizeEntryPath, printableName } from './entry-path.js';
import { collapseIgnored, findLayout } from './layout.js';
import { formatBytes, resolveLimits, type IntakeLimits } from './limits.js';
import { folderSource } from './source-folder.js';
import { findGitDir, gitSource } from './source-git.js';
import { tarSource } from './source-tar.js';
import { textProblem } from './text-check.js';
import { zipSource } from './source-zip.js';
import type { CodeFinding, LabWorkspace, SourceKind, Submission, SubmissionProblem, SubmissionSource } from './types.js';

export interface IntakeOptions {
  /** The student's name; default: the submission's base name (submissionName). */
  name?: string;
  limits?: Partial<IntakeLimits>;
  /** Code-running directives this experiment allows: `true`, or rule ids from code-exec.ts. */
  allowCode?: AllowCode;
  /** Where the git reader makes its scratch copy (default: the OS temp dir). */
  tmpDir?: string;
}

const ARCHIVE_SUFFIXES: [string, SourceKind][] = [
  ['.tar.gz', 'tar'],
  ['.tgz', 'tar'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
];

/** `subs/alice.tar.gz` → `alice`, `subs/bob/` → `bob`, `subs/carol.git` → `carol`. */
export function submissionName(p: string): string {
  const base = path.basename(path.resolve(p));
  const lower = base.toLowerCase();
  for (const suffix of [...ARCHIVE_SUFFIXES.map(([s]) => s), '.git']) {
    if (lower.endsWith(suffix) && base.length > suffix.length) return base.slice(0, -suffix.length);
  }
  return base;
}

/** What kind of submission a path is, from the file system (folders, git) or the file name (archives). */
export async function submissionKind(p: string): Promise<{ kind: SourceKind; gitDir?: string } | { problem: SubmissionProblem }> {
  const st = await fsp.lstat(p).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    return { problem: { message: st.code === 'ENOENT' ? `${p} does not exist` : `cannot read ${p}: ${st.message}`, hint: 'Check the submission path (or the roster).' } };
  }
  if (st.isSymbolicLink()) return { problem: { message: `${p} is a symbolic link; submissions are never followed through links`, hint: 'Pass the real file or folder.' } };
  if (st.isDirectory()) {
    const git = await findGitDir(p);
    if ('gitDir' in git) return { kind: 'git', gitDir: git.gitDir };
    if ('problem' in git) return { problem: { file: '.git', message: git.problem, hint: git.hint } };
    return { kind: 'folder' };
  }
  if (!st.isFile()) return { problem: { message: `${p} is not a regular file or folder`, hint: 'Hand in a folder, a .zip, a .tar.gz or a git repository.' } };
  const found = ARCHIVE_SUFFIXES.find(([s]) => p.toLowerCase().endsWith(s));
  if (!found) {
    return { problem: { message: `${path.basename(p)} is not a submission lab can read`, hint: 'Hand in a folder, a .zip, a .tar.gz/.tgz or a local git repository.' } };
  }
  return { kind: found[1] };
}

const KIND_WORDS: Record<Exclude<Entry['kind'], 'file' | 'dir'>, string> = {
  symlink: 'is a symbolic link',
  hardlink: 'is a hard link',
  device: 'is a device file',
  fifo: 'is a named pipe (FIFO)',
  socket: 'is a socket',
  submodule: 'is a git submodule',
  other: 'is not a regular file or folder',
};

/** Step 2: judges every entry by name and kind; returns the normalised file paths → raw names. */
function judgeEntries(entries: Entry[], truncated: boolean, limits: IntakeLimits): { files: Map<string, string>; problems: SubmissionProblem[] } {
  const problems: SubmissionProblem[] = [];
  const files = new Map<string, string>();
  if (truncated) {
    problems.push({ message: `the submission has more than ${limits.maxEntries} files and folders`, hint: 'Hand in only the experiment files (no node_modules, build output or other experiments).' });
  }
  for (const e of entries) {
    // `./` is the root folder itself, as `tar czf x.tgz .` writes it.
    if (e.kind === 'dir' && /^(?:\.\/)*\.?\/?$/.test(e.name) && e.name !== '' && e.name !== '/') continue;
    const n = normalizeEntryPath(e.name);
    if (!n.ok) {
      problems.push({ file: printableName(e.name) || '(empty name)', message: n.message, hint: 'Make the archive again from inside your workspace folder, with relative paths.' });
      continue;
    }
    if (e.kind === 'dir') continue;
    if (e.kind !== 'file') {
      const to = e.target ? ` (→ ${e.target})` : '';
      problems.push({ file: n.path, message: `${KIND_WORDS[e.kind]}${to}; submissions may only contain regular files and folders`, hint: 'Replace links with copies of the files, and remove special files.' });
      continue;
    }
    if (e.encrypted) {
      problems.push({ file: n.path, message: 'is encrypted', hint: 'Make the archive again without a password.' });
      continue;
    }
    if (files.has(n.path)) {
      problems.push({ file: n.path, message: 'appears twice in the archive', hint: 'Make the archive again from the folder, so each file is in it once.' });
      continue;
    }
    files.set(n.path, e.name);
  }
  return { files, problems };
}

async function openSource(kind: SourceKind, p: string, gitDir: string | undefined, limits: IntakeLimits, tmpDir?: string): Promise<EntrySource & { commit?: string }> {
  switch (kind) {
    case 'folder':
      return folderSource(p);
    case 'zip':
      return zipSource(p);
    case 'tar':
      return tarSource(p, limits.maxSourceBytes);
    case 'git':
      return gitSource(gitDir!, { maxRepoBytes: limits.maxSourceBytes, maxRepoFiles: Math.max(limits.maxEntries * 25, 10_000) }, tmpDir);
  }
}

/**
 * Reads one submission for `lab`. Never rejects for anything in the submission: problems are
 * returned, and the submission is gradable only when there are none (see gradable()).
 */
export async function readSubmission(p: string, lab: LabWorkspace, opts: IntakeOptions = {}): Promise<Submission> {
  const limits = resolveLimits(opts.limits);
  const abs = path.resolve(p);
  const sub: Submission = { name: opts.name ?? submissionName(abs), source: { kind: 'folder', path: abs }, files: new Map(), ignored: [], problems: [], findings: [] };
  const fail = (problem: SubmissionProblem) => {
    sub.problems.push(problem);
    return sub;
  };

  const kind = await submissionKind(abs);
  if ('problem' in kind) return fail(kind.problem);
  sub.source = { kind: kind.kind, path: abs } satisfies SubmissionSource;
  if (kind.kind === 'zip' || kind.kind === 'tar') {
    const { size } = await fsp.stat(abs);
    if (size > limits.maxSourceBytes) return fail({ message: `the archive is ${formatBytes(size)}, more than the ${formatBytes(limits.maxSourceBytes)} allowed`, hint: 'Hand in only the experiment files.' });
  }

  let source: (EntrySource & { commit?: string }) | undefined;
  try {
    source = await openSource(kind.kind, abs, kind.gitDir, limits, opts.tmpDir);
    if (source.commit) sub.source.commit = source.commit;
    const listed = await source.list(limits.maxEntries);
    const judged = judgeEntries(listed.entries, listed.truncated, limits);
    if (judged.problems.length) {
      sub.ignored = collapseIgnored([...judged.files.keys()]);
      sub.problems.push(...judged.problems);
      return sub;
    }

    const layout = findLayout([...judged.files.keys()], lab.id, lab.def.workspace);
    sub.ignored = layout.ignored;
    sub.problems.push(...layout.problems);
    if (layout.files.size > limits.maxFiles) {
      return fail({ message: `${layout.files.size} experiment files, more than the ${limits.maxFiles} allowed`, hint: `Hand in only the files of ${lab.id}.` });
    }

    const sizes = new Map(listed.entries.map((e) => [e.name, e.size]));
    const toRead: [string, string][] = [];
    let declared = 0;
    for (const [rel, subPath] of layout.files) {
      const raw = judged.files.get(subPath)!;
      const size = sizes.get(raw) ?? 0;
      declared += size;
      if (size > limits.maxFileBytes) sub.problems.push(tooLarge(rel, size, limits));
      else toRead.push([rel, raw]);
    }
    if (declared > limits.maxTotalBytes) return fail(tooLargeTotal(declared, limits));

    const contents = await source.read(toRead.map(([, raw]) => raw), limits.maxFileBytes);
    let total = 0;
    for (const [rel, raw] of toRead) {
      const buf = contents.get(raw)!;
      total += buf.length;
      sub.files.set(rel, buf);
    }
    if (total > limits.maxTotalBytes) return fail(tooLargeTotal(total, limits));

    for (const [rel, buf] of [...sub.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const bad = textProblem(rel, buf);
      if (bad) {
        sub.problems.push(bad);
        continue;
      }
      for (const f of findCodeExecution(rel, buf.toString('utf8'))) {
        sub.findings.push(f);
        if (!isAllowed(f, opts.allowCode)) sub.problems.push(codeProblem(f, lab.id));
      }
    }
    return sub;
  } catch (e) {
    if (e instanceof TooLargeError) return fail(tooLarge(printableName(e.entry), e.limit + 1, limits));
    if (e instanceof SourceError) return fail({ message: e.message, hint: e.hint });
    return fail({ message: `could not read the submission: ${(e as Error).message}` });
  } finally {
    await source?.close().catch(() => {});
  }
}

function tooLarge(file: string, size: number, limits: IntakeLimits): SubmissionProblem {
  return { file, message: `is ${size > limits.maxFileBytes + 1 ? formatBytes(size) : `over ${formatBytes(limits.maxFileBytes)}`}, more than the ${formatBytes(limits.maxFileBytes)} a config file may be`, hint: 'Hand in the config itself, not logs or generated files.' };
}

function tooLargeTotal(total: number, limits: IntakeLimits): SubmissionProblem {
  return { message: `the experiment files come to ${formatBytes(total)}, more than the ${formatBytes(limits.maxTotalBytes)} allowed`, hint: 'Hand in only the experiment files.' };
}

function codeProblem(f: CodeFinding, exp: string): SubmissionProblem {
  return {
    file: f.file,
    line: f.line,
    message: `\`${f.directive}\`: ${f.message}; ${exp} does not allow configs that run code, so this submission was not graded`,
    hint: `Remove the \`${f.directive}\` line; ${exp} can be solved without it.`,
  };
}

export type { Submission, SubmissionProblem, CodeFinding };
