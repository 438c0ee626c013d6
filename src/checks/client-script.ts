// Scripts the graders run in the client container: curl batches, held requests, RDP connection requests,
// TLS handshakes. They are most of a grader's execs (a new `docker exec` costs the engine about a tenth
// of a CPU-second), so they go down the client's kept shell (runtime/kept-shell.ts), once only: what they
// send is counted, so a shell lost while one ran is an error for the check to retry, not a second run.
import type { ExecResult, Runtime } from '../runtime/types.js';

/** Longer scripts go to a new exec's stdin: an argument has a size limit (128 KiB in Linux). */
const MAX_ARG_BYTES = 64 * 1024;

export function runClientScript(runtime: Runtime, container: string, script: string, timeoutMs: number): Promise<ExecResult> {
  return Buffer.byteLength(script) <= MAX_ARG_BYTES
    ? runtime.exec(container, ['sh', '-c', script], { timeoutMs, kept: 'once' })
    : runtime.exec(container, ['sh', '-s'], { stdin: script, timeoutMs });
}
