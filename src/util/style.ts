// Text styling that callers inject, so the checks' reporters and the guide stay testable without a TTY.
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** No styling: for files, pipes, NO_COLOR and tests. */
export const plainStyle: Style = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };
