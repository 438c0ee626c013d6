import { describe, expect, it } from 'vitest';
import { renderString } from '../../src/render/template.js';
import { director, keepalivedPath } from '../../src/topology/kinds/director.js';
import { vrrpAddresses } from '../../src/topology/kinds/director.js';
import type { BuildContext } from '../../src/topology/kinds/kind.js';
import { mermaid } from '../../src/topology/graph.js';

const subnets = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24', office: '172.28.4.0/24' };
const ctx = (forwarding: 'ipvs' | 'nftables'): BuildContext => ({
  lab: 'r', experiment: 'exp2', forwarding, images: {}, subnets, ...vrrpAddresses(subnets),
  rootDir: '/', workspaceDir: '/w', certsDir: '/c', stateDir: '/s', domains: [], nginxTls: false, inodeOf: () => 1,
});

describe('template renderer', () => {
  it('renders values, lists and inverted sections', () => {
    expect(renderString('{{a}}:{{#xs}}[{{.}}]{{/xs}}{{^none}}-{{/none}}', { a: 1, xs: [2, 3], none: [] })).toBe('1:[2][3]-');
    expect(renderString('{{#rs}}{{ip}}:{{port}} {{/rs}}', { port: 80, rs: [{ ip: 'a' }, { ip: 'b' }] })).toBe('a:80 b:80 ');
  });

  it('fails loudly on a name the data does not give', () => {
    expect(() => renderString('{{missing}}', {}, 't.tmpl')).toThrow('template t.tmpl uses {{missing}}, which was not given');
  });
});

describe('keepalived.conf for the directors', () => {
  for (const forwarding of ['ipvs', 'nftables'] as const) {
    it(`has MASTER/BACKUP, both VRRP addresses and virtual_server blocks for 80 and 443 (${forwarding})`, () => {
      const [master, backup] = [0, 1].map((i) => director.files!(ctx(forwarding), i)[keepalivedPath(ctx(forwarding), i)]!);
      expect(master).toMatch(/state MASTER\s+interface @IF:172\.28\.0\.2@[\s\S]*priority 100/);
      expect(backup).toMatch(/state BACKUP\s+interface @IF:172\.28\.0\.3@[\s\S]*priority 50/);
      for (const conf of [master, backup]) {
        expect(conf).toContain('172.28.0.100/24');
        expect(conf).toContain('172.28.1.254/24');
        // The office network's gateway moves with the VIP (one sync group).
        expect(conf).toMatch(/vrrp_instance VI_OFFICE \{\s+state (MASTER|BACKUP)\s+interface @IF:172\.28\.4\.[23]@/);
        expect(conf).toContain('172.28.4.254/24');
        expect(conf).toMatch(/group \{\s+VI_EDGE\s+VI_GW\s+VI_OFFICE\s+\}/);
        for (const port of [80, 443]) {
          expect(conf).toContain(`virtual_server 172.28.0.100 ${port} {`);
          expect(conf).toContain(`real_server 172.28.1.11 ${port} {`);
          expect(conf).toContain(`real_server 172.28.1.12 ${port} {`);
        }
        expect(conf).toContain('lb_kind NAT');
        expect(conf).toContain(`Forwarding mode: ${forwarding}`);
      }
    });
  }

  it('tells the director which mode to run and which HAProxy nodes to forward to', () => {
    const env = director.container(ctx('nftables'), 0).env;
    expect(env).toMatchObject({ LAB_FORWARDING: 'nftables', LAB_VIP: '172.28.0.100', LAB_BACKENDS: '172.28.1.11 172.28.1.12', LAB_PORTS: '80 443 3389' });
    expect(director.container(ctx('nftables'), 0).capAdd).toEqual(['NET_ADMIN', 'NET_RAW']);
  });
});

describe('lab graph', () => {
  it('draws every tier and edge in Mermaid, with live addresses when given', () => {
    const g = mermaid({ experiment: 'exp2', vip: '172.28.0.100', addresses: { haproxy1: '172.28.1.11' } });
    expect(g.startsWith('graph TB\n')).toBe(true);
    for (const n of ['client', 'office', 'lvs1', 'lvs2', 'haproxy1', 'haproxy2', 'nginx1', 'nginx3', 'app1', 'app3']) expect(g).toContain(`${n}[`);
    expect(g).toContain('VIP((VIP<br/>172.28.0.100))');
    expect(g).toContain('haproxy1[haproxy1<br/>172.28.1.11]');
    expect(g).toContain('haproxy2 -->|七层转发| nginx3');
    // client and office → VIP, VIP → 2 directors, 2 × 2 director → HAProxy, 2 × 3 HAProxy → Nginx, 3 × 3 Nginx → app.
    expect(g.match(/-->|-\.->/g)!.length).toBe(2 + 2 + 4 + 6 + 9);
  });

  it("draws each experiment's own ports and title", () => {
    expect(mermaid({ experiment: 'exp2', title: 'seven domains', ports: [80, 443] })).toContain('client -->|HTTP/HTTPS 80/443| VIP');
    const g3 = mermaid({ experiment: 'exp3', title: 'algorithms', ports: [80] });
    expect(g3).toContain('client -->|HTTP 80| VIP');
    expect(g3).toContain('%% exp3: algorithms');
  });
});
