import { isLabError } from '../util/errors.js';
import { styleFor } from '../util/style.js';
import { printable } from '../util/text.js';

const FS_ERRORS: Record<string, [string, string]> = {
  ENOTDIR: ['a file stands where a folder should be', 'Move that file away, or choose another folder (--workspace, --certs, --out).'],
  EROFS: ['read-only file system', 'Choose a folder on a writable file system.'],
  EACCES: ['permission denied', "Check the path's permissions and owner, or choose another folder."],
  EPERM: ['operation not permitted', "Check the path's permissions and attributes (lsattr), or choose another folder."],
  ENOSPC: ['no space left on the device', 'Free some space (df -h), then run the command again.'],
  EISDIR: ['a folder stands where a file should be', 'Move that folder away, or name a file.'],
  EEXIST: ['already exists', 'Move it away, or choose another name.'],
};

/** The single place that turns an error into stderr text and an exit code. No stack traces for LabErrors without LAB_DEBUG / --debug. */
export function handleError(e: unknown, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): number {
  const s = styleFor(!!stream.isTTY, env);
  const debug = !!env.LAB_DEBUG;
  if (isLabError(e)) {
    stream.write(`${s.red('error:')} ${printable(e.message)}\n`);
    if (e.hint) stream.write(s.dim(`hint: ${printable(e.hint)}\n`));
    if (debug) stream.write(`${String((e.cause as Error | undefined)?.stack ?? e.cause ?? e.stack)}\n`);
    return e.exitCode;
  }
  const err = e as { code?: string; message?: string; stack?: string };
  if (err?.code?.startsWith?.('commander.')) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  if (err?.message?.includes('User force closed the prompt') || (e as Error)?.name === 'ExitPromptError') {
    stream.write('interrupted\n');
    return 130;
  }
  // A file system refusal (a file where a folder should be, a read-only or full disk) is the
  // machine's, not a bug: one line naming the path.
  const fsErr = e as NodeJS.ErrnoException;
  if (fsErr?.path && fsErr.syscall && fsErr.code && FS_ERRORS[fsErr.code]) {
    const [what, hint] = FS_ERRORS[fsErr.code]!;
    stream.write(`${s.red('error:')} ${fsErr.path}: ${what} (${fsErr.code} on ${fsErr.syscall})\n`);
    stream.write(s.dim(`hint: ${hint}\n`));
    if (debug) stream.write(`${fsErr.stack ?? ''}\n`);
    return 1;
  }
  stream.write(`${s.red('internal error:')} ${err?.message ?? String(e)}\n`);
  stream.write(s.dim('hint: this is a bug in lab; rerun with --debug (or LAB_DEBUG=1) for the stack trace and report it.\n'));
  if (debug) stream.write(`${err?.stack ?? ''}\n`);
  return 70;
}
