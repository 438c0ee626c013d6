// What intake hands the grading orchestrator: one student's experiment files, read from an untrusted
// submission, plus everything that stopped them from being graded. A submission with problems still
// gets a gradebook row (score 0, the problems as its message); intake never throws for what a
// student handed in, so one broken archive cannot abort a class run.
import type { Lab } from '../labs/load.js';

/** Something wrong with a submission, said so a teacher can act on it (and a student can fix it). */
export interface SubmissionProblem {
  /** Workspace-relative path, or the entry name as it appears in the archive/folder/tree. */
  file?: string;
  line?: number;
  message: string;
  hint?: string;
}

/** `file:line: message`, or the message alone when it names no file. */
export function formatProblem(p: SubmissionProblem): string {
  return p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}` : p.message;
}

/** A config line that would make a service run code (see code-exec.ts). */
export interface CodeFinding {
  file: string;
  line: number;
  /** The directive as written after unquoting, e.g. `lua-load`, `notify_master`, `js_import`. */
  directive: string;
  /** Rule id an experiment can allow, e.g. `haproxy:lua`. */
  rule: string;
  message: string;
}

export type SourceKind = 'folder' | 'zip' | 'tar' | 'git';

export interface SubmissionSource {
  kind: SourceKind;
  /** The path the teacher gave (absolute). */
  path: string;
  /** git: the commit whose tree was read. */
  commit?: string;
}

export interface Submission {
  name: string;
  source: SubmissionSource;
  /** Workspace-relative path (e.g. `haproxy/haproxy.cfg`) → content. Complete only when `problems` is empty. */
  files: Map<string, Buffer>;
  /** Paths in the submission that are not experiment files (noise folders like .git/ collapsed to one line). */
  ignored: string[];
  problems: SubmissionProblem[];
  /** Every code-running directive found, allowed or not; the refused ones are also in `problems`. */
  findings: CodeFinding[];
}

/** The part of a lab intake needs: its id and the `workspace:` globs of lab.yaml. */
export interface LabWorkspace {
  id: string;
  def: { workspace: string[] };
}

export type { Lab };

/** True when the submission can be graded: nothing refused, nothing missing. */
export function gradable(s: Pick<Submission, 'problems'>): boolean {
  return s.problems.length === 0;
}
