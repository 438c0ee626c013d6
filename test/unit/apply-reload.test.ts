// A reload is one exec that prints the state before and after (apply/services.ts); what it means is
// decided here, on what HAProxy 2.6's `show proc` and Nginx's worker list printed in a real lab.
import { describe, expect, it } from 'vitest';
import { decideHaproxyReload, decideNginxReload, parseHaproxyProcs, reloadHaproxy, reloadNginx } from '../../src/apply/services.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

const proc = (reloads: number, failed: number, workers: string[], old: string[] = []) =>
  [
    '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
    `7               master          ${reloads} [failed: ${failed}]   0d00h00m10s     2.6.12-1+deb12u3`,
    '# workers',
    ...workers.map((w) => `${w}              worker          0               0d00h00m08s     2.6.12-1+deb12u3`),
    ...(old.length ? ['# old workers', ...old.map((w) => `${w}              worker          1               0d00h00m20s     2.6.12-1+deb12u3`)] : []),
    '# programs',
  ].join('\n');
const out = (before: string, after: string) => `@@before\n${before}\n@@after\n${after}\n`;

describe('a HAProxy reload', () => {
  it('reads show proc: the master, reloads, failures, current and old workers apart', () => {
    expect(parseHaproxyProcs(proc(3, 1, ['44'], ['10']))).toEqual({ masterPid: '7', reloads: 3, failed: 1, workers: ['44'], oldWorkers: ['10'] });
    expect(parseHaproxyProcs('')).toBeUndefined();
  });

  it('is done when the reload count moved and a new worker runs', () => {
    expect(decideHaproxyReload(out(proc(0, 0, ['10']), proc(1, 0, ['44'], ['10'])))).toBe('reloaded');
  });

  it('is refused when the failure count moved, though the old worker keeps serving', () => {
    expect(decideHaproxyReload(out(proc(1, 0, ['44']), proc(2, 1, ['44'])))).toBe('refused');
  });

  it('is not done while only the count moved, or nothing answered in time', () => {
    expect(decideHaproxyReload(out(proc(1, 0, ['44']), proc(2, 0, ['44'])))).toBe('timeout');
    expect(decideHaproxyReload(out(proc(1, 0, ['44']), ''))).toBe('timeout');
  });

  it('leaves the signal to the engine when there is no master socket to ask, or no answer of the script', () => {
    expect(decideHaproxyReload('@@nomaster\n')).toBe('signal');
    expect(decideHaproxyReload('')).toBe('signal');
    expect(decideHaproxyReload(out('', ''))).toBe('signal');
  });
});

describe('an Nginx reload', () => {
  it('is done when a worker appears that was not there (the old ones may not say "shutting down" yet)', () => {
    expect(decideNginxReload(out('8\n9', '8\n9\n30\n31'))).toBe('reloaded');
  });
  it('is not done while the same workers run', () => {
    expect(decideNginxReload(out('8\n9', '8\n9'))).toBe('timeout');
  });
  it('has nothing to confirm with when there were no workers, and leaves the signal to the engine without a master', () => {
    expect(decideNginxReload(out('', ''))).toBe('reloaded');
    expect(decideNginxReload('@@nomaster\n')).toBe('signal');
  });
});

describe('reloading', () => {
  const answering = (stdout: string) => {
    const rt = new FakeRuntime();
    rt.execResults.push(() => ({ exitCode: 0, stdout, stderr: '' }));
    return rt;
  };
  it('is one exec that signals the master from inside; the engine signals only when the script could not', async () => {
    const h = answering(out(proc(0, 0, ['10']), proc(1, 0, ['44'])));
    await reloadHaproxy(h, 'x-haproxy1');
    expect(h.calls.filter((c) => c.startsWith('exec')).length).toBe(1);
    expect(h.calls.filter((c) => /\bkill -USR2\b/.test(c))).toHaveLength(1);
    expect(h.calls.filter((c) => c.startsWith('signal'))).toEqual([]);
    const n = answering(out('8', '8\n30'));
    await reloadNginx(n, 'x-nginx1');
    expect(n.calls.filter((c) => /\bkill -HUP\b/.test(c))).toHaveLength(1);
    const old = answering('@@nomaster\n');
    await reloadNginx(old, 'x-nginx1');
    expect(old.calls.filter((c) => c.startsWith('signal'))).toEqual(['signal x-nginx1 SIGHUP']);
  });
  it('says which node refused, or did not finish', async () => {
    await expect(reloadHaproxy(answering(out(proc(1, 0, ['44']), proc(2, 1, ['44']))), 'x-haproxy1')).rejects.toThrow(/x-haproxy1: HAProxy refused the new config/);
    await expect(reloadNginx(answering(out('8', '8')), 'x-nginx1', 1000)).rejects.toThrow(/x-nginx1: nginx did not start new workers within 1 s/);
  });
});
