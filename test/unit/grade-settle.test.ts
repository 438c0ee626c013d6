// The grade worker's settle script (run in a director before the checks): it must recognise the rule
// nft lists for lab-l4-forward (`dnat ip to`, which the forwarder writes as `dnat to`) and compare it with
// the backends that accept connections. Run here in bash against a stub `nft` and loopback listeners.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTLE } from '../../src/forwarding/settle.js';

const VIP = '127.0.0.100'; // only text in the rule: no traffic goes to it
let dir: string;
let server: net.Server;
let port: number;
/** A port nobody listens on (bound once, then closed). */
let closed: number;

/** Runs the script with a stub nft that lists `rule` in table ip lab; returns its exit code. */
function settle(rule: string, backends: string[], ports = [port]): number {
  writeFileSync(path.join(dir, 'nft'), `#!/bin/sh\ncat <<'EOF'\ntable ip lab {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\t${rule.split('\n').join('\n\t\t')}\n\t}\n}\nEOF\n`);
  chmodSync(path.join(dir, 'nft'), 0o755);
  const r = spawnSync('bash', ['-c', SETTLE, 'settle', VIP, ports.join(' '), '2', ...backends], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
  return r.status ?? -1;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-settle-'));
  execFileSync('bash', ['-c', 'command -v timeout']);
  server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closed = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('grade settle script', () => {
  it('settled: the rule (as nft lists it, or as the forwarder writes it) forwards to exactly the backend that listens', () => {
    // 127.0.0.1 listens on the port, 127.0.0.2 refuses.
    expect(settle(`ip daddr ${VIP} tcp dport ${port} dnat ip to 127.0.0.1:${port}`, ['127.0.0.1', '127.0.0.2'])).toBe(0);
    expect(settle(`ip daddr ${VIP} tcp dport ${port} dnat to 127.0.0.1:${port}`, ['127.0.0.1', '127.0.0.2'])).toBe(0);
  });

  it('not settled: the rule still forwards to a backend that refuses', () => {
    expect(settle(`ip daddr ${VIP} tcp dport ${port} dnat ip to numgen inc mod 2 map { 0 : 127.0.0.1 . ${port}, 1 : 127.0.0.2 . ${port} }`, ['127.0.0.1', '127.0.0.2'])).toBe(1);
  });

  it('a port the directors do not forward at all (no rule for it) has nothing to wait for; the ports they do forward still count', () => {
    expect(settle(`ip daddr ${VIP} tcp dport 443 dnat ip to 127.0.0.1:443`, ['127.0.0.1', '127.0.0.2'])).toBe(0);
    expect(settle('', ['127.0.0.1', '127.0.0.2'])).toBe(0);
    expect(settle(`ip daddr ${VIP} tcp dport ${closed} dnat ip to 127.0.0.1:${closed}`, ['127.0.0.1', '127.0.0.2'], [port, closed])).toBe(1);
  });

  it('every port must be settled: one that still forwards to a refusing backend holds the answer', () => {
    const other = closed; // nobody listens there: forwarding to all is its settled state
    const good = `ip daddr ${VIP} tcp dport ${port} dnat ip to 127.0.0.1:${port}`;
    expect(settle(`${good}\nip daddr ${VIP} tcp dport ${other} dnat ip to numgen inc mod 2 map { 0 : 127.0.0.1 . ${other}, 1 : 127.0.0.2 . ${other} }`, ['127.0.0.1', '127.0.0.2'], [port, other])).toBe(0);
    expect(settle(`${good}\nip daddr ${VIP} tcp dport ${other} dnat ip to 127.0.0.1:${other}`, ['127.0.0.1', '127.0.0.2'], [port, other])).toBe(1);
  });

  it('when no backend listens, forwarding to all of them is settled (as lab-l4-forward does)', () => {
    const both = `ip daddr ${VIP} tcp dport ${port} dnat ip to numgen inc mod 2 map { 0 : 127.0.0.2 . ${port}, 1 : 127.0.0.3 . ${port} }`;
    expect(settle(both, ['127.0.0.2', '127.0.0.3'])).toBe(0);
  });
});
