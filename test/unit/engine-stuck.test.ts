// An engine that takes a container's removal and never answers (a stuck containerd shim, seen in CI):
// the runtime gives up after its bound with a typed error and a hint, and `lab down` removes everything
// else it can, then says what it left. The engine here is a local HTTP server that never answers DELETE.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downLab } from '../../src/lifecycle/down.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { EngineStuckError } from '../../src/util/errors.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

describe('a removal the engine never answers', () => {
  let server: http.Server;
  let port: number;
  const sockets = new Set<Socket>();
  const deletes: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.method === 'DELETE') {
        deletes.push(req.url ?? '');
        return; // never answered
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"no such thing"}');
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('DockerRuntime gives up after its bound: EngineStuckError naming the container, with a hint; the request is aborted', async () => {
    // A bound of 2 s, not less: on a loaded machine (the e2e files beside the unit files) a shorter one
    // ran out before the request had reached this server.
    const rt = new DockerRuntime({ host: '127.0.0.1', port, protocol: 'http' }, { removeMs: 2000 });
    const err = await rt.removeContainer('lab-app3').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStuckError);
    expect((err as EngineStuckError).message).toBe('the Docker engine did not remove container lab-app3 within 2 s');
    expect((err as EngineStuckError).hint).toMatch(/Restart the engine .* then run `lab down` again/);
    expect(deletes.some((u) => u.startsWith('/containers/lab-app3?') && u.includes('force=true'))).toBe(true);
    // The aborted request holds no socket open (a CLI that failed would otherwise not exit): closed
    // within a moment (polled: a loaded machine takes longer than 100 ms to see the close).
    for (let i = 0; i < 50 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(sockets.size).toBe(0);
  });

  it('a missing container is still no error (404)', async () => {
    const quick = http.createServer((_req, res) => res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container"}'));
    await new Promise<void>((r) => quick.listen(0, '127.0.0.1', r));
    try {
      const rt404 = new DockerRuntime({ host: '127.0.0.1', port: (quick.address() as AddressInfo).port, protocol: 'http' }, { removeMs: 300 });
      await expect(rt404.removeContainer('gone')).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((r) => quick.close(() => r()));
    }
  });
});

describe('lab down with a container the engine is stuck on', () => {
  it('removes the other containers, leaves the networks, and throws the stuck error naming what it left', async () => {
    const rt = new FakeRuntime();
    const labels = (node: string) => ({ 'lab.name': 'l1', 'lab.node': node });
    for (const node of ['app1', 'app2', 'app3']) {
      rt.containers.set(`l1-${node}`, { id: node, name: `l1-${node}`, image: 'img', labels: labels(node), state: 'running', health: 'none', addresses: {} });
    }
    rt.networks.set('l1-app', { id: 'l1-app', name: 'l1-app', subnets: ['10.9.0.0/24'], labels: { 'lab.name': 'l1' } });
    const remove = rt.removeContainer.bind(rt);
    rt.removeContainer = async (name: string) => {
      if (name === 'l1-app2') throw new EngineStuckError('the Docker engine did not remove container l1-app2 within 60 s', { hint: 'Restart the engine.' });
      return remove(name);
    };
    const err = await downLab(rt, 'l1', { force: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStuckError);
    expect((err as EngineStuckError).message).toBe('the Docker engine did not remove container l1-app2 within 60 s; lab removed the other 2 container(s) and left the networks');
    expect((err as EngineStuckError).hint).toBe('Restart the engine.');
    expect([...rt.containers.keys()]).toEqual(['l1-app2']);
    expect([...rt.networks.keys()]).toEqual(['l1-app']);
  });
});
