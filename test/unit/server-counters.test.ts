// HAProxy's per-server counters as the probes read them: sessions that carried no client byte (the
// directors' connect-only health checks through a mode-tcp proxy) are not requests, and the RDP probe
// counts its connections by their exact size.
import { describe, expect, it } from 'vitest';
import { connectionsBySize, counterView, serverDeltas, serverTable } from '../../src/checks/probes/server-counters.js';
import { requestBytes } from '../../src/checks/probes/rdp-cookie.js';

type Row = [pxname: string, svname: string, stot: number, bin: number];
const snap = (node: string, rows: Row[]) => ({
  node,
  rows: rows.map(([pxname, svname, stot, bin]) => ({ pxname, svname, stot: String(stot), bin: String(bin), status: 'UP', weight: '1' })),
});

describe('server counters', () => {
  const before = serverTable([snap('haproxy1', [['param', 'web1', 10, 1000], ['param', 'web2', 10, 1000], ['tls', 'web1', 5, 0], ['rdp', 'ts1', 3, 0]])]);

  it('counts sessions that carried bytes; a health check through a tcp proxy (a session, no byte) is not traffic', () => {
    const after = serverTable([snap('haproxy1', [['param', 'web1', 14, 1400], ['param', 'web2', 12, 1200], ['tls', 'web1', 7, 0], ['rdp', 'ts1', 4, 0]])]);
    expect(Object.fromEntries(serverDeltas(before, after))).toEqual({ 'param/web1': 4, 'param/web2': 2 });
    expect(Object.keys(counterView(before, after).deltas)).toEqual(['param/web1', 'param/web2']);
  });

  it('still sees a request that went to a mode-tcp backend by mistake, and a reload (counters down)', () => {
    const after = serverTable([snap('haproxy1', [['param', 'web1', 10, 1000], ['param', 'web2', 10, 1000], ['tls', 'web1', 6, 90], ['rdp', 'ts1', 0, 0]])]);
    expect(Object.fromEntries(serverDeltas(before, after))).toEqual({ 'tls/web1': 1, 'rdp/ts1': -3 });
  });

  it('RDP connections by size: three Connection Requests on ts1, and the checks beside them add nothing', () => {
    const size = requestBytes('mstshash', 'anna');
    const after = serverTable([snap('haproxy1', [['param', 'web1', 10, 1000], ['param', 'web2', 10, 1000], ['tls', 'web1', 9, 0], ['rdp', 'ts1', 8, 3 * size]])]);
    expect(Object.fromEntries(connectionsBySize(before, after, size))).toEqual({ 'rdp/ts1': 3 });
  });
});
