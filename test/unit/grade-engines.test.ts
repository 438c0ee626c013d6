// --engine ENDPOINT as DOCKER_HOST writes it; dockerode options that the teacher's own DOCKER_HOST
// cannot redirect; the SSH host key checked against known_hosts; default jobs; the work queue.
import { describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerOptions, parseEndpoint } from '../../src/grade/engine-endpoint.js';
import { knownHostsVerifier, knownKeys } from '../../src/grade/known-hosts.js';
import { BYTES_PER_WORKER, jobsFor, spreadJobs } from '../../src/grade/jobs.js';
import { WorkQueue } from '../../src/grade/queue.js';
import { UsageError } from '../../src/util/errors.js';

describe('parseEndpoint', () => {
  it('reads unix, tcp and ssh endpoints', () => {
    expect(parseEndpoint('unix:///var/run/docker.sock')).toEqual({ endpoint: 'unix:///var/run/docker.sock', kind: 'unix', label: 'local' });
    expect(parseEndpoint('tcp://127.0.0.1:23750')).toEqual({ endpoint: 'tcp://127.0.0.1:23750', kind: 'tcp', label: '127.0.0.1:23750' });
    expect(parseEndpoint('10.0.0.5')).toMatchObject({ endpoint: 'tcp://10.0.0.5:2375', kind: 'tcp' });
    expect(parseEndpoint('ssh://root@127.0.0.1:2222')).toEqual({ endpoint: 'ssh://root@127.0.0.1:2222', kind: 'ssh', label: 'root@127.0.0.1:2222' });
    expect(parseEndpoint('ssh://grader@lab7')).toEqual({ endpoint: 'ssh://grader@lab7', kind: 'ssh', label: 'grader@lab7' });
  });
  it('refuses what is not an engine address', () => {
    for (const bad of ['unix://relative.sock', 'http://h:1/path', 'ftp://h', 'ssh://u:secret@h', 'tcp://']) expect(() => parseEndpoint(bad), bad).toThrow(UsageError);
  });
  it('gives dockerode every field, so DOCKER_HOST in the environment cannot redirect a worker', () => {
    expect(dockerOptions(parseEndpoint('unix:///run/docker.sock'))).toMatchObject({ socketPath: '/run/docker.sock', host: undefined, protocol: undefined });
    expect(dockerOptions(parseEndpoint('tcp://127.0.0.1:23750'))).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 23750, socketPath: undefined });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-ssh-'));
    try {
      writeFileSync(path.join(dir, 'key'), 'KEY');
      const o = dockerOptions(parseEndpoint('ssh://root@127.0.0.1:2222'), { LAB_SSH_KEY: path.join(dir, 'key'), LAB_SSH_KNOWN_HOSTS: path.join(dir, 'kh') }) as { protocol: string; port: number; username: string; sshOptions: { privateKey: Buffer; hostVerifier: (k: Buffer) => boolean } };
      expect(o).toMatchObject({ protocol: 'ssh', host: '127.0.0.1', port: 2222, username: 'root' });
      expect(o.sshOptions.privateKey.toString()).toBe('KEY');
      expect(o.sshOptions.hostVerifier(Buffer.from('anything'))).toBe(false); // no known_hosts: refused
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('known_hosts', () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const b64 = key.toString('base64');
  it('matches plain, [host]:port and hashed entries, and honours @revoked', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64')}`;
    const text = [`# comment`, `lab7,10.0.0.7 ssh-ed25519 ${b64}`, `[127.0.0.1]:2222 ssh-ed25519 ${b64}`, `${hashed} ssh-ed25519 ${b64}`, `@revoked lab8 ssh-ed25519 ${b64}`, `lab8 ssh-ed25519 ${b64}`].join('\n');
    expect(knownKeys(text, 'lab7', 22).map((k) => k.key.equals(key))).toEqual([true]);
    expect(knownKeys(text, '127.0.0.1', 2222)).toHaveLength(1);
    expect(knownKeys(text, '127.0.0.1', 22)).toHaveLength(0);
    expect(knownKeys(text, '10.0.0.9', 2222)).toHaveLength(1);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-kh-'));
    try {
      writeFileSync(path.join(dir, 'kh'), text);
      expect(knownHostsVerifier(path.join(dir, 'kh'), '127.0.0.1', 2222)(key)).toBe(true);
      expect(knownHostsVerifier(path.join(dir, 'kh'), '127.0.0.1', 2222)(other)).toBe(false);
      expect(knownHostsVerifier(path.join(dir, 'kh'), 'lab8', 22)(key)).toBe(false);
      expect(knownHostsVerifier(path.join(dir, 'kh'), 'unknown', 22)(key)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('jobs', () => {
  it('one worker per core, as many as free memory holds, at least one', () => {
    expect(jobsFor({ cpus: 2, freeBytes: 20e9 })).toBe(2);
    expect(jobsFor({ cpus: 32, freeBytes: 3 * BYTES_PER_WORKER })).toBe(3);
    expect(jobsFor({ cpus: 8, freeBytes: 10 })).toBe(1);
    expect(jobsFor({ cpus: 256, freeBytes: 1e12 })).toBe(16);
    expect(spreadJobs(5, 2)).toEqual([3, 2]);
  });
});

describe('WorkQueue', () => {
  it('hands out each item once; a requeued item goes to the next taker; drains only when nothing is in flight', async () => {
    const q = new WorkQueue(['a', 'b']);
    expect(await q.take()).toBe('a');
    expect(await q.take()).toBe('b');
    // Empty but 'a' and 'b' are in flight: a taker waits.
    let got: string | undefined | null = null;
    const waiting = q.take().then((x) => (got = x));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe(null);
    q.requeue('a'); // its engine was lost
    await waiting;
    expect(got).toBe('a');
    q.done();
    q.done();
    expect(await q.take()).toBeUndefined();
  });
  it('close() stops handing out and returns what waited', async () => {
    const q = new WorkQueue([1, 2, 3]);
    expect(await q.take()).toBe(1);
    expect(q.close()).toEqual([2, 3]);
    expect(await q.take()).toBeUndefined();
  });
});
