// --engine ssh://user@host: this machine's engine reached through an sshd this test starts on a free
// loopback port (its own config, host key and authorized key, in a temp folder; the system's sshd, if
// any, is not touched). The engine answers over SSH (docker-modem runs `docker system dial-stdio`
// there), a grading engine is prepared through it (images, and the proof that it sees the worker
// folders), and a host key that known_hosts does not list is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { dockerOptions, parseEndpoint } from '../../src/grade/engine-endpoint.js';
import { prepareEngine } from '../../src/grade/engine-watch.js';
import { freePort, listening } from '../helpers/ports.js';

const SSHD = '/usr/sbin/sshd';
let tmp: string;
let port: number;
let sshd: ResultPromise | undefined;

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install openssh-server)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-ssh-'));
  port = await freePort();
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'host')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'client')]);
  writeFileSync(path.join(tmp, 'authorized_keys'), readFileSync(path.join(tmp, 'client.pub')));
  const hostPub = readFileSync(path.join(tmp, 'host.pub'), 'utf8').trim().split(' ');
  writeFileSync(path.join(tmp, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
  writeFileSync(path.join(tmp, 'other_known_hosts'), `[127.0.0.1]:${port} ${hostPub[0]} ${readFileSync(path.join(tmp, 'client.pub'), 'utf8').split(' ')[1]}\n`);
  writeFileSync(
    path.join(tmp, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(tmp, 'host')}`,
      `AuthorizedKeysFile ${path.join(tmp, 'authorized_keys')}`,
      `PidFile ${path.join(tmp, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'MaxStartups 100',
      'MaxSessions 100',
    ].join('\n') + '\n',
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = execa(SSHD, ['-D', '-e', '-f', path.join(tmp, 'sshd_config')], { reject: false });
  if (!(await listening(port))) {
    throw new Error(`sshd did not listen on ${port}: ${(await Promise.race([sshd, new Promise((r) => setTimeout(r, 100))]) as { stderr?: string } | undefined)?.stderr ?? ''}`);
  }
});

afterAll(async () => {
  sshd?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('--engine ssh://', () => {
  const env = () => ({ LAB_SSH_KEY: path.join(tmp, 'client'), LAB_SSH_KNOWN_HOSTS: path.join(tmp, 'known_hosts') });

  it('reaches the engine with the key and the host key from known_hosts, and prepares it for grading', { timeout: 300_000 }, async () => {
    const e = parseEndpoint(`ssh://root@127.0.0.1:${port}`);
    const runtime = new DockerRuntime(dockerOptions(e, env()) as never);
    const v = await runtime.version();
    expect(v.apiVersion).toMatch(/^1\.\d+$/);
    const lines: string[] = [];
    // Images present, and the engine (over SSH, so "remote") sees a folder of this machine at the same path.
    await prepareEngine({ endpoint: e, runtime }, { workRoot: path.join(tmp, 'work'), log: (l) => lines.push(l) });
    expect(lines).toContain('lab images');
  });

  it('refuses an engine whose host key known_hosts does not list', async () => {
    const e = parseEndpoint(`ssh://root@127.0.0.1:${port}`);
    const runtime = new DockerRuntime(dockerOptions(e, { ...env(), LAB_SSH_KNOWN_HOSTS: path.join(tmp, 'other_known_hosts') }) as never);
    const err = await prepareEngine({ endpoint: e, runtime }, { workRoot: path.join(tmp, 'work2'), log: () => undefined }).catch((x) => x);
    expect(err?.message).toMatch(/does not answer/);
    expect(err?.hint).toMatch(/known_hosts/);
  });
});
