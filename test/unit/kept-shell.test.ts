// The kept shell's protocol, against the same script run by this machine's sh (the containers run
// Debian's dash and coreutils, as this machine does). What must hold: answers framed by their byte counts
// (no trailing newline, binary-ish bytes, stderr apart), a command that reads stdin cannot eat the next
// request, a timeout drops the shell, and an ended shell is an error, not an empty answer.
import { execSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { KEPT_SHELL_SCRIPT, KeptShell, shellQuote } from '../../src/runtime/kept-shell.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function open(): Promise<{ shell: KeptShell; child: ChildProcessWithoutNullStreams }> {
  const child = spawn('sh', ['-c', KEPT_SHELL_SCRIPT]);
  children.push(child);
  // The exec's connection: writes go to the shell's stdin; it closes when the shell exits.
  const socket = new Duplex({
    write(chunk, _enc, cb) {
      child.stdin.write(chunk, cb);
    },
    read() {},
    destroy(_e, cb) {
      child.stdin.destroy();
      cb(null);
    },
  });
  child.on('exit', () => socket.destroy());
  const shell = new KeptShell(socket, child.stdout);
  await shell.whenReady(5000);
  return { shell, child };
}

describe('kept shell', () => {
  it('answers each command with its own exit code, stdout and stderr, byte for byte', async () => {
    const { shell } = await open();
    const a = await shell.run(shellQuote(['printf', 'no newline at the end']), 5000);
    expect(a).toEqual({ exitCode: 0, stdout: 'no newline at the end', stderr: '' });
    const b = await shell.run(shellQuote(['sh', '-c', 'printf "x\\n\\n"; echo oops >&2; exit 3']), 5000);
    expect(b).toEqual({ exitCode: 3, stdout: 'x\n\n', stderr: 'oops\n' });
    // Multi-byte text and a line that looks like the protocol's own header.
    const c = await shell.run(`printf '%s\\n' '@@kept 0 1 1' '负载均衡'`, 5000);
    expect(c.stdout).toBe('@@kept 0 1 1\n负载均衡\n');
    // Arguments with quotes and spaces arrive as one argument each.
    const d = await shell.run(shellQuote(['sh', '-c', 'printf "[%s]" "$@"', 'sh', "it's", 'a b']), 5000);
    expect(d.stdout).toBe("[it's][a b]");
  });

  it('a command that reads its input gets none, and the next request is still whole', async () => {
    const { shell } = await open();
    const r = await shell.run('cat; echo read-done', 5000);
    expect(r.stdout).toBe('read-done\n');
    expect((await shell.run('echo next', 5000)).stdout).toBe('next\n');
  });

  it('runs one command at a time: a second caller is refused, not queued', async () => {
    const { shell } = await open();
    const slow = shell.run('sleep 0.3; echo slow', 5000);
    expect(shell.busy).toBe(true);
    await expect(shell.run('echo fast', 5000)).rejects.toThrow(/not free/);
    expect((await slow).stdout).toBe('slow\n');
    expect(shell.busy).toBe(false);
  });

  it('a command past its time drops the shell, with timedOut', async () => {
    const { shell } = await open();
    const e = await shell.run('sleep 5', 300).catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e.timedOut).toBe(true);
    expect(shell.dead).toBe(true);
    await expect(shell.run('echo again', 1000)).rejects.toThrow(/not free/);
  });

  it('a shell that ends while a command runs is an error, not an empty answer', async () => {
    const { shell, child } = await open();
    const pending = shell.run('sleep 5; echo late', 10_000);
    child.kill('SIGKILL');
    const e = await pending.catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e.timedOut).toBeUndefined();
    expect(shell.dead).toBe(true);
  });

  it('leaves no file behind when it ends', async () => {
    const { shell, child } = await open();
    await shell.run('echo hi', 5000);
    const files = () => spawnSync(`ls /dev/shm | grep -c "^lab-kept-${child.pid}\\." || true`);
    expect(files()).toBe('2');
    shell.close();
    await new Promise((r) => child.once('exit', r));
    expect(files()).toBe('0');
  });
});

function spawnSync(cmd: string): string {
  return execSync(cmd, { encoding: 'utf8' }).trim();
}
