// The one module that imports listr2: renders the domain's task trees (src/progress/progress.ts).
// The default renderer on a TTY, the simple one otherwise (CI logs, pipes), no colour under NO_COLOR
// (listr2's colours honour it). Progress goes to stderr so stdout stays for results.
import { Listr, ListrLogger, ProcessOutput, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { Progress, RunOptions, Task } from '../progress/progress.js';

type Wrapper = ListrTaskWrapper<unknown, never, never>;

function toListr(t: Task): ListrTask<unknown> {
  return {
    title: t.title,
    skip: t.skip ? () => t.skip!() || false : undefined,
    task: async (_ctx, task) => {
      const w = task as unknown as Wrapper;
      await t.run({
        title: (s) => (w.title = s),
        output: (s) => (w.output = s),
        subtasks: async (sub, opts) => {
          await w.newListr(sub.map(toListr) as never, { concurrent: concurrency(opts), exitOnError: true }).run();
        },
      });
    },
  };
}

function concurrency(opts: RunOptions | undefined): boolean | number {
  return opts?.concurrent ?? false;
}

export function listrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = !!stream.isTTY && !process.env.CI;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
  return {
    async run(tasks, opts) {
      const list = new Listr<unknown, 'default', 'simple'>(tasks.map(toListr), {
        concurrent: concurrency(opts),
        exitOnError: true,
        // listr2's own SIGINT handler exits with 127 at once; Ctrl-C is ours (cli/interrupt.ts): the
        // domain aborts, releases the lock and says what state it left (exit 130).
        registerSignalListeners: false,
        renderer: 'default',
        fallbackRenderer: 'simple',
        // listr2 switches to the fallback renderer when this returns true.
        fallbackRendererCondition: () => !tty,
        rendererOptions: { collapseSubtasks: false, showErrorMessage: false, logger: logger as never },
        fallbackRendererOptions: { logger: logger as never },
      });
      await list.run();
    },
  };
}
