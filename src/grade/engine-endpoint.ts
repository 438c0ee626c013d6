// `lab grade --engine ENDPOINT`: the Docker engines a class run spreads its workers over, written as
// DOCKER_HOST is (unix:///var/run/docker.sock, tcp://host:2375, ssh://user@host[:port]). This module is
// pure: it turns an endpoint into the options dockerode's modem takes; the composition root
// (src/cli/deps.ts) makes one DockerRuntime from each.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import { knownHostsVerifier } from './known-hosts.js';

export type EngineKind = 'unix' | 'tcp' | 'ssh';

export interface EngineEndpoint {
  /** As the teacher wrote it, normalised (e.g. tcp://127.0.0.1:2375). */
  endpoint: string;
  kind: EngineKind;
  /** Short name for progress lines and results: local, 127.0.0.1:2375, root@host. */
  label: string;
}

export const LOCAL_ENDPOINT = 'unix:///var/run/docker.sock';

const HINT = 'Write it as Docker does in DOCKER_HOST: unix:///var/run/docker.sock, tcp://HOST:2375 or ssh://USER@HOST[:PORT].';

/** Parses one --engine value. */
export function parseEndpoint(raw: string): EngineEndpoint {
  const s = raw.trim();
  if (s.startsWith('unix://')) {
    const p = s.slice('unix://'.length);
    if (!p.startsWith('/')) throw new UsageError(`--engine ${raw}: a unix socket needs an absolute path`, { hint: HINT });
    return { endpoint: `unix://${path.posix.normalize(p)}`, kind: 'unix', label: p === '/var/run/docker.sock' || p === '/run/docker.sock' ? 'local' : p };
  }
  let url: URL;
  try {
    url = new URL(s.includes('://') ? s : `tcp://${s}`);
  } catch {
    throw new UsageError(`--engine ${raw}: not an engine address`, { hint: HINT });
  }
  if (url.pathname && url.pathname !== '/' && url.pathname !== '') throw new UsageError(`--engine ${raw}: an engine address has no path`, { hint: HINT });
  if (!url.hostname) throw new UsageError(`--engine ${raw}: no host`, { hint: HINT });
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    const port = url.port || '2375';
    return { endpoint: `tcp://${url.hostname}:${port}`, kind: 'tcp', label: `${url.hostname}:${port}` };
  }
  if (url.protocol === 'ssh:') {
    if (url.password) throw new UsageError(`--engine ${raw}: no passwords in engine addresses`, { hint: 'Use an SSH key (the agent, ~/.ssh/id_*, or LAB_SSH_KEY=FILE).' });
    const user = decodeURIComponent(url.username || os.userInfo().username);
    const port = url.port || '22';
    return { endpoint: `ssh://${user}@${url.hostname}${port === '22' ? '' : `:${port}`}`, kind: 'ssh', label: `${user}@${url.hostname}${port === '22' ? '' : `:${port}`}` };
  }
  throw new UsageError(`--engine ${raw}: ${url.protocol.replace(/:$/, '')} is not an engine protocol lab knows`, { hint: HINT });
}

/** The first SSH private key ssh itself would try, or LAB_SSH_KEY. */
function defaultKey(env: NodeJS.ProcessEnv): Buffer | undefined {
  const explicit = env.LAB_SSH_KEY;
  if (explicit) {
    try {
      return readFileSync(explicit);
    } catch (e) {
      throw new UsageError(`LAB_SSH_KEY=${explicit}: ${(e as Error).message}`, { hint: 'Point it at an unencrypted private key file.' });
    }
  }
  for (const n of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return readFileSync(path.join(os.homedir(), '.ssh', n));
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * dockerode options for an endpoint. Every field DOCKER_HOST could preset is given explicitly, so the
 * teacher's own environment never redirects a worker to another engine. SSH: the agent
 * (SSH_AUTH_SOCK) or a key file, and the host key checked against known_hosts (LAB_SSH_KNOWN_HOSTS or
 * ~/.ssh/known_hosts), as ssh does; the remote user needs the docker CLI (`docker system dial-stdio`).
 */
export function dockerOptions(e: EngineEndpoint, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const none = { host: undefined, port: undefined, protocol: undefined, socketPath: undefined, ca: undefined, cert: undefined, key: undefined };
  if (e.kind === 'unix') return { ...none, socketPath: e.endpoint.slice('unix://'.length) };
  const url = new URL(e.endpoint);
  if (e.kind === 'tcp') return { ...none, protocol: 'http', host: url.hostname, port: Number(url.port) };
  const knownHosts = env.LAB_SSH_KNOWN_HOSTS ?? path.join(os.homedir(), '.ssh', 'known_hosts');
  const port = Number(url.port || 22);
  const privateKey = env.SSH_AUTH_SOCK && !env.LAB_SSH_KEY ? undefined : defaultKey(env);
  return {
    ...none,
    protocol: 'ssh',
    host: url.hostname,
    port,
    username: decodeURIComponent(url.username),
    sshOptions: {
      agent: env.LAB_SSH_KEY ? undefined : env.SSH_AUTH_SOCK,
      privateKey,
      hostVerifier: knownHostsVerifier(knownHosts, url.hostname, port),
      readyTimeout: 20_000,
    },
  };
}
