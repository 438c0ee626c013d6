import { isLabError } from '../util/errors.js';

/** The single place that turns an error into stderr text and an exit code. No stack traces for LabErrors. */
export function handleError(e: unknown): number {
  const color = process.stderr.isTTY && !process.env.NO_COLOR;
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  if (isLabError(e)) {
    process.stderr.write(`${red('error:')} ${e.message}\n`);
    if (e.hint) process.stderr.write(dim(`hint: ${e.hint}\n`));
    if (process.env.LAB_DEBUG && e.cause) process.stderr.write(`${String((e.cause as Error).stack ?? e.cause)}\n`);
    return e.exitCode;
  }
  const err = e as { code?: string; message?: string; stack?: string };
  if (err?.code?.startsWith?.('commander.')) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  if (err?.message?.includes('User force closed the prompt') || (e as Error)?.name === 'ExitPromptError') {
    process.stderr.write('interrupted\n');
    return 130;
  }
  process.stderr.write(`${red('internal error:')} ${err?.message ?? String(e)}\n`);
  process.stderr.write(dim('hint: this is a bug in lab; rerun with LAB_DEBUG=1 for the stack trace and report it.\n'));
  if (process.env.LAB_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 70;
}
