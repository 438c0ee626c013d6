// How domain code reports long work, without knowing who watches: a tree of titled tasks. The CLI
// renders it with listr2 (src/cli/progress.ts, the only module that imports listr2); tests, benchmarks
// and class grading use the silent runner below, which runs exactly the same tasks.

/** One unit of work with a title. */
export interface Task {
  title: string;
  /** A reason to skip (shown as the title), or false. Evaluated when the task is reached. */
  skip?: () => string | false;
  run(ctl: TaskControl): Promise<void> | void;
}

/** What a running task may do: retitle itself, show a line of output, run subtasks. */
export interface TaskControl {
  title(text: string): void;
  output(line: string): void;
  subtasks(tasks: Task[], opts?: RunOptions): Promise<void>;
}

export interface RunOptions {
  /** true: all at once; a number: at most that many at once; default one after another. */
  concurrent?: boolean | number;
}

export interface Progress {
  run(tasks: Task[], opts?: RunOptions): Promise<void>;
}

/** Runs `fn` over `items` with at most `limit` running at once; rejects with the first failure after all settle. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length) throw errors[0];
}

function limitOf(opts: RunOptions | undefined, n: number): number {
  const c = opts?.concurrent;
  return c === true ? n : typeof c === 'number' && c > 0 ? c : 1;
}

/** Runs the tasks and reports nothing; `onLine` receives titles and output lines (for logs and tests). */
export function silentProgress(onLine?: (line: string) => void): Progress {
  const runAll = async (tasks: Task[], opts?: RunOptions): Promise<void> => {
    // Sequential runs stop at the first failure, as listr2 does with exitOnError.
    if (limitOf(opts, tasks.length) === 1) {
      for (const t of tasks) await runOne(t);
      return;
    }
    await pool(tasks, limitOf(opts, tasks.length), runOne);
  };
  const runOne = async (t: Task): Promise<void> => {
    const why = t.skip?.();
    if (why) {
      onLine?.(`skip ${t.title}: ${why}`);
      return;
    }
    onLine?.(t.title);
    await t.run({
      title: (s) => onLine?.(s),
      output: (s) => onLine?.(`  ${s}`),
      subtasks: runAll,
    });
  };
  return { run: runAll };
}
