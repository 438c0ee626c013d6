// Ctrl-C during long work: the domain gets an AbortSignal, stops at once, releases what it holds (the
// lab's lock) and says what state it left things in (an InterruptedError, exit 130). A second Ctrl-C
// exits at once.
import type { Deps } from './deps.js';

export async function interruptible<T>(deps: Deps, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let count = 0;
  const onSigint = () => {
    count++;
    if (count > 1) process.exit(130);
    deps.io.err(`\n${what}: interrupted, stopping…\n`);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
