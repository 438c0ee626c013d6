// Who is in the class run and where each submission is: either a roster CSV (`--roster`, columns name
// and submission path, as exported from a spreadsheet or an LMS) or the submission paths themselves
// (names from their base names). Two submissions under one name would overwrite each other's
// results, so a duplicate name is an error before anything is graded.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileError, UsageError } from '../util/errors.js';
import { CsvSyntaxError, parseCsv } from './csv.js';
import { submissionName } from './submission.js';

export interface RosterEntry {
  name: string;
  /** Absolute path of the submission. */
  path: string;
  /** Roster line (CSV rosters only). */
  line?: number;
}

const NAME_HEADERS = new Set(['name', 'student', 'student name', '姓名', '学生', '名字']);
const PATH_HEADERS = new Set(['submission', 'submission path', 'path', 'file', 'folder', '提交', '提交路径', '路径', '文件']);

/** The header row, when the first row is one: the column of each field. */
function headerColumns(cells: string[]): { name: number; path: number } | undefined {
  const norm = cells.map((c) => c.trim().toLowerCase().replace(/[_-]+/g, ' '));
  const name = norm.findIndex((c) => NAME_HEADERS.has(c));
  const p = norm.findIndex((c) => PATH_HEADERS.has(c));
  return name >= 0 && p >= 0 ? { name, path: p } : undefined;
}

/**
 * Parses a roster. With a header row (name and submission/path, any order, more columns allowed) the
 * columns are found by name; without one, the first column is the name and the second the path.
 * Relative paths are relative to the roster's folder.
 */
export function parseRoster(file: string, text: string): RosterEntry[] {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new FileError(file, e.line, e.message, { hint: 'Save the roster as CSV from your spreadsheet (columns name, submission).' });
    throw e;
  }
  const header = rows[0] ? headerColumns(rows[0].cells) : undefined;
  const cols = header ?? { name: 0, path: 1 };
  const base = path.dirname(path.resolve(file));
  const seen = new Map<string, number>();
  const out: RosterEntry[] = [];
  for (const row of header ? rows.slice(1) : rows) {
    const name = (row.cells[cols.name] ?? '').trim();
    const sub = (row.cells[cols.path] ?? '').trim();
    if (!name || !sub) {
      throw new FileError(file, row.line, `a row needs a name and a submission path, got ${JSON.stringify(row.cells)}`, { hint: 'Each row: name,submission (quote fields that contain commas).' });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new FileError(file, row.line, `the name ${JSON.stringify(name)} is already on line ${first}`, { hint: 'Names must be unique: their results are stored under the name. Add a student number, e.g. "Li Wei (2)".' });
    }
    seen.set(name, row.line);
    out.push({ name, path: path.resolve(base, sub), line: row.line });
  }
  if (!out.length) throw new FileError(file, undefined, 'the roster lists no student', { hint: 'Add one row per student: name,submission.' });
  return out;
}

export function readRoster(file: string): RosterEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileError(file, undefined, `cannot read the roster: ${(e as Error).message}`, { hint: 'Check the --roster path.' });
  }
  return parseRoster(file, text);
}

/** Submissions given as paths: each named by its base name; two with the same name are an error. */
export function rosterFromPaths(paths: string[]): RosterEntry[] {
  const seen = new Map<string, string>();
  return paths.map((p) => {
    const abs = path.resolve(p);
    const name = submissionName(abs);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new UsageError(`two submissions are both named "${name}": ${other} and ${abs}`, { hint: 'Rename one, or give names with --roster roster.csv (columns name, submission).' });
    }
    seen.set(name, abs);
    return { name, path: abs };
  });
}
