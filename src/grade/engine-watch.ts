// A class run's engines: each is watched while its workers grade. An engine that stops answering is
// lost: its workers give up their submissions (back to the queue, graded elsewhere) and stop. Before
// any worker starts, each engine is prepared once: reachable, the lab images present (loaded from a
// bundle or built there), and, for an engine on another machine, able to see the worker folders at the
// same path (the labs bind-mount them).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureImages, imageStatus } from '../images/index.js';
import { loadBundle } from '../images/bundle.js';
import { silentProgress } from '../progress/progress.js';
import type { Runtime } from '../runtime/types.js';
import { EngineError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import type { EngineEndpoint } from './engine-endpoint.js';

export interface Engine {
  endpoint: EngineEndpoint;
  runtime: Runtime;
}

export class EngineLostError extends EngineError {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineError(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]);
}

export class EngineWatch {
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private rejectLost!: (e: Error) => void;
  lostError?: EngineLostError;
  /** Rejects (never resolves) when the engine is lost. */
  readonly lost: Promise<never>;

  constructor(
    readonly engine: Engine,
    private readonly opts: { intervalMs?: number; timeoutMs?: number; onLost?: (e: EngineLostError) => void } = {},
  ) {
    this.lost = new Promise<never>((_, reject) => (this.rejectLost = reject));
    this.lost.catch(() => undefined);
  }

  get isLost(): boolean {
    return !!this.lostError;
  }

  /** One question to the engine: does it answer? */
  async answers(): Promise<boolean> {
    try {
      await withTimeout(this.engine.runtime.version(), this.opts.timeoutMs ?? 15_000, `engine ${this.engine.endpoint.label}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Asks every interval; two failures in a row and the engine is lost. */
  start(): void {
    const tick = async () => {
      if (this.isLost) return;
      if (await this.answers()) this.failures = 0;
      else if (++this.failures >= 2) this.markLost('stopped answering');
      if (!this.isLost) this.timer = setTimeout(tick, this.opts.intervalMs ?? 2000);
    };
    this.timer = setTimeout(tick, this.opts.intervalMs ?? 2000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  markLost(why: string): void {
    if (this.isLost) return;
    this.lostError = new EngineLostError(`engine ${this.engine.endpoint.endpoint} ${why}`);
    this.stop();
    this.opts.onLost?.(this.lostError);
    this.rejectLost(this.lostError);
  }

  /** After a worker's error: is the engine gone? (Asked twice, half a second apart.) */
  async confirmLost(): Promise<boolean> {
    if (this.isLost) return true;
    if (await this.answers()) return false;
    await sleep(500);
    if (await this.answers()) return false;
    this.markLost('stopped answering');
    return true;
  }
}

export interface PrepareOptions {
  /** `lab images save` bundle to load when images are missing. */
  bundle?: string;
  /** A folder the workers will bind-mount, to prove a remote engine sees it. */
  workRoot: string;
  log: (line: string) => void;
}

/** Makes an engine ready for workers; throws an EngineError saying what is wrong with it. */
export async function prepareEngine(e: Engine, o: PrepareOptions): Promise<void> {
  const what = `engine ${e.endpoint.endpoint}`;
  try {
    await withTimeout(e.runtime.version(), 30_000, what);
  } catch (err) {
    throw new EngineError(`${what} does not answer: ${(err as Error).message}`, {
      hint:
        e.endpoint.kind === 'ssh'
          ? `Check \`ssh ${e.endpoint.label.replace(/:(\d+)$/, ' -p $1')} docker version\` works, with the host key in known_hosts (LAB_SSH_KNOWN_HOSTS) and your key in the agent or LAB_SSH_KEY.`
          : e.endpoint.kind === 'tcp'
            ? `Check that dockerd listens there (\`DOCKER_HOST=${e.endpoint.endpoint} docker version\`).`
            : 'Start Docker (`lab doctor --fix`).',
      cause: err,
    });
  }
  if (o.bundle && (await imageStatus(e.runtime)).some((s) => !s.present)) {
    o.log('loading the images bundle');
    await loadBundle(e.runtime, o.bundle, { log: o.log });
  }
  o.log('lab images');
  await ensureImages(e.runtime, silentProgress(o.log));
  if (e.endpoint.kind !== 'unix') await assertSeesFolder(e, o.workRoot);
}

/**
 * The worker labs bind-mount folders of this machine. An engine on another machine mounts its own
 * folder of that path, so it must see ours there (a shared file system at the same path).
 */
async function assertSeesFolder(e: Engine, workRoot: string): Promise<void> {
  const nonce = randomBytes(8).toString('hex');
  const dir = path.join(workRoot, `.engine-check-${nonce}`);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(path.join(dir, 'nonce'), nonce);
    const images = await imageStatus(e.runtime);
    const client = images.find((i) => i.role === 'client')!.ref;
    const r = await e.runtime.run({ image: client, cmd: ['cat', '/check/nonce'], mounts: [{ source: dir, target: '/check', readOnly: true }], labels: { 'lab.probe': 'engine-check' } });
    if (r.exitCode !== 0 || r.stdout.trim() !== nonce) {
      throw new EngineError(`engine ${e.endpoint.endpoint} does not see ${workRoot} of this machine`, {
        hint: `Worker labs bind-mount their workspaces from there: share that folder with the engine's machine at the same path (NFS, sshfs), or grade with --out on such a share.`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
