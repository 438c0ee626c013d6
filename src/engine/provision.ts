// Provisioning the Docker engine: start an installed dockerd, or install Debian's docker.io first,
// asking before either unless told yes. What the kernel can forward with is src/forwarding/probe.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Runtime } from '../runtime/types.js';
import { EngineError } from '../util/errors.js';
import { pidAlive } from '../util/process.js';
import { sleep } from '../util/sleep.js';

export const DOCKERD_LOG = '/var/log/lab-dockerd.log';
export const DOCKERD_WAIT_MS = 30_000;

export interface EnsureEngineOptions {
  /** Answer yes to installing and starting (`--yes`). */
  yes: boolean;
  /** A terminal is attached: ask before installing or starting. */
  interactive: boolean;
  log: (s: string) => void;
}

/** What /etc/os-release says, or undefined when it is unreadable. */
export function readOsRelease(file = '/etc/os-release'): { id: string; idLike: string[]; pretty: string } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const field = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1]?.replace(/^"|"$/g, '').trim() ?? '';
    return { id: field('ID'), idLike: field('ID_LIKE').split(/\s+/).filter(Boolean), pretty: field('PRETTY_NAME') || field('ID') };
  } catch {
    return undefined;
  }
}

export function isDebianLike(os: ReturnType<typeof readOsRelease>): boolean {
  return !!os && [os.id, ...os.idLike].some((x) => x === 'debian' || x === 'ubuntu');
}

export function findExecutable(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin'];
  for (const d of dirs) if (d && existsSync(path.join(d, cmd))) return path.join(d, cmd);
  return undefined;
}

const isRoot = () => process.getuid?.() === 0;

async function answers(runtime: Runtime): Promise<boolean> {
  return (await whyNot(runtime)) === undefined;
}

/** undefined when the engine answers, else the error it gave. */
async function whyNot(runtime: Runtime): Promise<Error | undefined> {
  try {
    await runtime.version();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

async function consent(opts: EnsureEngineOptions, question: string, action: string): Promise<void> {
  if (opts.yes) return;
  if (!opts.interactive) {
    throw new EngineError(`the Docker engine is not running and lab would have to ${action}`, {
      hint: 'Rerun with --yes to let lab do it, or run `lab doctor --fix --yes`.',
    });
  }
  const { confirm } = await import('@inquirer/prompts');
  const ok = await confirm({ message: question, default: true }, { output: process.stderr });
  if (!ok) {
    throw new EngineError(`the Docker engine is not running and you declined to ${action}`, {
      hint: 'Start Docker yourself, or rerun with --yes.',
    });
  }
}

/** Starts dockerd detached, logging to DOCKERD_LOG, and waits until the engine answers. */
async function startDockerd(dockerd: string, runtime: Runtime, log: (s: string) => void): Promise<void> {
  log(`starting ${dockerd} in the background (log: ${DOCKERD_LOG})`);
  // A shell in its own session backgrounds dockerd with its output in the log file, so dockerd
  // outlives us and holds no pipe to this process. It prints the daemon's pid.
  const sh = await execa('sh', ['-c', '"$0" >>"$1" 2>&1 </dev/null & echo $!', dockerd, DOCKERD_LOG], { detached: true, stdin: 'ignore' });
  const pid = Number(sh.stdout.trim());
  let exited: string | undefined;
  const deadline = Date.now() + DOCKERD_WAIT_MS;
  while (Date.now() < deadline) {
    if (await answers(runtime)) {
      log('the Docker engine answers');
      return;
    }
    if (!pidAlive(pid)) {
      exited = `dockerd (pid ${pid}) exited`;
      break;
    }
    await sleep(500);
  }
  let tail = '';
  try {
    tail = readFileSync(DOCKERD_LOG, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
  } catch {
    /* no log */
  }
  throw new EngineError(exited ? `${exited} before it answered` : `dockerd did not answer within ${DOCKERD_WAIT_MS / 1000} s`, {
    hint: `See ${DOCKERD_LOG}${tail ? `; its last lines:\n${tail}` : ''}`,
  });
}

async function installDockerIo(log: (s: string) => void): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'docker.io']]) {
    log(`apt-get ${args.join(' ')}`);
    const child = execa('apt-get', args, { env, all: true, reject: false, stdin: 'ignore' });
    const tail: string[] = [];
    child.all?.setEncoding('utf8');
    child.all?.on('data', (chunk: string) => {
      for (const l of chunk.split('\n')) {
        if (!l.trim()) continue;
        tail.push(l.trimEnd());
        if (tail.length > 10) tail.shift();
        log(`apt: ${l.trimEnd()}`);
      }
    });
    const r = await child;
    if (r.exitCode !== 0) {
      throw new EngineError(`\`apt-get ${args.join(' ')}\` failed (exit ${r.exitCode ?? r.signal})`, {
        hint: `Its last lines:\n${tail.join('\n')}`,
      });
    }
  }
}

/** undefined when the engine answers, else why not (for dry runs, which must not provision). */
export async function engineProblem(runtime: Runtime): Promise<Error | undefined> {
  return whyNot(runtime);
}

/**
 * Returns the runtime once its engine answers. Starts an installed dockerd that is not running, or installs
 * Debian's docker.io first (root on Debian/Ubuntu only), asking first unless `yes`.
 */
export async function ensureEngine(runtime: Runtime, opts: EnsureEngineOptions): Promise<Runtime> {
  const why = await whyNot(runtime);
  if (!why) return runtime;
  const { log } = opts;
  const code = (why.cause as { code?: string } | undefined)?.code;
  if (code === 'EACCES') {
    throw new EngineError('the Docker engine is running but this user may not use its socket (permission denied)', {
      hint: 'Add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again), or run lab as root.',
    });
  }
  const socketHint = process.env.DOCKER_HOST ? ` (DOCKER_HOST=${process.env.DOCKER_HOST})` : '';
  log(`the Docker engine does not answer${socketHint}`);
  if (process.env.DOCKER_HOST && !/^unix:\/\/\/var\/run\/docker\.sock$|^unix:\/\/\/run\/docker\.sock$/.test(process.env.DOCKER_HOST)) {
    throw new EngineError(`the Docker engine at DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`, {
      hint: 'Start that engine, or unset DOCKER_HOST so lab can start a local dockerd.',
    });
  }
  let dockerd = findExecutable('dockerd');
  if (!isRoot()) {
    throw new EngineError(
      dockerd ? 'dockerd is installed but not running, and only root can start it' : 'no Docker engine is installed, and only root can install one',
      {
        hint: dockerd
          ? 'Start it yourself (`sudo systemctl start docker` or `sudo dockerd &`), or rerun `sudo lab doctor --fix`. If it runs, add yourself to the docker group.'
          : 'Rerun as root (`sudo lab doctor --fix --yes` installs Debian\'s docker.io), or install Docker yourself.',
      },
    );
  }
  if (!dockerd) {
    const os = readOsRelease();
    if (!isDebianLike(os)) {
      throw new EngineError(`no Docker engine is installed and lab installs one only on Debian or Ubuntu (this is ${os?.pretty ?? 'an unknown system'})`, {
        hint: 'Install Docker Engine for your distribution (https://docs.docker.com/engine/install/), start it, and rerun.',
      });
    }
    await consent(opts, 'No Docker engine is installed. Install Debian\'s docker.io with apt-get and start it?', 'install docker.io with apt-get');
    log('installing docker.io with apt-get (Debian\'s Docker engine)');
    await installDockerIo(log);
    dockerd = findExecutable('dockerd');
    if (!dockerd) throw new EngineError('apt-get installed docker.io but dockerd is not on PATH', { hint: 'Check `dpkg -L docker.io`.' });
    // The package's postinst may have started it already (systemd machines).
    if (await answers(runtime)) {
      log('the Docker engine answers');
      return runtime;
    }
  } else {
    await consent(opts, 'The Docker engine is installed but not running. Start dockerd now?', 'start dockerd');
  }
  await startDockerd(dockerd, runtime, log);
  return runtime;
}

