// The Debian base every lab image builds FROM: debian:bookworm-slim when a registry has it (or it is
// already local), otherwise a minbase root filesystem made here with debootstrap and `docker import`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Runtime } from '../runtime/types.js';
import { EngineError, LabError } from '../util/errors.js';
import { stableHash } from '../util/hash.js';
import { LAB_VERSION } from '../version.js';
import { debianMirror } from './mirror.js';

export const REGISTRY_BASE = 'debian:bookworm-slim';

/** Everything that decides the offline base's contents. Change it and the tag (and every role image) changes. */
export const OFFLINE_BASE_RECIPE = {
  tool: 'debootstrap',
  suite: 'bookworm',
  variant: 'minbase',
  include: [] as string[],
  // Files removed from the root filesystem before import, to keep the image small.
  strip: ['var/cache/apt/archives/*.deb', 'var/cache/apt/*.bin', 'var/lib/apt/lists/*', 'var/log/*.log', 'var/cache/debconf/*-old',
    'usr/share/man/*', 'usr/share/info/*', 'usr/share/locale/*', 'usr/share/doc/*/[!c]*'],
  // Written into the root filesystem, as the official debian:*-slim images do, so that
  // `apt-get install` in the role Dockerfiles leaves no .debs, caches, docs or man pages in their layers.
  files: {
    'etc/apt/apt.conf.d/docker-clean': [
      'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
      'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
      'Dir::Cache::pkgcache "";',
      'Dir::Cache::srcpkgcache "";',
    ],
    'etc/apt/apt.conf.d/docker-no-languages': ['Acquire::Languages "none";'],
    'etc/apt/apt.conf.d/docker-autoremove-suggests': ['Apt::AutoRemove::SuggestsImportant "false";'],
    'etc/dpkg/dpkg.cfg.d/docker': [
      'path-exclude /usr/share/doc/*',
      'path-include /usr/share/doc/*/copyright',
      'path-exclude /usr/share/man/*',
      'path-exclude /usr/share/groff/*',
      'path-exclude /usr/share/info/*',
      'path-exclude /usr/share/locale/*',
      'path-exclude /usr/share/lintian/*',
    ],
  } as Record<string, string[]>,
  recipeVersion: 2,
};

export function offlineBaseRef(): string {
  return `lab-base:${OFFLINE_BASE_RECIPE.suite}-${stableHash(OFFLINE_BASE_RECIPE)}`;
}

/** How long a pull of debian:bookworm-slim may take before we decide no registry answers. */
export const PULL_TIMEOUT_MS = 20_000;

/**
 * Deterministic choice of base, one engine call: debian:bookworm-slim when it is already local,
 * otherwise the offline base's tag (whether or not it is built yet).
 */
export async function resolveBaseRef(runtime: Runtime): Promise<string> {
  return (await runtime.imageExists(REGISTRY_BASE)) ? REGISTRY_BASE : offlineBaseRef();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineError(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Makes sure a base image exists and returns its ref: the local or pulled registry image, else the
 * offline debootstrap image. `log` receives one line per step (and debootstrap's own output).
 */
export async function ensureBase(runtime: Runtime, log: (line: string) => void = () => {}): Promise<string> {
  const ref = await resolveBaseRef(runtime);
  if (await runtime.imageExists(ref)) {
    log(`base image ${ref} is present`);
    return ref;
  }
  log(`pulling ${REGISTRY_BASE}`);
  try {
    await withTimeout(runtime.pullImage(REGISTRY_BASE), PULL_TIMEOUT_MS, `pulling ${REGISTRY_BASE}`);
    if (await runtime.imageExists(REGISTRY_BASE)) {
      log(`pulled ${REGISTRY_BASE}`);
      return REGISTRY_BASE;
    }
  } catch (e) {
    log(`pull failed: ${(e as Error).message.split('\n')[0]}`);
  }
  log('no registry answered: building the Debian base offline with debootstrap');
  await buildOfflineBase(runtime, ref, log);
  return ref;
}

async function isDebianLike(): Promise<boolean> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const ids = [/^ID=(.*)$/m.exec(text)?.[1], /^ID_LIKE=(.*)$/m.exec(text)?.[1]].join(' ').replace(/"/g, '');
    return /\b(debian|ubuntu)\b/.test(ids);
  } catch {
    return false;
  }
}

function findInPath(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    if (d && existsSync(path.join(d, cmd))) return path.join(d, cmd);
  }
  return undefined;
}

async function ensureDebootstrap(log: (line: string) => void): Promise<string> {
  const found = findInPath('debootstrap');
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (!root || !(await isDebianLike())) {
    throw new LabError('no registry answered and debootstrap is not installed, so the Debian base image cannot be built', {
      hint: root
        ? 'Install debootstrap with your package manager, or make debian:bookworm-slim available (`docker load` or a registry mirror).'
        : 'Rerun as root (lab installs debootstrap with apt-get on Debian/Ubuntu), or install debootstrap yourself.',
    });
  }
  log('debootstrap is missing: installing it with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const onLine = (l: string) => log(`apt: ${l}`);
  await run('apt-get', ['update'], env, onLine);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'debootstrap'], env, onLine);
  const now = findInPath('debootstrap');
  if (!now) throw new LabError('apt-get installed debootstrap but it is not on PATH', { hint: 'Check `dpkg -L debootstrap`.' });
  return now;
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, onLine: (l: string) => void): Promise<void> {
  const child = execa(cmd, args, { env, all: true, reject: false, stdin: 'ignore' });
  const tail: string[] = [];
  child.all?.setEncoding('utf8');
  let buf = '';
  child.all?.on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const line = l.trimEnd();
      if (!line) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
    }
  });
  const res = await child;
  if (res.exitCode !== 0) {
    throw new LabError(`\`${cmd} ${args.join(' ')}\` failed (exit ${res.exitCode ?? res.signal})`, {
      hint: `Its last lines:\n${tail.join('\n')}`,
    });
  }
}

/** debootstrap a minbase bookworm into a temp dir, tar it into `docker import`, remove the dir. */
export async function buildOfflineBase(runtime: Runtime, ref: string, log: (line: string) => void = () => {}): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new LabError('building the Debian base with debootstrap needs root', {
      hint: 'Rerun as root (e.g. `sudo lab doctor --fix`), or make debian:bookworm-slim available with `docker load`.',
    });
  }
  const debootstrap = await ensureDebootstrap(log);
  const mirror = debianMirror();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lab-rootfs-'));
  try {
    const r = OFFLINE_BASE_RECIPE;
    const args = [`--variant=${r.variant}`, ...(r.include.length ? [`--include=${r.include.join(',')}`] : []), r.suite, dir, mirror];
    log(`debootstrap ${args.join(' ')}`);
    await run(debootstrap, args, process.env, (l) => log(`debootstrap: ${l}`));
    // Strip caches: the role Dockerfiles run apt-get update themselves.
    await run('sh', ['-c', `cd "$1" && rm -rf ${r.strip.join(' ')}`, 'sh', dir], process.env, log);
    for (const [rel, lines] of Object.entries(r.files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), `${lines.join('\n')}\n`);
    }
    log(`importing the root filesystem as ${ref}`);
    const tar = execa('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { stdin: 'ignore', stderr: 'pipe', buffer: { stdout: false } });
    const imported = runtime.importImage(tar.stdout!, ref, { 'lab.image': 'base', 'lab.version': LAB_VERSION, 'lab.mirror': mirror });
    const [tarRes] = await Promise.allSettled([tar, imported]);
    if (tarRes.status === 'rejected') {
      throw new LabError(`tar of the root filesystem failed: ${(tarRes.reason as Error).message.split('\n')[0]}`);
    }
    await imported;
    log(`imported ${ref}`);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
