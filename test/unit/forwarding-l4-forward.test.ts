// The director's layer-4 forwarder (templates/images/director/l4-forward.pl), run on this host in print
// mode (LAB_L4_NFT=print: it prints each ruleset instead of running nft) against TCP listeners this test
// opens on 127.0.0.x. Traffic goes to loopback only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve('templates/images/director/l4-forward.pl');
const PERL = execFileSync('sh', ['-c', 'command -v perl'], { encoding: 'utf8' }).trim();
const LAB_TIMERS = '0.3 1 0.2 0.5'; // connect_timeout retry delay_before_retry delay_loop, as in the lab's keepalived.conf
let tmp = '';
const cleanups: (() => unknown)[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-l4-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A listener that accepts and closes every connection; close() and open() again on the same port. */
async function listener(host: string) {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const l = {
    host,
    port: 0,
    async open() {
      server = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
        s.end();
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen({ host, port: l.port, exclusive: true }, resolve);
      });
      l.port = (server!.address() as net.AddressInfo).port;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
  await l.open();
  cleanups.push(() => l.close());
  return l;
}

interface Run {
  proc: ChildProcess;
  out: string[];
  rulesets: { at: number; text: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  spec: string;
}

function start(spec: string, env: Record<string, string> = {}): Run {
  const file = path.join(tmp, `spec-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, spec);
  const proc = spawn(PERL, [SCRIPT], { env: { ...process.env, LAB_L4_SPEC: file, LAB_L4_NFT: 'print', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = {
    proc, out: [], rulesets: [], spec: file,
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))),
  };
  let buf = '';
  let current: string[] | undefined;
  const take = (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'lab-l4-forward: ruleset') current = [];
      else if (line === 'lab-l4-forward: end of ruleset') {
        run.rulesets.push({ at: Date.now(), text: current!.join('\n') });
        current = undefined;
      } else if (current) current.push(line);
      else run.out.push(line);
    }
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', (c: Buffer) => run.out.push(`stderr: ${c.toString().trim()}`));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await run.exited;
    }
  });
  return run;
}

async function until<T>(what: string, run: Run, f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${run.out.join('\n')}\nlast ruleset:\n${run.rulesets.at(-1)?.text}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The DNAT targets of VIP:port in a ruleset, in numgen order. */
function targets(ruleset: string, vip: string, port: number): string[] {
  const line = ruleset.split('\n').find((l) => l.includes(`ip daddr ${vip} tcp dport ${port} `));
  if (!line) return [];
  const single = / dnat to (\S+):(\d+)$/.exec(line);
  if (single) return [`${single[1]}:${single[2]}`];
  const map = /numgen inc mod (\d+) map \{ (.*) \}$/.exec(line)!;
  const entries = map[2]!.split(', ').map((e) => /^(\d+) : (\S+) \. (\d+)$/.exec(e)!);
  expect(entries.map((e) => Number(e[1]))).toEqual([...Array(Number(map[1])).keys()]);
  return entries.map((e) => `${e[2]}:${e[3]}`);
}

const lastTargets = (run: Run, vip: string, port: number) => (run.rulesets.length ? targets(run.rulesets.at(-1)!.text, vip, port) : undefined);

describe('lab-l4-forward', () => {
  it('prints the initial ruleset, in the nft shape the director applies, and keeps it while every server answers', async () => {
    const [a, b] = [await listener('127.0.0.21'), await listener('127.0.0.22')];
    const run = start(`lab-l4 1\nvs 127.0.0.100 80 rr\nrs ${a.host} ${a.port} 1\ncheck ${a.host} ${a.port} ${LAB_TIMERS} 0.1 0\nrs ${b.host} ${b.port} 1\ncheck ${b.host} ${b.port} ${LAB_TIMERS} 0.1 0\n`);
    await until('the first ruleset', run, () => run.rulesets.length);
    expect(run.rulesets[0]!.text).toBe([
      'table ip lab',
      'delete table ip lab',
      'table ip lab {',
      '  chain pre {',
      '    type nat hook prerouting priority -100;',
      `    ip daddr 127.0.0.100 tcp dport 80 dnat to numgen inc mod 2 map { 0 : ${a.host} . ${a.port}, 1 : ${b.host} . ${b.port} }`,
      '  }',
      '}',
    ].join('\n'));
    expect(run.out).toContain(`lab-l4-forward: forwarding 127.0.0.100:80 rr -> ${a.host}:${a.port} ${b.host}:${b.port}`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(run.rulesets).toHaveLength(1);
  });

  it('takes a server out within 1.5 s of its listener closing, and back after one successful check', async () => {
    const [a, b] = [await listener('127.0.0.21'), await listener('127.0.0.22')];
    const run = start(`lab-l4 1\nvs 127.0.0.100 443 rr\nrs ${a.host} ${a.port} 1\ncheck ${a.host} ${a.port} ${LAB_TIMERS} 0 0\nrs ${b.host} ${b.port} 1\ncheck ${b.host} ${b.port} ${LAB_TIMERS} 0 0\n`);
    await until('the first ruleset', run, () => run.rulesets.length);
    await new Promise((r) => setTimeout(r, 700)); // past the first checks, which succeed
    expect(run.rulesets).toHaveLength(1);
    const closed = Date.now();
    await a.close();
    await until('a ruleset without the closed server', run, () => lastTargets(run, '127.0.0.100', 443)?.length === 1);
    const out = run.rulesets.at(-1)!;
    expect(targets(out.text, '127.0.0.100', 443)).toEqual([`${b.host}:${b.port}`]);
    expect(out.at - closed).toBeLessThan(1500);
    expect(run.out).toContain(`lab-l4-forward: ${a.host}:${a.port} (TCP_CHECK ${a.host}:${a.port}) down: Connection refused after 1 retries`);
    const reopened = Date.now();
    await a.open();
    await until('the server back', run, () => lastTargets(run, '127.0.0.100', 443)?.length === 2);
    expect(run.rulesets.at(-1)!.at - reopened).toBeLessThan(800);
    expect(run.out).toContain(`lab-l4-forward: ${a.host}:${a.port} (TCP_CHECK ${a.host}:${a.port}) up`);
  });

  it('retries as keepalived does: RETRY more failures DBR apart, except before the first success', async () => {
    const a = await listener('127.0.0.21');
    const dead = await listener('127.0.0.23');
    await dead.close(); // a port nobody listens on
    // retry 2, delay_before_retry 0.4: a server that was up needs 3 failures (>= 0.8 s); one dead from the start, 1.
    const run = start(`lab-l4 1\nvs 127.0.0.100 80 rr\nrs ${a.host} ${a.port} 1\ncheck ${a.host} ${a.port} 0.3 2 0.4 0.3 0 0\nrs ${dead.host} ${dead.port} 1\ncheck ${dead.host} ${dead.port} 0.3 5 3 0.3 0 0\n`);
    await until('the dead server out', run, () => lastTargets(run, '127.0.0.100', 80)?.length === 1);
    expect(run.rulesets.at(-1)!.at - run.rulesets[0]!.at).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 400));
    const closed = Date.now();
    await a.close();
    await until('every server down', run, () => run.out.some((l) => l.includes('no real server is alive')));
    const took = run.rulesets.at(-1)!.at - closed;
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(1100 + 300);
    // With nothing alive it forwards to all of them, and says so.
    expect(lastTargets(run, '127.0.0.100', 80)).toEqual([`${a.host}:${a.port}`, `${dead.host}:${dead.port}`]);
    expect(run.out.at(-1)).toBe(`lab-l4-forward: forwarding 127.0.0.100:80 rr -> ${a.host}:${a.port} ${dead.host}:${dead.port} - no real server is alive, so forwarding to all of them`);
  });

  it('times a check out after connect_timeout when nothing answers', async () => {
    // A listener that never accepts, with its accept queue full, drops new SYNs: connect() neither
    // succeeds nor fails.
    const full = spawn(PERL, ['-MIO::Socket::INET', '-e', '$|=1; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.24", LocalPort => 0, Listen => 1) or die; print $s->sockport, "\\n"; sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => full.kill('SIGKILL'));
    const port = Number(await new Promise<string>((r) => full.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
    const fillers = await Promise.all([0, 1, 2, 3].map(() => new Promise<net.Socket>((r) => {
      const s = net.connect({ host: '127.0.0.24', port });
      s.on('error', () => {});
      setTimeout(() => r(s), 100);
    })));
    cleanups.push(() => fillers.forEach((s) => s.destroy()));
    const a = await listener('127.0.0.21');
    const run = start(`lab-l4 1\nvs 127.0.0.100 80 rr\nrs ${a.host} ${a.port} 1\nrs 127.0.0.24 ${port} 1\ncheck 127.0.0.24 ${port} 0.4 0 0 0.5 0 0\n`);
    await until('the silent server out', run, () => lastTargets(run, '127.0.0.100', 80)?.length === 1);
    expect(run.rulesets.at(-1)!.at - run.rulesets[0]!.at).toBeGreaterThanOrEqual(350);
    expect(run.out).toContain(`lab-l4-forward: 127.0.0.24:${port} (TCP_CHECK 127.0.0.24:${port}) down: connection timed out`);
    // The server without a check stays, as with IPVS.
    expect(lastTargets(run, '127.0.0.100', 80)).toEqual([`${a.host}:${a.port}`]);
  });

  it('spreads wrr by weight in IPVS order (weights divided by their gcd); weight 0 takes no new connections', async () => {
    const [a, b, c] = [await listener('127.0.0.21'), await listener('127.0.0.22'), await listener('127.0.0.25')];
    const run = start([
      'lab-l4 1',
      'vs 127.0.0.100 80 wrr', `rs ${a.host} ${a.port} 3`, `rs ${b.host} ${b.port} 2`, `rs ${c.host} ${c.port} 0`,
      'vs 127.0.0.100 443 wrr', `rs ${a.host} ${a.port} 4`, `rs ${b.host} ${b.port} 2`,
      'vs 127.0.0.101 80 rr', `rs ${a.host} ${a.port} 5`, `rs ${c.host} ${c.port} 0`,
    ].join('\n') + '\n');
    await until('the first ruleset', run, () => run.rulesets.length);
    const [A, B] = [`${a.host}:${a.port}`, `${b.host}:${b.port}`];
    expect(targets(run.rulesets[0]!.text, '127.0.0.100', 80)).toEqual([A, A, B, A, B]);
    expect(targets(run.rulesets[0]!.text, '127.0.0.100', 443)).toEqual([A, A, B]);
    expect(targets(run.rulesets[0]!.text, '127.0.0.101', 80)).toEqual([A]);
    expect(run.out).toContain(`lab-l4-forward: forwarding 127.0.0.100:80 wrr -> ${A} ${B} (wrr weights 3:2)`);
  });

  it('re-reads the spec on SIGHUP, keeping the state of unchanged checks', async () => {
    const [a, b] = [await listener('127.0.0.21'), await listener('127.0.0.22')];
    const dead = await listener('127.0.0.23');
    await dead.close();
    const check = (l: { host: string; port: number }) => `check ${l.host} ${l.port} ${LAB_TIMERS} 0 0`;
    const run = start(`lab-l4 1\nvs 127.0.0.100 80 rr\nrs ${a.host} ${a.port} 1\n${check(a)}\nrs ${dead.host} ${dead.port} 1\n${check(dead)}\n`);
    await until('the dead server out', run, () => lastTargets(run, '127.0.0.100', 80)?.length === 1);
    const before = run.rulesets.length;
    writeFileSync(run.spec, `lab-l4 1\nvs 127.0.0.100 80 wrr\nrs ${a.host} ${a.port} 2\n${check(a)}\nrs ${dead.host} ${dead.port} 1\n${check(dead)}\nrs ${b.host} ${b.port} 1\n${check(b)}\nvs 127.0.0.100 443 rr\nrs ${b.host} ${b.port} 1\n`);
    run.proc.kill('SIGHUP');
    await until('the new ruleset', run, () => run.rulesets.length > before && run.rulesets.at(-1));
    const text = run.rulesets.at(-1)!.text;
    // The dead server stays out (its state is kept), the new one is in, and the new virtual server is there.
    expect(targets(text, '127.0.0.100', 80)).toEqual([`${a.host}:${a.port}`, `${a.host}:${a.port}`, `${b.host}:${b.port}`]);
    expect(targets(text, '127.0.0.100', 443)).toEqual([`${b.host}:${b.port}`]);
    expect(run.out.some((l) => /^lab-l4-forward: reloaded .*: 2 virtual server\(s\), 3 TCP check\(s\)$/.test(l))).toBe(true);
    // A broken spec on reload keeps the running one.
    writeFileSync(run.spec, 'lab-l4 1\nvs 127.0.0.100 80 wlc\n');
    run.proc.kill('SIGHUP');
    await until('the refusal', run, () => run.out.find((l) => l.includes('reload failed')));
    expect(run.out.find((l) => l.includes('reload failed'))).toMatch(/keeping the previous spec: .*:2: lb_algo wlc is not emulated \(rr, wrr\)$/);
    expect(run.proc.exitCode).toBeNull();
  });

  it('exits within 1 s of SIGTERM (and SIGINT), even with long check intervals', async () => {
    const a = await listener('127.0.0.21');
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const run = start(`lab-l4 1\nvs 127.0.0.100 80 rr\nrs ${a.host} ${a.port} 1\ncheck ${a.host} ${a.port} 5 1 60 60 0 0\n`);
      await until('the first ruleset', run, () => run.rulesets.length);
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      run.proc.kill(signal);
      const { code, at } = await run.exited;
      expect(code).toBe(0);
      expect(at - sent).toBeLessThan(1000);
    }
  });

  it('refuses a bad spec at start with the line, and exits 1', async () => {
    const run = start('lab-l4 1\nvs 127.0.0.100 80 rr\ncheck 127.0.0.1 80 1 1 1 1 0 0\n');
    expect((await run.exited).code).toBe(1);
    expect(run.out.join('\n')).toMatch(/:3: check before any rs/);
  });

  it('never forks while it checks: no child process in 3 s of checks every 50 ms', async () => {
    const ls = [await listener('127.0.0.21'), await listener('127.0.0.22'), await listener('127.0.0.25')];
    const dead = await listener('127.0.0.23');
    await dead.close();
    const spec = ['lab-l4 1', 'vs 127.0.0.100 80 rr'];
    for (const l of [...ls, dead]) spec.push(`rs ${l.host} ${l.port} 1`, `check ${l.host} ${l.port} 0.3 0 0.05 0.05 0 0`);
    // Not in print mode: with a real nft it would fork only when the ruleset changes; PATH has none here,
    // so the one change at start fails to run nft and is logged. Print mode is checked too.
    for (const env of [{ LAB_L4_NFT: 'print' }, { LAB_L4_NFT: '', PATH: tmp }] as Record<string, string>[]) {
      const run = start(spec.join('\n') + '\n', env);
      const pid = run.proc.pid!;
      // Two rulesets: the first, and the one without the dead server (printed, or given to nft, which fails).
      await until('the dead server out', run, () => run.rulesets.length + run.out.filter((l) => l.includes('nft rejected')).length === 2);
      const childrenSeen = new Set<string>();
      const end = Date.now() + 3000;
      let samples = 0;
      while (Date.now() < end) {
        for (const task of readdirSync(`/proc/${pid}/task`)) {
          for (const c of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) childrenSeen.add(c);
        }
        samples++;
        await new Promise((r) => setImmediate(r));
      }
      expect(samples).toBeGreaterThan(100);
      expect([...childrenSeen]).toEqual([]);
      expect(readdirSync(`/proc/${pid}/task`)).toHaveLength(1);
      // 60 checks a second went on meanwhile: the servers stayed as they were.
      expect(run.out.filter((l) => / (up|down)(:|$)/.test(l))).toHaveLength(1);
    }
  });
});
