import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';

/**
 * Runs tasks with listr2: the default renderer on a TTY, the simple one otherwise (CI logs, pipes),
 * and no colour under NO_COLOR (listr2's colours honour it). Progress goes to stderr so stdout stays for results.
 */
export async function runTasks<Ctx>(tasks: ListrTask<Ctx>[], ctx: Ctx, opts: { concurrent?: boolean | number } = {}): Promise<Ctx> {
  const tty = !!process.stderr.isTTY && !process.env.CI;
  // LAB_PROGRESS=silent: no progress at all (tests, scripts that only want the result).
  if (process.env.LAB_PROGRESS === 'silent') {
    return new Listr<Ctx, 'silent'>(tasks, { ctx, concurrent: opts.concurrent ?? false, exitOnError: true, renderer: 'silent' }).run();
  }
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr<Ctx, 'default', 'simple'>(tasks, {
    ctx,
    concurrent: opts.concurrent ?? false,
    exitOnError: true,
    renderer: 'default',
    fallbackRenderer: 'simple',
    // listr2 switches to the fallback renderer when this returns true.
    fallbackRendererCondition: () => !tty,
    rendererOptions: { collapseSubtasks: false, showErrorMessage: false, logger: logger as never },
    fallbackRendererOptions: { logger: logger as never },
  });
  return list.run();
}
