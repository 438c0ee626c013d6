// exp7's decisions without a lab: observations shaped as the lvs probes record them, including the
// wrong pairs (split brain, one real server, no health check, slow adverts) and correct variants
// written differently (wrr weights, nopreempt).
import { describe, expect, it } from 'vitest';
import { decideFailover, decideHealth, decideIpvs, decideSingleHolder, decideSpread, type FailoverObservation } from '../../src/checks/probes/lvs-decide.js';

const VIP = '172.28.0.100';
const samples = (...holders: string[][]) => holders.map((h, i) => ({ atMs: i * 500, holders: h }));

describe('vip-holder', () => {
  it('passes one steady holder', () => expect(decideSingleHolder({ vip: VIP, samples: samples(['lvs1'], ['lvs1'], ['lvs1']) }).status).toBe('pass'));
  it('fails a split brain, naming both', () => {
    const o = decideSingleHolder({ vip: VIP, samples: samples(['lvs1'], ['lvs1', 'lvs2']) });
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('lvs1 and lvs2 both hold the VIP');
  });
  it('fails nobody holding it, and a VIP that flaps', () => {
    expect(decideSingleHolder({ vip: VIP, samples: samples([], []) }).message.en).toContain('no director holds');
    expect(decideSingleHolder({ vip: VIP, samples: samples(['lvs1'], ['lvs2'], ['lvs1']) }).message.en).toContain('moved between');
  });
});

const failover = (over: Partial<FailoverObservation> = {}): FailoverObservation => ({
  vip: VIP,
  holdersBefore: ['lvs1'],
  stopped: 'lvs1',
  other: 'lvs2',
  movedAtMs: 1200,
  rows: [-500, -300, -100, 100, 300, 500, 900, 1500, 2500].map((atMs) => ({ atMs, ok: !(atMs > 0 && atMs < 1000) })),
  holderAfterReturn: ['lvs1'],
  expectReturn: true,
  expectWhy: 'lvs1 priority 100, lvs2 priority 50',
  ...over,
});

describe('vip-failover', () => {
  it('passes: the VIP moves, requests recover within 5 s, and the MASTER takes it back', () => {
    const o = decideFailover(failover(), 5000);
    expect(o.status).toBe('pass');
    expect(o.message.en).toMatch(/lvs2 took the VIP 1\.2 s after lvs1 died; 4 request\(s\) failed/);
  });
  it('passes nopreempt: the VIP stays where it went, as configured', () => {
    expect(decideFailover(failover({ holderAfterReturn: ['lvs2'], expectReturn: false }), 5000).status).toBe('pass');
  });
  it('fails when nothing answered before the fault (no virtual_server)', () => {
    const o = decideFailover(failover({ rows: [{ atMs: -200, ok: false }, { atMs: 200, ok: false }] }), 5000);
    expect(o.message.en).toContain('before the fault no request');
  });
  it('fails a slow takeover (advert_int 10) and one that never comes', () => {
    expect(decideFailover(failover({ movedAtMs: 8300 }), 5000).message.en).toContain('lvs2 took it only 8.3 s later, over 5 s');
    expect(decideFailover(failover({ movedAtMs: undefined }), 5000).message.en).toContain('did not take it within 5 s');
    expect(decideFailover(failover({ holdersBefore: ['lvs1', 'lvs2'] }), 5000).message.en).toContain('lvs1 and lvs2 hold the VIP');
    expect(decideFailover(failover({ movedAtMs: undefined }), 5000).status).toBe('fail');
  });
  it('fails a takeover timed before the fault: the VIP was on the other director already', () => {
    const o = decideFailover(failover({ movedAtMs: undefined, timing: { by: 'director', heldBeforeMs: 1400 } }), 5000);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('lvs2 already held the VIP 1.4 s before lvs1 was killed');
  });
  it('says when lab\'s watcher started late, so a slow figure may be its own', () => {
    const o = decideFailover(failover({ movedAtMs: 6100, timing: { by: 'director', watcherLateMs: 5800 } }), 5000);
    expect(o.message.en).toContain('took it only 6.1 s later, over 5 s (lab\'s watcher in lvs2 started 5.8 s after the fault');
  });
  it('fails a quick takeover when the configs allow a slow one (advert_int 2: in time only by luck)', () => {
    const worstTakeover = { seconds: 6 + 2 / 256, adverts: 3, advertInt: 2, skew: 2 / 256, instance: 'VI_VIP' };
    const o = decideFailover(failover({ movedAtMs: 4300, worstTakeover }), 5000);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain(
      'lvs2 took the VIP 4.3 s after lvs1 died this time, but your configs let a takeover take up to 6.0 s (VI_VIP: 3 missed adverts × advert_int 2 s + skew 0.01 s), over 5 s: make VI_VIP\'s advert_int smaller',
    );
    // A slower member of the VIP's sync group holds the group back; five missed adverts at 1 s want fewer adverts.
    const group = decideFailover(failover({ worstTakeover: { seconds: 6.8, adverts: 3, advertInt: 2, skew: 0.8, instance: 'VI_GW', viaGroup: 'LVS' } }), 5000);
    expect(group.message.en).toContain("(VI_GW, in sync group LVS with the VIP's instance: 3 missed adverts × advert_int 2 s");
    const adverts = decideFailover(failover({ worstTakeover: { seconds: 5.8, adverts: 5, advertInt: 1, skew: 0.8, instance: 'VI_VIP' } }), 5000);
    expect(adverts.message.en).toContain('lower down_timer_adverts (3 by default)');
    // advert_int 1 at the lowest priority still fits.
    expect(decideFailover(failover({ worstTakeover: { seconds: 3 + 255 / 256, adverts: 3, advertInt: 1, skew: 255 / 256, instance: 'VI_VIP' } }), 5000).status).toBe('pass');
  });
  it('fails when requests keep failing after the move', () => {
    const rows = [-200, 500, 3000, 6000].map((atMs) => ({ atMs, ok: atMs < 0 }));
    expect(decideFailover(failover({ rows }), 5000).message.en).toContain('requests still failed');
  });
  it('fails equal priorities, wherever the VIP went: VRRP broke the tie by address, not the configs', () => {
    for (const holderAfterReturn of [['lvs1'], ['lvs2']]) {
      const o = decideFailover(failover({ holderAfterReturn, expectReturn: false, tiedPriority: 100 }), 5000);
      expect(o.status).toBe('fail');
      expect(o.message.en).toContain('lvs1 and lvs2 both give the VIP priority 100');
      expect(o.message.zh).toContain('priority 都是 100');
    }
    // A failover that failed is said first.
    expect(decideFailover(failover({ movedAtMs: 8300, tiedPriority: 100 }), 5000).message.en).toContain('took it only 8.3 s later');
  });
  it('fails a preemption that does not match the config', () => {
    const o = decideFailover(failover({ holderAfterReturn: ['lvs2'] }), 5000);
    expect(o.message.en).toContain('your configs say it should return to lvs1');
  });
});

describe('l4-spread', () => {
  const rr = { port: 80, requests: 24, perNode: { haproxy1: 12, haproxy2: 12 }, weights: { haproxy1: 1, haproxy2: 1 }, algo: 'rr' };
  it('passes exact rr and exact wrr 3:1', () => {
    expect(decideSpread([rr]).status).toBe('pass');
    expect(decideSpread([{ ...rr, perNode: { haproxy1: 18, haproxy2: 6 }, weights: { haproxy1: 3, haproxy2: 1 }, algo: 'wrr' }]).status).toBe('pass');
  });
  it('fails a port without a virtual_server, and a virtual_server that forgets one HAProxy', () => {
    expect(decideSpread([rr, { ...rr, port: 443, algo: undefined, perNode: { haproxy1: 0, haproxy2: 0 } }]).message.en).toContain('no virtual_server for VIP:443');
    expect(decideSpread([{ ...rr, weights: { haproxy1: 1, haproxy2: 0 }, perNode: { haproxy1: 24, haproxy2: 0 } }]).message.en).toContain('does not forward to haproxy2');
  });
  it('rr with unequal weights takes turns (as IPVS does): an even split passes, a weighted one fails', () => {
    const w31 = { ...rr, weights: { haproxy1: 3, haproxy2: 1 } };
    expect(decideSpread([w31]).status).toBe('pass');
    expect(decideSpread([{ ...w31, perNode: { haproxy1: 18, haproxy2: 6 } }]).status).toBe('fail');
  });
  it('fails when the director not holding the VIP lacks the virtual_server or a real server (after a failover it would not forward)', () => {
    const ok = { ...rr, standby: [{ node: 'lvs2', hasVs: true, missing: [] }] };
    expect(decideSpread([ok]).status).toBe('pass');
    expect(decideSpread([ok, { ...ok, port: 443, standby: [{ node: 'lvs2', hasVs: false, missing: ['haproxy1', 'haproxy2'] }] }]).message.en).toContain(
      "lvs2's config has no virtual_server for VIP:443: after a failover to lvs2, VIP:443 stops answering",
    );
    expect(decideSpread([{ ...ok, standby: [{ node: 'lvs2', hasVs: true, missing: ['haproxy2'] }] }]).message.en).toContain("lvs2's virtual_server for VIP:80 does not forward to haproxy2");
  });
  it('fails a spread that does not follow the weights, and requests that never reached HAProxy', () => {
    expect(decideSpread([{ ...rr, perNode: { haproxy1: 20, haproxy2: 4 } }]).message.en).toContain('(rr, which takes turns whatever the weights): haproxy1 20, haproxy2 4; expected haproxy1 12, haproxy2 12');
    expect(decideSpread([{ ...rr, algo: 'wrr', weights: { haproxy1: 2, haproxy2: 1 }, perNode: { haproxy1: 18, haproxy2: 6 } }]).message.en).toContain('your weights say haproxy1 16, haproxy2 8');
    expect(decideSpread([{ ...rr, perNode: { haproxy1: 3, haproxy2: 3 } }]).message.en).toContain('only 6 reached HAProxy');
  });
});

describe('l4-health', () => {
  it('passes a node taken out within the bound that serves again on return', () => {
    expect(decideHealth({ stopped: 'haproxy1', takenOutAtMs: 3100, okRun: 6, servedAfterReturn: 3 }, 10_000).status).toBe('pass');
  });
  it('fails without a health check (never taken out) and when it never serves again', () => {
    expect(decideHealth({ stopped: 'haproxy1', okRun: 6, servedAfterReturn: 3 }, 10_000).message.en).toContain('still sent it new connections');
    expect(decideHealth({ stopped: 'haproxy1', okRun: 6, servedAfterReturn: 3, failingPorts: [443] }, 10_000).message.en).toContain('(requests to VIP:443 kept failing)');
    expect(decideHealth({ stopped: 'haproxy1', takenOutAtMs: 2000, okRun: 6, servedAfterReturn: 0 }, 10_000).message.en).toContain('got no traffic again');
  });
});

describe('ipvs-table', () => {
  it('skips, never passes, where the kernel lacks ip_vs', () => {
    const o = decideIpvs({ exitCode: 2, text: "Can't initialize ipvs: Protocol not available\n", vip: VIP, realServers: ['172.28.1.11', '172.28.1.12'] }, [80, 443]);
    expect(o.status).toBe('skip');
    expect(o.message.en).toContain('kernel lacks ip_vs');
  });
  it('reads a real IPVS table where there is one', () => {
    const table = [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      `TCP  ${VIP}:80 rr`,
      '  -> 172.28.1.11:80                Masq    1      0          0',
      '  -> 172.28.1.12:80                Masq    1      0          0',
      `TCP  ${VIP}:443 rr`,
      '  -> 172.28.1.11:443               Masq    1      0          0',
    ].join('\n');
    const o = decideIpvs({ exitCode: 0, text: table, vip: VIP, realServers: ['172.28.1.11', '172.28.1.12'] }, [80, 443]);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('172.28.1.12:443');
    const full = `${table}\n  -> 172.28.1.12:443               Masq    1      0          0`;
    expect(decideIpvs({ exitCode: 0, text: full, vip: VIP, realServers: ['172.28.1.11', '172.28.1.12'] }, [80, 443]).status).toBe('pass');
  });
});
