// A shell kept open in a container, for short commands asked many times: the graders read HAProxy's
// `show stat` several times a second while they wait for a server to change, and send their requests
// from the client in scripts (checks/client-script.ts). A fresh `docker exec` costs the engine about a
// tenth of a CPU-second (runc, the shim, three API calls); a command sent down a kept shell costs a few
// forks inside the container. Measured on exp8's e2e file: 594 stat reads, a third of the machine's CPU
// while it ran. Whether a command lost with its shell may run again is the caller's word (ExecOptions.kept).
//
// The protocol, on the exec's stdin and stdout: lab sends the script's length in bytes on a line, then
// the script; the shell runs it with stdin from /dev/null (so it cannot eat the next request), its output
// in files on /dev/shm (a tmpfs: nothing lands in the container's layer, where `lab` looks for a
// student's changes), and answers `@@kept <exit> <stdout bytes> <stderr bytes>` and the bytes.
import type { Duplex } from 'node:stream';

export interface KeptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The shell that runs in the container. `head -c` reads exactly its count, so requests stay framed. */
export const KEPT_SHELL_SCRIPT = [
  'd=/dev/shm/lab-kept-$$',
  'trap \'rm -f "$d.o" "$d.e"\' EXIT',
  ': > "$d.o" && : > "$d.e" || exit 1',
  'echo @@kept-ready',
  'while IFS= read -r n; do',
  '  s=$(head -c "$n")',
  '  ( eval "$s" ) </dev/null >"$d.o" 2>"$d.e"; rc=$?',
  '  printf \'@@kept %s %s %s\\n\' "$rc" "$(wc -c <"$d.o")" "$(wc -c <"$d.e")"',
  '  cat "$d.o" "$d.e"',
  'done',
].join('\n');

/** Quotes an argv for the shell, so any command can be sent as a script. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

type Waiter = { resolve: (r: KeptResult) => void; reject: (e: Error) => void };

export class KeptShell {
  private buf = Buffer.alloc(0);
  private ready = false;
  private readyWaiters: Waiter[] = [];
  private waiter: Waiter | undefined;
  /** The shell has ended (container stopped, stream cut, timed out): it is never used again. */
  dead = false;

  /**
   * `stdout` carries the shell's demultiplexed output; `socket` is the exec's connection (written to, and
   * unref'd while idle so a CLI that is done can exit).
   */
  constructor(private readonly socket: Duplex & { ref?: () => void; unref?: () => void }, stdout: NodeJS.ReadableStream) {
    stdout.on('data', (b: Buffer) => this.onData(b));
    const end = () => this.kill(new Error('the kept shell ended'));
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
    this.socket.unref?.();
  }

  get busy(): boolean {
    return this.waiter !== undefined || !this.ready;
  }

  /** Resolves once the shell said it is ready; rejects if it ended first or took longer than `ms`. */
  whenReady(ms: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.dead) return Promise.reject(new Error('the kept shell ended'));
    // Neither the connection nor the timer keeps a process alive that is otherwise done.
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.kill(new Error(`the kept shell did not start within ${ms} ms`)), ms);
      timer.unref();
      this.readyWaiters.push({
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  /**
   * Runs a script. Rejects with `timedOut` when it did not answer within `timeoutMs` (the shell is then
   * dropped), or when the shell ended meanwhile.
   */
  run(script: string, timeoutMs: number): Promise<KeptResult> {
    if (this.dead || this.busy) return Promise.reject(new Error('the kept shell is not free'));
    const body = Buffer.from(script);
    this.socket.ref?.();
    return new Promise<KeptResult>((resolve, reject) => {
      const timer = setTimeout(() => this.kill(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { timedOut: true })), timeoutMs);
      this.waiter = {
        resolve: (r) => { clearTimeout(timer); this.socket.unref?.(); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.socket.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));
    });
  }

  close(): void {
    this.kill(new Error('the kept shell was closed'));
  }

  private kill(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    for (const w of this.readyWaiters.splice(0)) w.reject(e);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  private onData(b: Buffer): void {
    this.buf = Buffer.concat([this.buf, b]);
    if (!this.ready) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString();
      this.buf = this.buf.subarray(nl + 1);
      if (line !== '@@kept-ready') return this.kill(new Error(`the kept shell said "${line.slice(0, 80)}"`));
      this.ready = true;
      for (const w of this.readyWaiters.splice(0)) w.resolve({ exitCode: 0, stdout: '', stderr: '' });
    }
    this.parse();
  }

  private parse(): void {
    const nl = this.buf.indexOf('\n');
    if (nl < 0 || !this.waiter) return;
    const m = /^@@kept (\d+) (\d+) (\d+)$/.exec(this.buf.subarray(0, nl).toString());
    if (!m) return this.kill(new Error('the kept shell answered out of step'));
    const [no, ne] = [Number(m[2]), Number(m[3])];
    if (this.buf.length < nl + 1 + no + ne) return;
    const out = this.buf.subarray(nl + 1, nl + 1 + no).toString();
    const err = this.buf.subarray(nl + 1 + no, nl + 1 + no + ne).toString();
    this.buf = this.buf.subarray(nl + 1 + no + ne);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve({ exitCode: Number(m[1]), stdout: out, stderr: err });
  }
}
