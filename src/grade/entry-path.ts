// Entry names from archives, folders and git trees are untrusted strings. This turns one into a
// clean relative POSIX path or says why it is refused. Nothing is ever written under a name that did
// not pass here, and the check does not rely on any library's own sanitising (yauzl, node-tar and
// git each have different rules; we apply one set to all of them).

/** On refusal, `message` says what is wrong with the name (the caller shows the name beside it). */
export type EntryPathResult = { ok: true; path: string } | { ok: false; message: string };

/** An entry name fit to print: control characters escaped as in JSON. */
export function printableName(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** A Windows drive (`C:`), a UNC/device prefix (`//server`, `\\?\`) or a leading `/`. */
const ABSOLUTE = /^(?:[a-zA-Z]:|\/)/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Normalises an entry name: backslashes become slashes (zips made on Windows), `.` and empty segments
 * go (tar's `./haproxy/…`), a trailing slash marks a directory. Refuses absolute paths, any `..`
 * segment (even one that would stay inside, like `a/../b`: no honest archive has one) and control
 * characters (they would garble the teacher's terminal and reports).
 */
export function normalizeEntryPath(raw: string): EntryPathResult {
  if (raw.length === 0) return { ok: false, message: 'has an empty name' };
  if (CONTROL.test(raw)) return { ok: false, message: 'has control characters in its name' };
  const name = raw.replace(/\\/g, '/');
  if (ABSOLUTE.test(name)) return { ok: false, message: 'is an absolute path; entries must be relative to the submission' };
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, message: 'is a path traversal: ".." leads outside the submission' };
  if (segments.length === 0) return { ok: false, message: 'names no file' };
  return { ok: true, path: segments.join('/') };
}
