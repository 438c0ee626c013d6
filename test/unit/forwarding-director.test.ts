// The director's generated files: keepalived.conf from the template and, without IPVS, the forwarder's
// spec made from that same text; and the lab's timers, which must take a dead HAProxy out within ~1.5 s.
import { describe, expect, it } from 'vitest';
import { isValid, parseKeepalived, virtualServers, vrrpInstances } from '../../src/forwarding/keepalived-config.js';
import { l4Spec } from '../../src/forwarding/l4-spec.js';
import { vrrpAddresses } from '../../src/topology/kinds/director.js';
import { director, keepalivedPath, l4SpecPath } from '../../src/topology/kinds/director.js';
import type { BuildContext } from '../../src/topology/kinds/kind.js';
import path from 'node:path';
import { labsDir } from '../../src/util/paths.js';

const subnets = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24', office: '172.28.4.0/24' };
const ctx = (forwarding: 'ipvs' | 'nftables'): BuildContext => ({
  lab: 'fw', experiment: 'exp2', forwarding, images: {}, subnets, ...vrrpAddresses(subnets),
  rootDir: '/', workspaceDir: '/w', certsDir: '/c', stateDir: '/s', domains: [], nginxTls: false, keepalived: 'lab', inodeOf: () => 1,
});

describe('director files', () => {
  it('without IPVS: keepalived.conf and l4.spec beside it, the spec made from keepalived.conf', () => {
    for (const i of [0, 1]) {
      const files = director.files!(ctx('nftables'), i);
      expect(Object.keys(files)).toEqual([keepalivedPath(ctx('nftables'), i), l4SpecPath(ctx('nftables'), i)]);
      expect(l4SpecPath(ctx('nftables'), i)).toBe(`/s/nodes/lvs${i + 1}/l4.spec`);
      const conf = files[keepalivedPath(ctx('nftables'), i)]!;
      const parsed = parseKeepalived(conf, { file: keepalivedPath(ctx('nftables'), i) });
      expect(parsed.errors).toEqual([]);
      expect(files[l4SpecPath(ctx('nftables'), i)]).toBe(l4Spec(parsed));
      expect(vrrpInstances(parsed).map((v) => [v.name, v.state, v.priority, v.virtualIpaddress])).toEqual([
        ['VI_EDGE', i ? 'BACKUP' : 'MASTER', i ? 50 : 100, ['172.28.0.100/24']],
        ['VI_GW', i ? 'BACKUP' : 'MASTER', i ? 50 : 100, ['172.28.1.254/24']],
        ['VI_OFFICE', i ? 'BACKUP' : 'MASTER', i ? 50 : 100, ['172.28.4.254/24']],
      ]);
    }
    expect(director.files!(ctx('nftables'), 0)[l4SpecPath(ctx('nftables'), 0)]!.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'lab-l4 1',
      'vs 172.28.0.100 80 rr', 'rs 172.28.1.11 80 1', 'check 172.28.1.11 80 0.3 1 0.2 0.5 0.5 0', 'rs 172.28.1.12 80 1', 'check 172.28.1.12 80 0.3 1 0.2 0.5 0.5 0',
      'vs 172.28.0.100 443 rr', 'rs 172.28.1.11 443 1', 'check 172.28.1.11 443 0.3 1 0.2 0.5 0.5 0', 'rs 172.28.1.12 443 1', 'check 172.28.1.12 443 0.3 1 0.2 0.5 0.5 0',
      // exp8's RDP listener (tutorial 5.1.8).
      'vs 172.28.0.100 3389 rr', 'rs 172.28.1.11 3389 1', 'check 172.28.1.11 3389 0.3 1 0.2 0.5 0.5 0', 'rs 172.28.1.12 3389 1', 'check 172.28.1.12 3389 0.3 1 0.2 0.5 0.5 0',
      '',
    ]);
  });

  it('with IPVS: keepalived.conf only (keepalived forwards itself)', () => {
    expect(Object.keys(director.files!(ctx('ipvs'), 0))).toEqual([keepalivedPath(ctx('ipvs'), 0)]);
  });

  it('tells the forwarder where its spec is, and recreates the director when either file changes', () => {
    const env = director.container(ctx('nftables'), 0).env;
    expect(env.LAB_L4_SPEC).toBe('/etc/lab/l4.spec');
    expect(director.container(ctx('nftables'), 0).mounts).toEqual([{ source: '/s/nodes/lvs1', target: '/etc/lab', readOnly: true }]);
    expect(env.LAB_CONFIG_HASH).not.toBe(director.container(ctx('ipvs'), 0).env.LAB_CONFIG_HASH);
  });

  it('takes a dead HAProxy out within about 1.5 s: next check, connect_timeout, delay_before_retry, one retry', () => {
    const parsed = parseKeepalived(director.files!(ctx('nftables'), 0)[keepalivedPath(ctx('nftables'), 0)]!, { file: 'k.conf' });
    expect(isValid(parsed)).toBe(true);
    for (const vs of virtualServers(parsed)) {
      for (const rs of vs.realServers) {
        const t = rs.tcpCheck!;
        // A check that was succeeding: up to delay_loop until the next one, which times out, then `retry`
        // retries delay_before_retry apart, each up to connect_timeout.
        const worst = t.delayLoop + t.connectTimeout + t.retry * (t.delayBeforeRetry + t.connectTimeout);
        expect(worst).toBeLessThanOrEqual(1.5);
        expect(t.retry).toBeGreaterThanOrEqual(1); // one lost SYN does not take a healthy HAProxy out
        expect(t.connectPort).toBe(vs.port);
      }
    }
  });
});

describe("lab's include for a student-written config (exp7)", () => {
  it('defines exactly the variables lab documents, and the student files of exp7 parse without errors', async () => {
    const { labInclude, LAB_INCLUDE_VARIABLES, parseStudentConf } = await import('../../src/topology/kinds/director.js');
    const text = labInclude(ctx('nftables'), 0);
    const defined = [...text.matchAll(/^\$(\w+)=/gm)].map((m) => m[1]);
    expect(defined).toEqual([...LAB_INCLUDE_VARIABLES]);
    for (const dir of ['start', 'solution']) {
      for (const i of [0, 1]) {
        const parsed = parseStudentConf({ ...ctx('nftables'), workspaceDir: path.join(labsDir, 'exp7', dir) }, i);
        expect(parsed.errors, `${dir} lvs${i + 1}`).toEqual([]);
      }
    }
  });
});
