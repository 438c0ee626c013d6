// The whole topology on a real engine: up, the request path, idempotent re-up, TLS through the VIP,
// director failover, HAProxy failure, keepalived configs, and down. One lab shared by the file.
import { cpSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labStatus } from '../../src/lifecycle/status.js';
import { vipHolders } from '../../src/lifecycle/vip.js';
import { downLab } from '../../src/lifecycle/down.js';
import { upLab } from '../../src/lifecycle/up.js';
import { DEFAULT_DOMAINS, defaultCertificateDomain } from '../../src/certs/index.js';
import { renderTemplate } from '../../src/render/template.js';
import { startLab, testDeps, type TestLab } from '../helpers/lab.js';

let lab: TestLab;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sh(container: string, script: string) {
  return lab.runtime.exec(container, ['sh', '-c', script], { timeoutMs: 30_000 });
}
const client = () => `${lab.name}-client`;

beforeAll(async () => {
  lab = await startLab('exp2', 'topo');
});
afterAll(async () => {
  await lab?.destroy();
});

describe('lab up exp2', () => {
  it('leaves every node healthy and exactly one director holding the VIP', async () => {
    const s = await labStatus(lab.runtime, lab.name);
    expect(s.nodes.map((n) => n.name).sort()).toEqual(
      ['app1', 'app2', 'app3', 'client', 'haproxy1', 'haproxy2', 'lvs1', 'lvs2', 'nginx1', 'nginx2', 'nginx3', 'office'],
    );
    expect(s.nodes.filter((n) => !n.healthy).map((n) => n.name)).toEqual([]);
    expect(['lvs1', 'lvs2']).toContain(s.vip.holder);
    expect(s.forwarding).toMatch(/^(ipvs|nftables)$/);
    expect(s.experiment).toBe('exp2');
  });

  it('reloads (and recreates nothing) when the workspace changes, then serves through the whole chain', async () => {
    const ws = lab.result.workspaceDir;
    cpSync(path.join(lab.result.lab.solutionDir, 'haproxy'), path.join(ws, 'haproxy'), { recursive: true });
    cpSync(path.join(lab.result.lab.solutionDir, 'nginx'), path.join(ws, 'nginx'), { recursive: true });
    const r = await lab.up();
    expect(r.recreated).toEqual([]);
    expect(r.plan.steps.map((s) => `${s.op} ${'node' in s ? s.node.node : ''}`).sort()).toEqual(
      ['reload haproxy1', 'reload haproxy2', 'reload nginx1', 'reload nginx2', 'reload nginx3'],
    );

    const s = await labStatus(lab.runtime, lab.name);
    const clientIp = s.nodes.find((n) => n.name === 'client')!.addresses[`${lab.name}-edge`]!;
    const haproxyWebIps = s.nodes.filter((n) => n.role === 'haproxy').map((n) => n.addresses[`${lab.name}-web`]);
    const nginxAppIps = s.nodes.filter((n) => n.role === 'nginx').map((n) => n.addresses[`${lab.name}-app`]);
    const res = await sh(client(), 'curl -sS -m 5 http://go-backend.liujun.com/api/e2e');
    expect(res.exitCode).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body.app).toMatch(/^app[123]$/);
    expect(body.host).toBe('go-backend.liujun.com');
    expect(body.path).toBe('/api/e2e');
    // X-Forwarded-For: the client's own address (kept by the director), then the HAProxy that forwarded it.
    const [xffClient, xffProxy] = String(body.xff).split(/,\s*/);
    expect(xffClient).toBe(clientIp);
    expect(haproxyWebIps).toContain(xffProxy);
    // The app was called by an Nginx node.
    expect(nginxAppIps).toContain(body.peer);
    // And the connection to the VIP went through the director that holds it.
    const holder = `${lab.name}-${s.vip.holder}`;
    const ct = await sh(holder, 'cat /proc/net/nf_conntrack');
    expect(ct.stdout).toMatch(new RegExp(`src=${clientIp.replace(/\./g, '\\.')} dst=${s.vip.address!.replace(/\./g, '\\.')} .*dport=80`));
  });

  it('recreates zero containers on a second up', async () => {
    const r = await lab.up();
    expect(r.recreated).toEqual([]);
    expect(r.plan.steps).toEqual([]);
    expect(r.plan.unchanged).toHaveLength(12);
  });

  it('presents, for each of the seven domains, a certificate for that domain that chains to the lab CA', async () => {
    const vip = lab.result.topology!.vip;
    for (const domain of DEFAULT_DOMAINS) {
      const r = await sh(
        client(),
        `openssl s_client -connect ${vip}:443 -servername ${domain} -verify_return_error -CAfile /etc/lab/ca.crt </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName`,
      );
      expect(r.exitCode, `${domain}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`DNS:${domain}`);
    }
    // A client without SNI gets the deliberately chosen default certificate.
    const noSni = await sh(client(), `openssl s_client -connect ${vip}:443 -noservername -CAfile /etc/lab/ca.crt </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName`);
    expect(noSni.stdout).toContain(`DNS:${defaultCertificateDomain(DEFAULT_DOMAINS)}`);
  });

  it('the client trusts the lab CA as the system does (curl, openssl -CApath), once, also after a restart', async () => {
    const domain = DEFAULT_DOMAINS[0]!;
    const vip = lab.result.topology!.vip;
    // The lab CA's own line: how many times the system bundle holds it.
    const inBundle = `grep -cxF "$(sed -n 2p /etc/lab/ca.crt)" /etc/ssl/certs/ca-certificates.crt`;
    const trusts = async () => {
      const curl = await sh(client(), `curl -sS -o /dev/null -w '%{http_code}' https://${domain}/`);
      // Exit 60 when the certificate is not trusted; any HTTP answer means the handshake verified.
      expect(curl.exitCode, curl.stderr).toBe(0);
      expect(curl.stdout).toMatch(/^[1-5]\d\d$/);
      const capath = await sh(client(), `openssl s_client -connect ${vip}:443 -servername ${domain} -no-CAfile -no-CAstore -CApath /etc/ssl/certs -verify_return_error </dev/null >/dev/null 2>&1`);
      expect(capath.exitCode).toBe(0);
      expect((await sh(client(), inBundle)).stdout.trim()).toBe('1');
    };
    await trusts();
    const total = (await sh(client(), 'grep -c BEGIN /etc/ssl/certs/ca-certificates.crt')).stdout.trim();
    await lab.runtime.stopContainer(client(), 1);
    await lab.runtime.startContainer(client());
    for (let i = 0; i < 100 && (await sh(client(), 'test -e /run/lab-client.ready')).exitCode !== 0; i++) await sleep(100);
    await trusts();
    expect((await sh(client(), 'grep -c BEGIN /etc/ssl/certs/ca-certificates.crt')).stdout.trim()).toBe(total);
  });

  it('renders keepalived configs, virtual_server blocks included, that pass keepalived -t in both modes', async () => {
    const director = `${lab.name}-lvs1`;
    const s = await labStatus(lab.runtime, lab.name);
    const lvs1 = s.nodes.find((n) => n.name === 'lvs1')!;
    const edgeIp = lvs1.addresses[`${lab.name}-edge`]!;
    const proxyIp = lvs1.addresses[`${lab.name}-proxy`]!;
    const officeIp = lvs1.addresses[`${lab.name}-office`]!;
    for (const forwarding of ['ipvs', 'nftables']) {
      const conf = renderTemplate('keepalived/keepalived.conf.tmpl', {
        node: 'lvs1', forwarding, state: 'MASTER', priority: 100, edgeIp, proxyIp, officeIp, vip: s.vip.address, gatewayVip: '10.0.0.1', officeGatewayVip: '10.0.1.1',
        virtualServers: [80, 443].map((port) => ({ port, realServers: [{ ip: '10.0.0.11', port }, { ip: '10.0.0.12', port }] })),
      });
      expect(conf).toContain('virtual_server');
      const ifOf = (ip: string) => `-e "s/@IF:${ip}@/$(ip -o -4 addr | awk '$4 ~ /^${ip}\\//{print $2}')/"`;
      const resolve = `sed ${ifOf(edgeIp)} ${ifOf(proxyIp)} ${ifOf(officeIp)}`;
      const ok = await lab.runtime.exec(director, ['sh', '-c', `${resolve} > /tmp/k.conf && keepalived -t -f /tmp/k.conf`], { stdin: conf });
      expect(ok.exitCode, ok.stderr).toBe(0);
      // The same validator rejects a broken config, so the check above can fail.
      const bad = await lab.runtime.exec(director, ['sh', '-c', `${resolve} > /tmp/k.conf && keepalived -t -f /tmp/k.conf`], { stdin: conf.replace('lb_kind NAT', 'lb_kind BOGUS') });
      expect(bad.exitCode).not.toBe(0);
    }
  });

  it('stops sending new connections to a dead HAProxy within 3 s', async () => {
    await lab.runtime.stopContainer(`${lab.name}-haproxy1`, 1);
    await sleep(3000);
    const r = await sh(client(), 'ok=0; for i in $(seq 1 12); do curl -s -o /dev/null -m 2 --connect-timeout 1 -w "%{http_code}\\n" http://stars.liujun.com/api/x | grep -q 200 && ok=$((ok+1)); done; echo $ok');
    expect(r.stdout.trim()).toBe('12');
    await lab.up(); // starts haproxy1 again
  });

  it('moves the VIP to the other director within 5 s when the holder stops, and requests succeed again', async () => {
    const s = await labStatus(lab.runtime, lab.name);
    const holder = s.vip.holder!;
    const other = holder === 'lvs1' ? 'lvs2' : 'lvs1';
    const directors = ['lvs1', 'lvs2'].map((n) => ({ node: n, container: `${lab.name}-${n}` }));
    await lab.runtime.stopContainer(`${lab.name}-${holder}`, 5);
    const deadline = Date.now() + 5000;
    let holders: string[] = [];
    while (Date.now() < deadline) {
      holders = await vipHolders(lab.runtime, directors, s.vip.address!);
      if (holders.length === 1 && holders[0] === other) break;
      await sleep(200);
    }
    expect(holders).toEqual([other]);
    const r = await sh(client(), 'for i in 1 2 3 4 5; do curl -s -m 3 http://touch.liujun.com/api/after-failover && break; sleep 1; done');
    expect(JSON.parse(r.stdout).host).toBe('touch.liujun.com');
    await lab.up();
  });
});

describe('lab up --publish', () => {
  it('forwards 127.0.0.1:<port> on the host to VIP:80 through the client (for hosts without a route)', async () => {
    const r = await upLab({ experiment: 'exp2', cwd: lab.cwd, yes: true, interactive: false, timeoutMs: 120_000, publishPort: 18080 }, testDeps(lab.runtime, lab.name));
    expect(r.recreated).toEqual([`${lab.name}-client`]);
    let body = '';
    for (let i = 0; i < 20 && !body; i++) {
      body = await new Promise<string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: 18080, path: '/api/published', headers: { Host: 'vue-web.liujun.com' }, timeout: 2000 }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        });
        req.on('error', () => resolve(''));
        req.on('timeout', () => req.destroy());
      });
      if (!body) await sleep(250);
    }
    expect(JSON.parse(body)).toMatchObject({ host: 'vue-web.liujun.com', path: '/api/published' });
  });
});

describe('lab down', () => {
  it('removes every labelled resource of the lab and leaves unlabelled ones alone', async () => {
    const rt = lab.runtime;
    const image = lab.result.topology!.nodes.find((n) => n.role === 'client')!.container.image;
    const strayNet = `stray-${lab.name}`;
    const strayBox = `stray-${lab.name}`;
    await rt.createNetwork({ name: strayNet, subnet: '172.31.254.0/24', gateway: '172.31.254.1', labels: {} });
    try {
      await rt.createContainer({
        name: strayBox, hostname: 'stray', image, labels: {}, env: {}, cmd: ['sleep', '60'],
        endpoints: [{ network: strayNet, ip: '172.31.254.5', aliases: [] }], mounts: [], capAdd: [], sysctls: {}, extraHosts: [], memoryBytes: 32 * 1024 * 1024,
      });
      const removed = await downLab(rt, lab.name);
      expect(removed.containers).toHaveLength(12);
      expect(removed.networks).toHaveLength(5);
      expect(await rt.listContainers({ 'lab.name': lab.name })).toEqual([]);
      expect(await rt.listNetworks({ 'lab.name': lab.name })).toEqual([]);
      expect(await rt.inspectContainer(strayBox)).toBeDefined();
      expect((await rt.listNetworks()).some((n) => n.name === strayNet)).toBe(true);
      // Nothing left: a second down is fine and removes nothing.
      expect(await downLab(rt, lab.name)).toEqual({ containers: [], networks: [] });
    } finally {
      await rt.removeContainer(strayBox);
      await rt.removeNetwork(strayNet);
    }
  });
});
