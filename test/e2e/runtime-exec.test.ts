// A command run in a container with input, through a proxy in front of the engine: socat with its
// defaults closes the whole connection half a second after one side closes its half. Class grading over
// `--engine tcp://` met exactly that (a probe's output lost, every check of a correct submission failed),
// so the runtime marks the input's end by its length and never half-closes. A connection cut while the
// command still runs is an error, not an empty answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, execaSync, type ResultPromise } from 'execa';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { dockerOptions, parseEndpoint } from '../../src/grade/engine-endpoint.js';
import { EngineError } from '../../src/util/errors.js';
import { sleep } from '../../src/util/sleep.js';
import { scratchContainer } from '../helpers/lab.js';
import { freePort, listening } from '../helpers/ports.js';

const local = new DockerRuntime();
let name: string;
let socat: ResultPromise | undefined;
let viaProxy: DockerRuntime;

beforeAll(async () => {
  name = await scratchContainer(local, 'rx');
  const port = await freePort();
  // socat's defaults, as a teacher would type them.
  socat = execa('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'UNIX-CONNECT:/var/run/docker.sock'], { reject: false });
  if (!(await listening(port))) throw new Error(`socat did not listen on 127.0.0.1:${port}`);
  viaProxy = new DockerRuntime(dockerOptions(parseEndpoint(`tcp://127.0.0.1:${port}`)) as never);
});
afterAll(async () => {
  const pid = socat?.pid;
  if (pid) execaSync('pkill', ['-KILL', '-P', String(pid)], { reject: false });
  socat?.kill('SIGKILL');
  await local.removeContainer(name);
});

describe('a command with input', () => {
  it('keeps its whole output and exit code through a proxy that closes on half-close', async () => {
    const r = await viaProxy.exec(name, ['sh', '-s'], { stdin: 'sleep 1.5\necho done-after-1.5s\necho oops >&2\nexit 3\n', timeoutMs: 10_000 });
    expect(r).toEqual({ exitCode: 3, stdout: 'done-after-1.5s\n', stderr: 'oops\n' });
  });

  it('reads its input to the byte, and sees its end, with or without the proxy', async () => {
    // Multi-byte characters: the length is counted in bytes.
    const input = `${'统计页面 stats '.repeat(12_000)}\nno newline at the end`;
    for (const rt of [local, viaProxy]) {
      const r = await rt.exec(name, ['sh', '-c', 'cat > /tmp/in && wc -c < /tmp/in && sha256sum < /tmp/in'], { stdin: input, timeoutMs: 10_000 });
      expect(r.exitCode).toBe(0);
      const [bytes, sum] = r.stdout.trim().split('\n');
      expect(Number(bytes)).toBe(Buffer.byteLength(input));
      expect(sum!.split(' ')[0]).toBe((await import('node:crypto')).createHash('sha256').update(input).digest('hex'));
    }
    // Empty input: the command sees EOF at once.
    expect((await viaProxy.exec(name, ['wc', '-c'], { stdin: '', timeoutMs: 5000 })).stdout.trim()).toBe('0');
  });

  it('is an engine error, not an empty answer, when the connection is cut while it runs', async () => {
    const running = viaProxy.exec(name, ['sh', '-s'], { stdin: 'sleep 4\necho late\n', timeoutMs: 15_000 });
    await sleep(800);
    // The forked child that carries this exec's connection dies; the listener stays, so the runtime can
    // still ask the engine whether the command finished.
    execaSync('pkill', ['-KILL', '-P', String(socat!.pid)], { reject: false });
    const err = await running.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toMatch(/connection closed while `sh -s` still ran in .*: its output is lost/);
  });
});

describe('a kept exec (a shell kept open in the container for reads asked often)', () => {
  const execsSince = async (since: number) => {
    const r = await execa('docker', ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--filter', 'event=exec_create', '--format', '{{.Type}} {{.TimeNano}}']);
    return r.stdout.split('\n').filter(Boolean).length;
  };

  it('answers as a new exec does, with one exec for many calls, and again after the container restarts', async () => {
    const rt = new DockerRuntime();
    const cmd = ['sh', '-c', 'cat /etc/hostname; echo "to stderr" >&2; exit 4'];
    const plain = await rt.exec(name, cmd, { timeoutMs: 10_000 });
    expect(plain.exitCode).toBe(4);
    // Whole seconds: the execs of the tests above are over a second old.
    await sleep(1000);
    const since = Math.floor(Date.now() / 1000);
    // The first three calls are new execs, and the third opens the shell meanwhile; the rest go down the shell.
    for (let i = 0; i < 20; i++) {
      expect(await rt.exec(name, cmd, { timeoutMs: 10_000, kept: true })).toEqual(plain);
      await sleep(100);
    }
    // 20 calls: a new exec for each would be 21 with the one above; the shell takes one, and a loaded
    // engine may need a few calls to open it.
    expect(await execsSince(since)).toBeLessThanOrEqual(6);

    // Output over a timeout is an engine error, as for a new exec; the next call still answers.
    const late = await rt.exec(name, ['sleep', '5'], { timeoutMs: 500, kept: true }).then(() => undefined, (e: unknown) => e);
    expect(late).toBeInstanceOf(EngineError);
    expect((late as Error).message).toMatch(/did not finish within 500 ms/);
    expect(await rt.exec(name, cmd, { timeoutMs: 10_000, kept: true })).toEqual(plain);

    // The shell dies with the container's processes; the next calls still answer.
    await execa('docker', ['restart', '-t', '0', name]);
    for (let i = 0; i < 5; i++) {
      expect(await rt.exec(name, cmd, { timeoutMs: 10_000, kept: true })).toEqual(plain);
      await sleep(200);
    }
    // Its files are on /dev/shm (a tmpfs): nothing in the container's layer, where lab looks for changes.
    expect((await rt.changes(name)).filter((c) => /lab-kept/.test(c.path))).toEqual([]);
  }, 60_000);

  it('a container asked once or twice opens no shell (a one-shot `lab status`, `lab apply`); asked a third time, it does', async () => {
    const rt = new DockerRuntime();
    await sleep(1000);
    const since = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i++) expect((await rt.exec(name, ['true'], { timeoutMs: 10_000, kept: true })).exitCode).toBe(0);
    await sleep(1500);
    expect(await execsSince(since)).toBe(2);
    expect((await rt.exec(name, ['true'], { timeoutMs: 10_000, kept: true })).exitCode).toBe(0);
    await sleep(1500);
    // The third call's own exec, and the shell's.
    expect(await execsSince(since)).toBe(4);
  }, 30_000);

  it("a shell lost while its command ran: run again when harmless, an engine error with 'once' (requests a grader counts)", async () => {
    const rt = new DockerRuntime();
    // The command leaves a line per run, so what ran twice shows.
    const ranTimes = async (file: string) => Number((await rt.exec(name, ['sh', '-c', `wc -l < ${file} 2>/dev/null || echo 0`], { timeoutMs: 5000 })).stdout.trim());
    // Until a kept call's parent is the kept shell (a new exec's parent is outside the container).
    const openShell = async () => {
      for (let i = 0; i < 50; i++) {
        const r = await rt.exec(name, ['sh', '-c', 'tr "\\0" " " < /proc/$PPID/cmdline 2>/dev/null'], { timeoutMs: 5000, kept: true });
        if (r.stdout.includes('lab-kept')) return;
        await sleep(100);
      }
      throw new Error('no kept shell opened');
    };
    for (const [kept, file] of [['once', '/tmp/once-runs'], [true, '/tmp/twice-runs']] as const) {
      await openShell();
      const running = rt.exec(name, ['sh', '-c', `echo run >> ${file}; sleep 1.5; echo finished`], { timeoutMs: 10_000, kept }).then((r) => r, (e: unknown) => e);
      await sleep(500);
      // The kept shell's own process, as a container restart or a runbook's kill would end it.
      await rt.exec(name, ['sh', '-c', 'pkill -KILL -f "[l]ab-kept"'], { timeoutMs: 5000 });
      const r = await running;
      if (kept === 'once') {
        expect(r).toBeInstanceOf(EngineError);
        expect((r as Error).message).toMatch(/was lost before it answered/);
        expect(await ranTimes(file)).toBe(1);
      } else {
        expect(r).toMatchObject({ exitCode: 0, stdout: 'finished\n' });
        expect(await ranTimes(file)).toBe(2);
      }
    }
  }, 60_000);

  it('does not keep a finished process alive', async () => {
    const dist = new URL('../../dist/runtime/docker.js', import.meta.url).pathname;
    const script = `import { DockerRuntime } from ${JSON.stringify(dist)};
      const rt = new DockerRuntime();
      for (let i = 0; i < 5; i++) { await rt.exec(${JSON.stringify(name)}, ['true'], { kept: true }); await new Promise((r) => setTimeout(r, 300)); }
      console.log('done');`;
    const r = await execa('node', ['--input-type=module', '-e', script], { timeout: 20_000, reject: false });
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('done');
    expect(r.exitCode).toBe(0);
  }, 30_000);
});
