// The dry run's runtime, after docker compose's DryRunClient: reads go to the real engine, every call
// that would change something is recorded and not made. `lab up --dry-run` runs the same pipeline as
// `lab up` on this wrapper, so no code path can change the engine by accident.
import { PassThrough } from 'node:stream';
import type { BuildOptions, ContainerSpec, ExecResult, Labels, Mount, NetworkSpec, Runtime } from './types.js';

export class RecordingRuntime implements Runtime {
  /** What a real run would have done, one line per call. */
  readonly recorded: string[] = [];

  constructor(private readonly inner: Runtime) {}

  private record(line: string): void {
    this.recorded.push(line);
  }

  version() { return this.inner.version(); }
  listNetworks(labels?: Labels) { return this.inner.listNetworks(labels); }
  listContainers(labels: Labels) { return this.inner.listContainers(labels); }
  inspectContainer(name: string) { return this.inner.inspectContainer(name); }
  listImages(labels?: Labels) { return this.inner.listImages(labels); }
  imageExists(ref: string) { return this.inner.imageExists(ref); }
  changes(name: string) { return this.inner.changes(name); }

  async createNetwork(spec: NetworkSpec) { this.record(`create network ${spec.name}`); }
  async removeNetwork(name: string) { this.record(`remove network ${name}`); }
  async createContainer(spec: ContainerSpec) { this.record(`create container ${spec.name}`); }
  async startContainer(name: string) { this.record(`start container ${name}`); }
  async stopContainer(name: string) { this.record(`stop container ${name}`); }
  async pauseContainer(name: string) { this.record(`pause container ${name}`); }
  async unpauseContainer(name: string) { this.record(`unpause container ${name}`); }
  async removeContainer(name: string) { this.record(`remove container ${name}`); }
  async signal(name: string, signal: string) { this.record(`signal ${signal} to ${name}`); }
  async exec(name: string, cmd: string[]): Promise<ExecResult> {
    this.record(`exec in ${name}: ${cmd.join(' ')}`);
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async execAttached(name: string, cmd: string[]): Promise<number> {
    this.record(`exec in ${name}: ${cmd.join(' ')}`);
    return 0;
  }
  async logs(): Promise<NodeJS.ReadableStream> {
    const s = new PassThrough();
    s.end();
    return s;
  }
  async run(opts: { image: string; cmd: string[]; mounts?: Mount[] }): Promise<ExecResult> {
    this.record(`run a ${opts.image} container: ${opts.cmd.join(' ')}`);
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async buildImage(opts: BuildOptions) { this.record(`build image ${opts.tag}`); }
  async importImage(_tar: NodeJS.ReadableStream, ref: string) { this.record(`import image ${ref}`); }
  async pullImage(ref: string) { this.record(`pull image ${ref}`); }
  async removeImage(ref: string) { this.record(`remove image ${ref}`); }
  async saveImages(refs: string[]): Promise<NodeJS.ReadableStream> {
    this.record(`save images ${refs.join(' ')}`);
    const s = new PassThrough();
    s.end();
    return s;
  }
  async loadImages() { this.record('load images'); }
}
