// A unified diff (diff -u style) of two texts, for "show me the solution diff" on a step's files: jsdiff
// computes the hunks; the `---`/`+++` lines are written here so file names are printed as given (jsdiff
// would quote names with spaces, as Git does).
import { formatPatch, OMIT_HEADERS, structuredPatch } from 'diff';

/** A missing newline at the end is no difference to the student (no "\ No newline at end of file"). */
const ended = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** `--- aName` / `+++ bName` and @@ hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(aText: string, bText: string, aName: string, bName: string, context = 3): string {
  const patch = structuredPatch(aName, bName, ended(aText), ended(bText), undefined, undefined, { context });
  if (!patch.hunks.length) return '';
  return `--- ${aName}\n+++ ${bName}\n${formatPatch(patch, OMIT_HEADERS)}`;
}
