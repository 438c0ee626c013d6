// Results go to stdout, progress and chatter to stderr (as docker compose does), so `--json` stays parseable.
import type { Io } from './deps.js';

/** One JSON document on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A line of results on stdout. */
export function say(io: Io, line = ''): void {
  io.out(`${line}\n`);
}

/** A line of chatter on stderr. */
export function note(io: Io, line: string): void {
  io.err(`${line}\n`);
}

/** Formats rows as aligned columns. */
export function table(rows: string[][]): string {
  // eslint-disable-next-line no-control-regex
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? '')))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c)))).join('  ').trimEnd()).join('\n');
}
