// The only module that imports dockerode. It turns the small Runtime interface into Docker API calls
// and Docker's errors into EngineError with a hint.
import Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { PassThrough, type Duplex } from 'node:stream';
import { EngineError, EngineStuckError } from '../util/errors.js';
import { walkFiles } from '../util/files.js';
import { sleep } from '../util/sleep.js';
import { KEPT_SHELL_SCRIPT, KeptShell, shellQuote } from './kept-shell.js';
import { overlayChanges } from './overlay-changes.js';
import type {
  BuildOptions, ContainerInfo, ContainerSpec, ContainerState, EngineVersion, ExecOptions, ExecResult, FsChange, Health,
  ImageInfo, Labels, Mount, NetworkInfo, NetworkSpec, Runtime,
} from './types.js';

/** How long a container's removal may take before lab calls the engine stuck: well under a second normally, seconds when loaded. */
export const REMOVE_TIMEOUT_MS = 60_000;
const STUCK_HINT =
  'Its container runtime stopped answering for that container (a stuck containerd shim), which lab cannot undo. ' +
  'Restart the engine (`systemctl restart docker`, or stop dockerd and run `lab doctor --fix`), then run `lab down` again.';
const NOT_RUNNING_HINT = 'Start it with `lab doctor --fix` (installs and starts dockerd as root), or start Docker yourself.';

function labelFilter(labels?: Labels): string | undefined {
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) });
}

function wrap(e: unknown, what: string): EngineError {
  const err = e as { code?: string; statusCode?: number; json?: { message?: string }; message?: string };
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES') {
    return new EngineError(`cannot reach the Docker engine (${err.code}) while trying to ${what}`, { hint: NOT_RUNNING_HINT, cause: e });
  }
  // The engine died (or was restarted) with the request in flight.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || /socket hang up/i.test(err.message ?? '')) {
    return new EngineError(`the Docker engine went away (${err.code ?? 'connection closed'}) while trying to ${what}`, {
      hint: `${NOT_RUNNING_HINT} Then run the command again.`,
      cause: e,
    });
  }
  const msg = err.json?.message ?? err.message ?? String(e);
  return new EngineError(`Docker could not ${what}: ${msg.trim()}`, { cause: e });
}

/** A command in a container that did not finish in time, by a new exec or in a kept shell alike. */
function execTimeout(name: string, cmd: string[], ms: number): EngineError {
  return new EngineError(`\`${cmd.join(' ')}\` in ${name} did not finish within ${ms} ms`);
}

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}

function toHealth(s: string | undefined): Health {
  return s === 'healthy' || s === 'unhealthy' || s === 'starting' ? s : 'none';
}

/**
 * A stopped container's FinishedAt: the exit time containerd's shim stamped when it reaped the process,
 * so it says when a killed node died even when the engine answered the kill late. A running container
 * keeps its previous run's time (or year 1), which is not an answer.
 */
function finishedAt(s: { Running?: boolean; FinishedAt?: string }): { finishedAt?: number } {
  const t = s.FinishedAt ? Date.parse(s.FinishedAt) : NaN;
  return !s.Running && t > 0 ? { finishedAt: t } : {};
}

/** A container's kept shell opens at its this-many-th kept command (see keptShell). */
const KEPT_SHELL_AT_ASK = 3;

export class DockerRuntime implements Runtime {
  private readonly docker: Docker;
  /** Whether this engine's container layers are on this host's file system (undefined: not asked yet). */
  private layersHere?: boolean;
  /** Kept shells by container (see kept-shell.ts); `false`: that container cannot keep one. */
  private readonly kept = new Map<string, KeptShell | Promise<KeptShell | false> | false>();
  /** Kept commands asked of each container with no shell opened yet (see ExecOptions.kept). */
  private readonly keptAsks = new Map<string, number>();

  constructor(
    opts?: Docker.DockerOptions,
    private readonly limits: { removeMs?: number } = {},
  ) {
    this.docker = new Docker(opts);
  }

  async version(): Promise<EngineVersion> {
    try {
      const v = await this.docker.version();
      const info = await this.docker.info();
      const osName = String(info.OperatingSystem ?? '');
      return {
        version: v.Version,
        apiVersion: v.ApiVersion,
        os: osName,
        desktop: /docker desktop|orbstack|colima/i.test(osName),
        cpus: typeof info.NCPU === 'number' ? info.NCPU : undefined,
        memoryBytes: typeof info.MemTotal === 'number' ? info.MemTotal : undefined,
      };
    } catch (e) {
      throw wrap(e, 'answer a version request');
    }
  }

  async listNetworks(labels?: Labels): Promise<NetworkInfo[]> {
    try {
      const nets = await this.docker.listNetworks(labels ? { filters: labelFilter(labels) } : {});
      return nets.map((n) => ({
        id: n.Id,
        name: n.Name,
        subnets: (n.IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet).filter((s): s is string => !!s),
        labels: n.Labels ?? {},
      }));
    } catch (e) {
      throw wrap(e, 'list networks');
    }
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: spec.internal ?? false,
        Options: spec.options ?? {},
        Labels: spec.labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
      });
    } catch (e) {
      throw wrap(e, `create network ${spec.name}`);
    }
  }

  async removeNetwork(name: string): Promise<void> {
    // Right after its containers were force-removed, the engine (20.10) may not have released their
    // endpoints yet ("has active endpoints"): disconnect what is left and try again for a few seconds.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.docker.getNetwork(name).remove();
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        const msg = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
        if (!/active endpoints/.test(msg ?? '') || attempt >= 10) throw wrap(e, `remove network ${name}`);
        const info = (await this.docker.getNetwork(name).inspect().catch(() => undefined)) as { Containers?: Record<string, unknown> } | undefined;
        for (const id of Object.keys(info?.Containers ?? {})) {
          // Only endpoints whose container is gone: a live container someone attached stays attached.
          const alive = await this.docker.getContainer(id).inspect().then(() => true, (err) => !isNotFound(err));
          if (!alive) await this.docker.getNetwork(name).disconnect({ Container: id, Force: true }).catch(() => undefined);
        }
        await sleep(200 * (attempt + 1));
      }
    }
  }

  async listContainers(labels: Labels): Promise<ContainerInfo[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: labelFilter(labels) });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        imageId: c.ImageID,
        labels: c.Labels ?? {},
        state: c.State as ContainerState,
        health: toHealth(/\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '')),
        addresses: Object.fromEntries(
          Object.entries(c.NetworkSettings?.Networks ?? {}).map(([net, ep]) => [net, ep.IPAddress]),
        ),
      }));
    } catch (e) {
      throw wrap(e, 'list containers');
    }
  }

  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    try {
      const c = await this.docker.getContainer(name).inspect();
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        imageId: c.Image,
        labels: c.Config.Labels ?? {},
        state: c.State.Status as ContainerState,
        health: toHealth(c.State.Health?.Status),
        addresses: Object.fromEntries(Object.entries(c.NetworkSettings.Networks ?? {}).map(([n, ep]) => [n, ep.IPAddress])),
        ...finishedAt(c.State),
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw wrap(e, `inspect container ${name}`);
    }
  }

  async createContainer(spec: ContainerSpec): Promise<void> {
    const [first, ...rest] = spec.endpoints;
    const endpoint = (ep: { ip: string; aliases: string[] }) => ({ IPAMConfig: { IPv4Address: ep.ip }, Aliases: ep.aliases });
    try {
      const container = await this.docker.createContainer({
        name: spec.name,
        Hostname: spec.hostname,
        Image: spec.image,
        Labels: spec.labels,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Cmd: spec.cmd,
        ExposedPorts: Object.fromEntries((spec.publish ?? []).map((p) => [`${p.containerPort}/tcp`, {}])),
        HostConfig: {
          Init: true,
          Binds: spec.mounts.map((m: Mount) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
          CapAdd: spec.capAdd,
          Sysctls: spec.sysctls,
          ExtraHosts: spec.extraHosts,
          Privileged: false,
          Memory: spec.memoryBytes,
          PortBindings: Object.fromEntries(
            (spec.publish ?? []).map((p) => [`${p.containerPort}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.hostPort) }]]),
          ),
          NetworkMode: first?.network,
        },
        NetworkingConfig: first ? { EndpointsConfig: { [first.network]: endpoint(first) } } : undefined,
      });
      for (const ep of rest) {
        await this.docker.getNetwork(ep.network).connect({ Container: container.id, EndpointConfig: endpoint(ep) });
      }
    } catch (e) {
      throw wrap(e, `create container ${spec.name}`);
    }
  }

  async startContainer(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 304) throw wrap(e, `start container ${name}`);
    }
  }

  async stopContainer(name: string, timeoutSec = 5): Promise<void> {
    try {
      await this.docker.getContainer(name).stop({ t: timeoutSec });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw wrap(e, `stop container ${name}`);
    }
  }

  async pauseContainer(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).pause();
    } catch (e) {
      throw wrap(e, `pause container ${name}`);
    }
  }

  async unpauseContainer(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).unpause();
    } catch (e) {
      throw wrap(e, `unpause container ${name}`);
    }
  }

  async removeContainer(name: string): Promise<void> {
    // Bounded: the engine never answers the removal of a container whose shim stopped answering (seen in CI
    // under load: dockerd logged "get state … context deadline exceeded", and `lab down` waited for ever).
    const ms = this.limits.removeMs ?? REMOVE_TIMEOUT_MS;
    const signal = AbortSignal.timeout(ms);
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true, abortSignal: signal });
    } catch (e) {
      if (isNotFound(e)) return;
      if (signal.aborted) throw new EngineStuckError(`the Docker engine did not remove container ${name} within ${ms / 1000} s`, { hint: STUCK_HINT, cause: e });
      throw wrap(e, `remove container ${name}`);
    }
  }

  async signal(name: string, signal: string): Promise<void> {
    try {
      await this.docker.getContainer(name).kill({ signal });
    } catch (e) {
      throw wrap(e, `send ${signal} to ${name}`);
    }
  }

  async exec(name: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.kept && opts.stdin === undefined) {
      const shell = this.keptShell(name);
      if (shell) {
        const ms = opts.timeoutMs ?? 30_000;
        try {
          return await shell.run(shellQuote(cmd), ms);
        } catch (e) {
          if ((e as { timedOut?: boolean }).timedOut) throw execTimeout(name, cmd, ms);
          // The shell was lost (the container stopped or restarted) after the command was sent: it may
          // have run. A new exec answers one harmless to run twice, or says why not.
          if (opts.kept === 'once') {
            throw new EngineError(`${name}: the shell running \`${cmd.join(' ').slice(0, 80)}\` was lost before it answered (the container stopped or restarted?)`, {
              hint: 'run it again once the container runs',
            });
          }
        }
      }
    }
    const input = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
    try {
      const exec = await this.docker.getContainer(name).exec({
        // The input's end is marked by its length, not by half-closing the connection: a proxy between lab
        // and the engine may close the whole connection soon after one side closes (socat's default -t 0.5
        // does), and the output of a command still running is lost. The command sees the same EOF.
        Cmd: input ? ['sh', '-c', `head -c ${input.length} | "$@"`, 'sh', ...cmd] : cmd,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: input !== undefined,
      });
      const stream = await exec.start({ hijack: true, stdin: input !== undefined });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const stdout = new PassThrough().on('data', (b: Buffer) => out.push(b));
      const stderr = new PassThrough().on('data', (b: Buffer) => err.push(b));
      this.docker.modem.demuxStream(stream, stdout, stderr);
      if (input) stream.write(input);
      await new Promise<void>((resolve, reject) => {
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              stream.destroy();
              reject(execTimeout(name, cmd, opts.timeoutMs!));
            }, opts.timeoutMs)
          : undefined;
        stream.on('end', () => { clearTimeout(timer); resolve(); });
        stream.on('close', () => { clearTimeout(timer); resolve(); });
        stream.on('error', (e) => { clearTimeout(timer); reject(e); });
      });
      stream.destroy();
      return { exitCode: await this.exitCodeOf(exec, name, cmd), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw wrap(e, `run \`${cmd.join(' ')}\` in ${name}`);
    }
  }

  /**
   * The container's kept shell when one is open and free. Otherwise undefined, and from the container's
   * third ask on one is opened in the background for the next call, so no call waits for a shell to
   * start, and a one-shot CLI that asks a container once or twice (`lab status`; `lab apply`'s check and
   * reload of a node) opens no shell it would not use. A container whose shell cannot start is not asked
   * again. Only where the connection can be unref'd: a kept connection must not keep a finished CLI alive.
   */
  private keptShell(name: string): KeptShell | undefined {
    const have = this.kept.get(name);
    if (have instanceof KeptShell && !have.dead) return have.busy ? undefined : have;
    if (have === false || have instanceof Promise) return undefined;
    if (!have) {
      const asks = (this.keptAsks.get(name) ?? 0) + 1;
      this.keptAsks.set(name, asks);
      if (asks < KEPT_SHELL_AT_ASK) return undefined;
    }
    const opening = (async (): Promise<KeptShell | false> => {
      const exec = await this.docker.getContainer(name).exec({ Cmd: ['sh', '-c', KEPT_SHELL_SCRIPT], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex & { unref?: () => void; ref?: () => void };
      if (typeof stream.unref !== 'function') {
        stream.destroy();
        return false;
      }
      const stdout = new PassThrough();
      this.docker.modem.demuxStream(stream, stdout, new PassThrough().resume());
      const shell = new KeptShell(stream, stdout);
      await shell.whenReady(10_000);
      return shell;
    })();
    this.kept.set(name, opening);
    opening.then(
      (shell) => this.kept.set(name, shell),
      async () => {
        // A container that runs but cannot keep a shell (no sh, no /dev/shm) takes plain execs from now
        // on; one that was not running may get one once it runs.
        const running = (await this.docker.getContainer(name).inspect().catch(() => undefined))?.State?.Running;
        if (running) this.kept.set(name, false);
        else this.kept.delete(name);
      },
    );
    return undefined;
  }

  /**
   * The exit code of an exec whose output has ended. The engine sets it before it closes the output, but
   * a command that closed its output early, or a connection cut before the end, leaves it running: a
   * short wait tells a command about to exit from output that was lost (then no answer is made up).
   */
  private async exitCodeOf(exec: Docker.Exec, name: string, cmd: string[]): Promise<number> {
    for (let i = 0; ; i++) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode ?? -1;
      if (i === 20) {
        throw new EngineError(
          `the engine's connection closed while \`${cmd.join(' ')}\` still ran in ${name}: its output is lost`,
          { hint: 'the connection to the engine was cut (a proxy or tunnel in front of it, or the network): run the command again, or reach the engine directly' },
        );
      }
      await sleep(50);
    }
  }

  async execAttached(name: string, cmd: string[], opts: { tty: boolean }): Promise<number> {
    try {
      const exec = await this.docker.getContainer(name).exec({
        Cmd: cmd,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: opts.tty,
        Env: opts.tty ? [`TERM=${process.env.TERM ?? 'xterm'}`] : undefined,
      });
      const stream = await exec.start({ hijack: true, stdin: true, Tty: opts.tty });
      const stdin = process.stdin;
      const resize = () => exec.resize({ h: process.stdout.rows ?? 24, w: process.stdout.columns ?? 80 }).catch(() => undefined);
      if (opts.tty) {
        stream.pipe(process.stdout);
        if (stdin.isTTY) stdin.setRawMode(true);
        process.stdout.on('resize', resize);
      } else {
        this.docker.modem.demuxStream(stream, process.stdout, process.stderr);
      }
      stdin.resume();
      stdin.pipe(stream);
      if (opts.tty) void resize();
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
      });
      stdin.unpipe(stream);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      process.stdout.off('resize', resize);
      const info = await exec.inspect();
      return info.ExitCode ?? 1;
    } catch (e) {
      throw wrap(e, `run \`${cmd.join(' ')}\` in ${name}`);
    }
  }

  async logs(name: string, opts: { follow: boolean; tail?: number; since?: number }): Promise<NodeJS.ReadableStream> {
    try {
      const container = this.docker.getContainer(name);
      const out = new PassThrough();
      const common = { stdout: true, stderr: true, tail: opts.tail, since: opts.since ?? 0 };
      if (opts.follow) {
        const stream = await container.logs({ ...common, follow: true });
        this.docker.modem.demuxStream(stream, out, out);
        stream.on('end', () => out.end());
      } else {
        const buf = await container.logs({ ...common, follow: false });
        out.end(demuxBuffer(buf as unknown as Buffer));
      }
      return out;
    } catch (e) {
      throw wrap(e, `read logs of ${name}`);
    }
  }

  async changes(name: string): Promise<FsChange[]> {
    // An engine on this host: its overlay2 layers, read directly (overlay-changes.ts says why). Once a
    // container's layers prove not to be here (another machine's engine, another storage driver, a data
    // root we may not enter), the engine alone answers: on an ssh:// engine every extra call is a session.
    if (this.layersHere !== false) {
      // (dockerode types GraphDriver.Data as devicemapper's; overlay2 names its directories.)
      const g = (await this.docker.getContainer(name).inspect().catch(() => undefined))?.GraphDriver as { Name?: string; Data?: Record<string, string> } | undefined;
      if (g) {
        const d = g.Data ?? {};
        this.layersHere = g.Name === 'overlay2' && !!d.UpperDir && existsSync(d.UpperDir);
        const local = this.layersHere && d.MergedDir ? overlayChanges({ upper: d.UpperDir!, lowers: (d.LowerDir ?? '').split(':').filter(Boolean), merged: d.MergedDir }) : undefined;
        if (local) return local;
      }
    }
    try {
      const list = ((await this.docker.getContainer(name).changes()) ?? []) as { Path: string; Kind: number }[];
      const kinds: FsChange['kind'][] = ['changed', 'added', 'deleted'];
      return list.map((c) => ({ path: c.Path, kind: kinds[c.Kind] ?? 'changed' }));
    } catch (e) {
      throw wrap(e, `list the file changes of ${name}`);
    }
  }

  async run(opts: { image: string; cmd: string[]; mounts?: Mount[]; capAdd?: string[]; labels?: Labels; network?: string; env?: Record<string, string> }): Promise<ExecResult> {
    let container: Docker.Container | undefined;
    try {
      container = await this.docker.createContainer({
        Image: opts.image,
        Cmd: opts.cmd,
        Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: opts.labels,
        HostConfig: {
          Binds: (opts.mounts ?? []).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
          CapAdd: opts.capAdd,
          NetworkMode: opts.network ?? 'none',
        },
      });
      await container.start();
      const { StatusCode } = await container.wait();
      const stdout = demuxBuffer((await container.logs({ stdout: true, stderr: false })) as unknown as Buffer);
      const stderr = demuxBuffer((await container.logs({ stdout: false, stderr: true })) as unknown as Buffer);
      return { exitCode: StatusCode, stdout, stderr };
    } catch (e) {
      throw wrap(e, `run ${opts.cmd.join(' ')} in a ${opts.image} container`);
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }

  async listImages(labels?: Labels): Promise<ImageInfo[]> {
    try {
      const imgs = await this.docker.listImages(labels ? { filters: labelFilter(labels) } : {});
      return imgs.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [], sizeBytes: i.Size, labels: i.Labels ?? {} }));
    } catch (e) {
      throw wrap(e, 'list images');
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw wrap(e, `inspect image ${ref}`);
    }
  }

  async buildImage(opts: BuildOptions): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(
        { context: opts.contextDir, src: walkFiles(opts.contextDir) },
        { t: opts.tag, buildargs: opts.buildArgs, labels: opts.labels, rm: true, forcerm: true },
      );
    } catch (e) {
      throw wrap(e, `build ${opts.tag}`);
    }
    await followJson(this.docker, stream, opts.onLine, `build ${opts.tag}`);
  }

  async importImage(tarStream: NodeJS.ReadableStream, ref: string, labels?: Labels): Promise<void> {
    const [repo, tag] = ref.split(':');
    const changes = Object.entries(labels ?? {}).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.importImage(tarStream, { repo, tag, changes } as unknown as object);
    } catch (e) {
      throw wrap(e, `import ${ref}`);
    }
    await followJson(this.docker, stream, undefined, `import ${ref}`);
  }

  async pullImage(ref: string): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref);
    } catch (e) {
      throw wrap(e, `pull ${ref}`);
    }
    await followJson(this.docker, stream, undefined, `pull ${ref}`);
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove();
    } catch (e) {
      if (!isNotFound(e)) throw wrap(e, `remove image ${ref}`);
    }
  }

  async saveImages(refs: string[]): Promise<NodeJS.ReadableStream> {
    try {
      // GET /images/get?names=…: `docker save` of several tags into one archive.
      return (await (this.docker as unknown as { getImages(o: object): Promise<NodeJS.ReadableStream> }).getImages({ names: refs }));
    } catch (e) {
      throw wrap(e, `save images ${refs.join(' ')}`);
    }
  }

  async loadImages(tar: NodeJS.ReadableStream): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.loadImage(tar as never);
    } catch (e) {
      throw wrap(e, 'load images');
    }
    await followJson(this.docker, stream, undefined, 'load images');
  }
}

/** Docker's build/pull/import streams report failure as a JSON line with `error`, not as an HTTP status. */
function followJson(docker: Docker, stream: NodeJS.ReadableStream, onLine: ((l: string) => void) | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(wrap(err, what));
        else if (failure) reject(new EngineError(`Docker could not ${what}: ${failure.trim()}`));
        else resolve();
      },
      (ev: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (ev.error || ev.errorDetail) failure = ev.errorDetail?.message ?? ev.error;
        const line = (ev.stream ?? ev.status ?? '').trimEnd();
        if (line && onLine) onLine(line);
      },
    );
  });
}

/** Non-TTY log output is framed: 8-byte header (stream, 0,0,0, size) then payload. */
function demuxBuffer(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf ?? '');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString();
}
