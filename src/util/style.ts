// Text styling that callers inject, so reporters, the guide and every command stay testable without a
// TTY. The one place that knows ANSI colour codes.
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** No styling: for files, pipes, NO_COLOR and tests. */
export const plainStyle: Style = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

const ansi = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

export const ansiStyle: Style = { green: ansi(32), red: ansi(31), yellow: ansi(33), dim: ansi(2), bold: ansi(1) };

/** Colour on a terminal unless NO_COLOR is set (https://no-color.org). */
export function styleFor(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): Style {
  return isTTY && !env.NO_COLOR ? ansiStyle : plainStyle;
}
