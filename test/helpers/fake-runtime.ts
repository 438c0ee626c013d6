// An in-memory Runtime for planner tests: records every call, keeps containers and networks by name.
import type {
  BuildOptions, ContainerInfo, ContainerSpec, EngineVersion, ExecResult, FsChange, ImageInfo, Labels, NetworkInfo, NetworkSpec, Runtime,
} from '../../src/runtime/types.js';
import { PassThrough } from 'node:stream';

function matches(labels: Labels, selector?: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => (v === '' ? k in labels : labels[k] === v));
}

export class FakeRuntime implements Runtime {
  calls: string[] = [];
  networks = new Map<string, NetworkInfo>();
  containers = new Map<string, ContainerInfo & { spec?: ContainerSpec }>();

  async version(): Promise<EngineVersion> {
    return { version: 'fake', apiVersion: '1.41', os: 'fake', desktop: false };
  }
  async listNetworks(labels?: Labels) {
    return [...this.networks.values()].filter((n) => matches(n.labels, labels));
  }
  async createNetwork(spec: NetworkSpec) {
    this.calls.push(`createNetwork ${spec.name}`);
    this.networks.set(spec.name, { id: spec.name, name: spec.name, subnets: [spec.subnet], labels: spec.labels });
  }
  async removeNetwork(name: string) {
    this.calls.push(`removeNetwork ${name}`);
    this.networks.delete(name);
  }
  async listContainers(labels: Labels) {
    return [...this.containers.values()].filter((c) => matches(c.labels, labels));
  }
  async inspectContainer(name: string) {
    return this.containers.get(name);
  }
  async createContainer(spec: ContainerSpec) {
    this.calls.push(`createContainer ${spec.name}`);
    if (this.containers.has(spec.name)) throw new Error(`Conflict. The container name "/${spec.name}" is already in use`);
    this.containers.set(spec.name, {
      id: spec.name, name: spec.name, image: spec.image, labels: spec.labels, state: 'created', health: 'none',
      addresses: Object.fromEntries(spec.endpoints.map((e) => [e.network, e.ip])), spec,
    });
  }
  async startContainer(name: string) {
    this.calls.push(`startContainer ${name}`);
    const c = this.containers.get(name);
    if (c) c.state = 'running';
  }
  async stopContainer(name: string) {
    this.calls.push(`stopContainer ${name}`);
    const c = this.containers.get(name);
    if (c) c.state = 'exited';
  }
  async pauseContainer(name: string) {
    this.calls.push(`pauseContainer ${name}`);
    const c = this.containers.get(name);
    if (c) c.state = 'paused';
  }
  async unpauseContainer(name: string) {
    this.calls.push(`unpauseContainer ${name}`);
    const c = this.containers.get(name);
    if (c) c.state = 'running';
  }
  async removeContainer(name: string) {
    this.calls.push(`removeContainer ${name}`);
    this.containers.delete(name);
  }
  async signal(name: string, signal: string) {
    this.calls.push(`signal ${name} ${signal}`);
  }
  execResults: ((name: string, cmd: string[]) => ExecResult | undefined)[] = [];
  async exec(name: string, cmd: string[]): Promise<ExecResult> {
    this.calls.push(`exec ${name} ${cmd.join(' ')}`);
    for (const f of this.execResults) {
      const r = f(name, cmd);
      if (r) return r;
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async execAttached(): Promise<number> {
    return 0;
  }
  async logs(): Promise<NodeJS.ReadableStream> {
    const s = new PassThrough();
    s.end();
    return s;
  }
  /** `docker diff` per container name (default: nothing changed). */
  fsChanges = new Map<string, FsChange[]>();
  async changes(name: string): Promise<FsChange[]> {
    return this.fsChanges.get(name) ?? [];
  }
  async run(): Promise<ExecResult> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async listImages(): Promise<ImageInfo[]> {
    return [];
  }
  async imageExists(): Promise<boolean> {
    return true;
  }
  async buildImage(_o: BuildOptions): Promise<void> {}
  async importImage(): Promise<void> {}
  async pullImage(): Promise<void> {}
  async removeImage(ref: string): Promise<void> {
    this.calls.push(`removeImage ${ref}`);
  }
  async saveImages(): Promise<NodeJS.ReadableStream> {
    const s = new PassThrough();
    s.end();
    return s;
  }
  async loadImages(_tar?: NodeJS.ReadableStream): Promise<void> {}
}
