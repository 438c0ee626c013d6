import { isLabError } from '../util/errors.js';
import { styleFor } from '../util/style.js';

/** The single place that turns an error into stderr text and an exit code. No stack traces for LabErrors without LAB_DEBUG / --debug. */
export function handleError(e: unknown, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): number {
  const s = styleFor(!!stream.isTTY, env);
  const debug = !!env.LAB_DEBUG;
  if (isLabError(e)) {
    stream.write(`${s.red('error:')} ${e.message}\n`);
    if (e.hint) stream.write(s.dim(`hint: ${e.hint}\n`));
    if (debug && e.cause) stream.write(`${String((e.cause as Error).stack ?? e.cause)}\n`);
    return e.exitCode;
  }
  const err = e as { code?: string; message?: string; stack?: string };
  if (err?.code?.startsWith?.('commander.')) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  if (err?.message?.includes('User force closed the prompt') || (e as Error)?.name === 'ExitPromptError') {
    stream.write('interrupted\n');
    return 130;
  }
  stream.write(`${s.red('internal error:')} ${err?.message ?? String(e)}\n`);
  stream.write(s.dim('hint: this is a bug in lab; rerun with --debug (or LAB_DEBUG=1) for the stack trace and report it.\n'));
  if (debug) stream.write(`${err?.stack ?? ''}\n`);
  return 70;
}
