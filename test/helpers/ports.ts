// Loopback ports for the listeners tests start themselves (socat, sshd, a test HAProxy): one free port,
// and a wait until something accepts connections on it.
import net from 'node:net';
import { sleep } from '../../src/util/sleep.js';

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * Several free ports, distinct: all are held until the last is found. One after another, a port just
 * closed can be handed out again, and HAProxy (SO_REUSEPORT) then binds two frontends to one port and
 * the kernel splits the connections between them (a CI run's plain-HTTP answers on the HTTPS port).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Whether something accepts connections on 127.0.0.1:port within `ms` (the caller says what did not start). */
export async function listening(port: number, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    if (Date.now() > until) return false;
    await sleep(50);
  }
}
