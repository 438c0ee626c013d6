// Typed errors: every failure a user can cause or meet carries a one-line message and a hint.
// The CLI's single handler (src/cli/handle-error.ts) maps them to exit codes and prints the hint.

export interface LabErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: number;
}

/** Base class of every error the CLI reports without a stack trace. */
export class LabError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, opts: LabErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A bad flag, argument or unknown name: exit 2, like most CLIs. */
export class UsageError extends LabError {
  constructor(message: string, opts: LabErrorOptions = {}) {
    super(message, { exitCode: 2, ...opts });
  }
}

/** A broken file the user wrote or owns: names the file and line. */
export class FileError extends LabError {
  readonly file: string;
  readonly line?: number;
  constructor(file: string, line: number | undefined, message: string, opts: LabErrorOptions = {}) {
    super(`${file}${line ? `:${line}` : ''}: ${message}`, opts);
    this.file = file;
    this.line = line;
  }
}

/** The Docker engine is missing, stopped or refused a request. */
export class EngineError extends LabError {}

/** The engine took a request and never answered it (a container whose runtime stopped answering). */
export class EngineStuckError extends EngineError {}

/** A node did not become ready in time. */
export class NotReadyError extends LabError {}

/** A subnet we were asked to use is held by another network. */
export class SubnetConflictError extends LabError {}

/** Grading or validation found faults; the output already said which. */
export class ChecksFailedError extends LabError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
  }
}

/** The user pressed Ctrl-C: exit 130, saying what state things were left in. */
export class InterruptedError extends LabError {
  constructor(message: string, opts: LabErrorOptions = {}) {
    super(message, { exitCode: 130, ...opts });
  }
}

export function isLabError(e: unknown): e is LabError {
  return e instanceof LabError;
}
