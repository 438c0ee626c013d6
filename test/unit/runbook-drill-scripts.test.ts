// The drill's two long-running loops (the sampler in each HAProxy node, the request loop in the client)
// run here under bash with a stand-in socat and curl on PATH: what they print parses, they pace
// themselves rather than spin, and they stop when the stop file appears.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as runbookDrill from '../../src/checks/probes/runbook-drill.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-drill-scripts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in command on the scripts' PATH. */
function stub(name: string, body: string): void {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, name), 0o755);
}

/** Runs a script with bash -s (as the drill does), touches `stop` after `stopMs`, resolves with stdout. */
function run(script: string, dir: string, stopMs: number): Promise<{ stdout: string; code: number | null }> {
  const child = spawn('bash', ['-s'], { env: { ...process.env, PATH: `${path.join(tmp, 'bin')}:${process.env.PATH}` } });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stdin.end(script);
  const timer = setTimeout(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'stop'), '');
  }, stopMs);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ stdout, code }))));
}

describe('the drill loops under bash', () => {
  it('the sampler prints the header and only the target rows, stamped asked ≤ answered, about ten a second, until stopped', async () => {
    stub(
      'socat',
      [
        'cat >/dev/null',
        "echo '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,addr,'",
        "echo 'web,web1,0,0,1,3,,40,0,0,,0,,0,0,0,0,UP,1,1,10.0.0.4:80,'",
        "echo 'web,web2,0,0,2,3,,41,0,0,,0,,0,0,0,0,DRAIN,1,1,10.0.0.5:80,'",
        "echo 'api,web2b,0,0,3,3,,42,0,0,,0,,0,0,0,0,UP,1,1,10.1.0.5:80,'",
        "echo 'api,web25,0,0,4,3,,43,0,0,,0,,0,0,0,0,UP,1,1,10.0.0.50:80,'",
      ].join('\n'),
    );
    const dir = path.join(tmp, 'sampler');
    const { stdout, code } = await run(runbookDrill.samplerScript(dir, ['10.0.0.5', '10.1.0.5'], 30), dir, 1000);
    expect(code).toBe(0);
    const samples = runbookDrill.parseSamples(stdout);
    expect(new Set(samples.map((s) => s.key))).toEqual(new Set(['web/web2', 'api/web2b']));
    expect(samples.find((s) => s.key === 'web/web2')).toMatchObject({ status: 'DRAIN', scur: 2, stot: 41, weight: 1 });
    for (const s of samples) expect(s.asked!).toBeLessThanOrEqual(s.t);
    // Paced by the FIFO nap (0.1 s), not spinning: a second gives at most about ten rounds of two rows.
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.length).toBeLessThanOrEqual(2 * 12);
  });

  it('the request loop writes one line per request (a body of several lines joined), paces every worker, and stops', async () => {
    // A slow request fails at once (the VIP unreachable: no pause of its own); a quick one is a 502 page of three lines.
    stub('curl', `case "$*" in *slow*) printf ' 000'; exit 7 ;; esac; printf '<html>\\n502 Bad Gateway\\n</html>'; printf ' 502'`);
    const dir = path.join(tmp, 'loop');
    const script = runbookDrill.loopScript({ dir, vip: '127.0.0.1', host: 'h.example', path: '/api/lab-drill', slowMs: 600, by: 'x', slow: 2, quick: 1, maxSec: 30 });
    const { stdout, code } = await run(script, dir, 1500);
    expect(code).toBe(0);
    const lines = runbookDrill.parseLoop(stdout);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    // Two slow workers (0.1 s after each failure) and one quick one (0.2 s apart): about thirty in 1.5 s;
    // a worker with no pause would write hundreds.
    expect(lines.length).toBeLessThanOrEqual(60);
    for (const l of lines) expect(l.start).toBeLessThanOrEqual(l.end);
    expect(lines.filter((l) => l.code === '000').length).toBeGreaterThanOrEqual(2);
    const quick = lines.filter((l) => l.code === '502');
    expect(quick.length).toBeGreaterThanOrEqual(2);
    for (const l of quick) expect(l.body).toBe('<html>502 Bad Gateway</html>');
  });
});
