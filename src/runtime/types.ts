// The seam around the container engine. Only src/runtime/docker.ts imports dockerode;
// everything else talks to this interface, so the planner can be tested against a fake.

export type Labels = Record<string, string>;

export interface NetworkSpec {
  name: string;
  subnet: string;
  gateway: string;
  /** No route out of the lab from this network. */
  internal?: boolean;
  /** Driver options, e.g. com.docker.network.bridge.inhibit_ipv4. */
  options?: Record<string, string>;
  labels: Labels;
}

export interface NetworkInfo {
  id: string;
  name: string;
  subnets: string[];
  labels: Labels;
}

export interface Mount {
  /** Absolute host path. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface Endpoint {
  network: string;
  ip: string;
  aliases: string[];
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  image: string;
  labels: Labels;
  env: Record<string, string>;
  cmd?: string[];
  endpoints: Endpoint[];
  mounts: Mount[];
  capAdd: string[];
  sysctls: Record<string, string>;
  extraHosts: string[];
  /** Memory limit: every lab container has one, so a runaway process cannot take the machine. */
  memoryBytes: number;
  /** Host port → container port, bound to 127.0.0.1 only. */
  publish?: { hostPort: number; containerPort: number }[];
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Labels;
  state: ContainerState;
  health: Health;
  /** Docker network name → IPv4 address. */
  addresses: Record<string, string>;
  /** The image's ID (sha256:…), whatever tag the container was created from. */
  imageId?: string;
  /** When its process last ended (ms since the epoch, the shim's reap time), while it is stopped; inspect only. */
  finishedAt?: number;
}

export interface ExecOptions {
  /** Sent to the command's stdin (then EOF). */
  stdin?: string;
  timeoutMs?: number;
  /**
   * A short command asked often may run in a shell lab keeps open in the container instead of a new exec
   * (runtime/kept-shell.ts), without stdin. `true`: one harmless to run twice (a stats read); it runs again
   * in a new exec when the shell was lost while it ran. `'once'`: one that must not run twice (requests whose
   * answers a grader counts); a shell lost while it ran is an EngineError, and the caller decides.
   * A container's shell opens at its third such command, so a one-shot CLI asking each container once or
   * twice (`lab status`, `lab apply`) pays no exec for a shell it would not use again.
   */
  kept?: boolean | 'once';
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  sizeBytes: number;
  labels: Labels;
}

export interface BuildOptions {
  /** Directory whose files form the build context. */
  contextDir: string;
  tag: string;
  buildArgs?: Record<string, string>;
  labels?: Labels;
  onLine?: (line: string) => void;
}

export interface EngineVersion {
  version: string;
  apiVersion: string;
  os: string;
  /** True on Docker Desktop and similar VMs: the host has no route to container addresses. */
  desktop: boolean;
  /** What the engine's machine has (docker info NCPU, MemTotal), when it says. */
  cpus?: number;
  memoryBytes?: number;
}

/** One entry of `docker diff`: a path of the container's writable layer that differs from its image. */
export interface FsChange {
  path: string;
  kind: 'changed' | 'added' | 'deleted';
}

export interface Runtime {
  version(): Promise<EngineVersion>;

  listNetworks(labels?: Labels): Promise<NetworkInfo[]>;
  createNetwork(spec: NetworkSpec): Promise<void>;
  /** By ID or name; lab code passes the ID (a name can be ambiguous). Missing is not an error. */
  removeNetwork(idOrName: string): Promise<void>;

  listContainers(labels: Labels): Promise<ContainerInfo[]>;
  inspectContainer(name: string): Promise<ContainerInfo | undefined>;
  createContainer(spec: ContainerSpec): Promise<void>;
  startContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSec?: number): Promise<void>;
  pauseContainer(name: string): Promise<void>;
  unpauseContainer(name: string): Promise<void>;
  removeContainer(name: string): Promise<void>;
  signal(name: string, signal: string): Promise<void>;
  /** Runs a command in a running container. */
  exec(name: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command attached to this process's stdio (a TTY when `tty`), returning its exit code. */
  execAttached(name: string, cmd: string[], opts: { tty: boolean }): Promise<number>;
  logs(name: string, opts: { follow: boolean; tail?: number; since?: number }): Promise<NodeJS.ReadableStream>;
  /** `docker diff`: what the container changed in its file system, as the engine sees it (the container cannot hide it). */
  changes(name: string): Promise<FsChange[]>;
  /** Runs a throwaway container to completion and returns its output; the container is removed. */
  run(opts: { image: string; cmd: string[]; mounts?: Mount[]; capAdd?: string[]; labels?: Labels; network?: string; env?: Record<string, string> }): Promise<ExecResult>;

  listImages(labels?: Labels): Promise<ImageInfo[]>;
  imageExists(ref: string): Promise<boolean>;
  buildImage(opts: BuildOptions): Promise<void>;
  importImage(tarStream: NodeJS.ReadableStream, ref: string, labels?: Labels): Promise<void>;
  pullImage(ref: string): Promise<void>;
  removeImage(ref: string): Promise<void>;
  /** `docker save` of these tags, as a tar stream. */
  saveImages(refs: string[]): Promise<NodeJS.ReadableStream>;
  /** `docker load` of a tar stream made by saveImages. */
  loadImages(tar: NodeJS.ReadableStream): Promise<void>;
}
