// Unit tests of the grader: the checks schema and the probe registry, the parsers behind the probes
// (curl and s_client output, HAProxy's CSV stats, haproxy.cfg), the routing arithmetic, certificate
// judgement, the runner (retries, timeouts, skips, ordering, scoring) and the four report formats.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCerts } from '../../src/certs/index.js';
import { onceOk, type BaseContext } from '../../src/checks/context.js';
import { frontendOn, frontends, statsSockets, words } from '../../src/checks/haproxy-config.js';
import { curlArgs, curlScript, NodeClient, parseCurlOutput, type HttpClient } from '../../src/checks/http.js';
import { PROBES } from '../../src/checks/probes/index.js';
import { human, junit, tap, toJson } from '../../src/checks/report.js';
import { resolveLang, runChecks } from '../../src/checks/runner.js';
import { CheckDef, Checks, PROBE_KINDS } from '../../src/checks/schema.js';
import { backendTotalsOf, decodeBinary, decodeLinear, deltas, parseStatCsv } from '../../src/checks/stats.js';
import { judgeChain, nameMatches, parseS_client } from '../../src/checks/tls.js';
import { hopOf } from '../../src/checks/probes/server-counters.js';
import { seen } from '../../src/checks/probes/util.js';
import { decideDistribution, parseRawHttp } from '../../src/checks/probes/lb-distribution.js';
import { stride } from '../../src/checks/probes/lb-sticky.js';
import { decideRateLimit, firstRun } from '../../src/checks/probes/rate-limit.js';
import { decideRouting } from '../../src/checks/probes/routing.js';
import type { ProbeImpl } from '../../src/checks/types.js';
import { t } from '../../src/checks/types.js';
import { loadLab, parseLabFile } from '../../src/labs/load.js';

describe('checks schema and probe registry', () => {
  it('every probe kind in the schema has code, and every probe in code is in the schema', () => {
    expect(Object.keys(PROBES).sort()).toEqual([...PROBE_KINDS].sort());
    for (const [kind, impl] of Object.entries(PROBES)) expect(impl.kind).toBe(kind);
  });

  it('exp1 and exp2 declare their checks; every step verifies existing check ids', () => {
    for (const [exp, n] of [['exp1', 7], ['exp2', 9]] as const) {
      const lab = loadLab(exp);
      expect(lab.def.checks).toHaveLength(n);
      const ids = lab.def.checks.map((c) => c.id);
      for (const s of lab.def.steps) for (const id of s.verify?.checks ?? []) expect(ids, `${exp} step ${s.id}`).toContain(id);
      expect(lab.def.checks.reduce((a, c) => a + c.points, 0)).toBe(100);
    }
  });

  const minimal = (probe: string) => `id: exp9
title: { zh: 九, en: Nine }
workspace: [haproxy/haproxy.cfg]
checks:
  - id: one
    title: { zh: 一, en: One }
    points: 5
    hint: { zh: 提示, en: A hint }
    probe: ${probe}
`;

  it('an unknown probe kind is a one-line error naming the supported kinds', () => {
    let err: Error | undefined;
    try {
      parseLabFile('labs/exp9/lab.yaml', minimal('{ kind: stats-pasword }'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message.split('\n')).toHaveLength(1);
    expect(err?.message).toMatch(/^labs\/exp9\/lab\.yaml:\d+: checks\[0\]\.probe\.kind: unknown probe kind "stats-pasword"; supported kinds: haproxy-config-valid, stats-auth, /);
  });

  it('fills defaults; a numeric YAML password becomes a string', () => {
    const def = parseLabFile('x.yaml', minimal('{ kind: stats-auth, credentials: { user: admin, password: 123456 } }'));
    const c = def.checks[0]!;
    expect(c).toMatchObject({ required: true, retries: 1, timeoutMs: 20000, probe: { kind: 'stats-auth', port: 8404, uri: '/stats', credentials: { password: '123456' } } });
  });

  it('rejects unknown probe parameters and duplicate ids', () => {
    expect(() => parseLabFile('x.yaml', minimal('{ kind: tls-sni, domain: a.b }'))).toThrow(/checks\[0\]\.probe\.domain/);
    const one = { id: 'a', title: { zh: 'a', en: 'a' }, points: 1, hint: { zh: 'h', en: 'h' }, probe: { kind: 'tls-sni' } };
    expect(Checks.safeParse([one, one]).error?.issues[0]?.message).toBe('duplicate check id "a"');
  });
});

describe('curl in a container', () => {
  it('forces every connection to one address and marks the trailer', () => {
    const a = curlArgs({ scheme: 'https', host: 'go.example', port: 443, path: '/x', maxRedirects: 3, auth: { user: 'u', password: 'p' } }, 4, '10.1.2.3', 'TOK');
    expect(a).toEqual(expect.arrayContaining(['--connect-to', '::10.1.2.3:', '-L', '--max-redirs', '3', '-u', 'u:p', 'https://go.example/x']));
    expect(a.join(' ')).toContain('@@TOK W 4 %{json}');
  });

  it('keeps a group in one curl process (keep-alive) and quotes safely', () => {
    const reqs = [0, 1, 2, 3].map((i) => ({ scheme: 'http' as const, host: "it's.example", port: 80, path: `/${i}`, group: i < 3 ? 'g' : undefined }));
    const script = curlScript(reqs, '10.0.0.1', 'T', 8);
    // Two curl processes; the group's three requests are chained with --next in one of them.
    expect(script.match(/^curl /gm)).toHaveLength(2);
    expect(script.match(/ --next /g)).toHaveLength(2);
    expect(script).toContain(`'http://it'\\''s.example/0'`);
  });

  it('a group with a gap starts its requests that far apart (curl --rate), run for real against a local server', async () => {
    const seenAt: { url: string; at: number }[] = [];
    const server = http.createServer((req, res) => {
      seenAt.push({ url: req.url ?? '', at: Date.now() });
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' }).end(req.url);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const reqs = [0, 1, 2, 3].map((i) => ({ scheme: 'http' as const, host: 'x.example', port, path: `/${i}`, group: 'g', gapMs: 150 }));
      const script = curlScript([...reqs, { scheme: 'http', host: 'x.example', port, path: '/other' }], '127.0.0.1', 'T', 8);
      expect(script).toMatch(/^curl --rate 400\/m /m);
      expect(script.match(/--rate/g)).toHaveLength(1);
      // Asynchronously: the server answers from this same process.
      const out = await new Promise<string>((resolve, reject) => {
        const sh = spawn('sh', ['-s']);
        let text = '';
        sh.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
        sh.on('error', reject);
        sh.on('close', () => resolve(text));
        sh.stdin.end(script);
      });
      expect(parseCurlOutput(out, 'T', 5).map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3', '/other']);
      // The group's four in order, spread over at least about three gaps. The fifth ran beside them and is
      // left out: landing between two of them (a loaded machine starts its curl late) it split a gap in
      // two. Not each gap: curl schedules a transfer from the planned start of the one before, so one
      // started late (seen under load) is followed by a shorter gap; but none starts early.
      expect(seenAt).toHaveLength(5);
      const group = seenAt.filter((s) => s.url !== '/other');
      expect(group.map((s) => s.url)).toEqual(['/0', '/1', '/2', '/3']);
      const gaps = group.slice(1).map((s, i) => s.at - group[i]!.at);
      expect(group[3]!.at - group[0]!.at, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(3 * 120);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('parses bodies, metadata and failures back into request order', () => {
    const out =
      `{"app":"a"}\n@@T W 1 {"http_code":200,"num_redirects":1,"exitcode":0,"errormsg":null,"url_effective":"https://x/","local_ip":"10.0.0.9"}\n@@T H {"server":["nginx"],"x-a":["1","2"]}\n@@T END\n` +
      `\n@@T W 0 {"http_code":0,"num_redirects":0,"exitcode":7,"errormsg":"Couldn't connect","url_effective":"http://x/"}\n@@T H {}\n@@T END\n`;
    const [r0, r1, r2] = parseCurlOutput(out, 'T', 3);
    expect(r0).toMatchObject({ ok: false, status: 0, errorCode: 'refused', error: "Couldn't connect" });
    expect(r1).toMatchObject({ ok: true, status: 200, redirects: 1, body: '{"app":"a"}', headers: { server: 'nginx', 'x-a': '1, 2' }, localAddress: '10.0.0.9' });
    expect(r2).toMatchObject({ ok: false, error: 'no result from curl' });
    expect(parseCurlOutput(`\n@@T W 0 {"http_code":301,"num_redirects":5,"exitcode":47,"errormsg":"Maximum (5) redirects followed"}\n@@T H {}\n@@T END\n`, 'T', 1)[0]).toMatchObject({ ok: false, errorCode: 'too-many-redirects' });
  });
});

describe('node:http client (--target)', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/loop') res.writeHead(302, { Location: 'http://elsewhere.example/loop' }).end();
      else if (req.url === '/hop') res.writeHead(301, { Location: `/done` }).end();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ host: req.headers.host, auth: req.headers.authorization ?? null }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends Host without the port, follows redirects, and never leaves the target address', async () => {
    const c = new NodeClient('127.0.0.1', { http: port, https: port });
    const [hop, loop, auth] = await c.batch([
      { scheme: 'http', host: 'go.example', port, path: '/hop', maxRedirects: 3 },
      // Redirects to another host name: still connected to 127.0.0.1 (port 80 of the URL maps to --http-port).
      { scheme: 'http', host: 'go.example', port, path: '/loop', maxRedirects: 4 },
      { scheme: 'http', host: 'go.example', port, path: '/', auth: { user: 'admin', password: '123456' } },
    ]);
    expect(hop).toMatchObject({ ok: true, status: 200, redirects: 1, localAddress: '127.0.0.1' });
    expect(JSON.parse(hop!.body).host).toBe('go.example');
    expect(loop).toMatchObject({ ok: false, errorCode: 'too-many-redirects', redirects: 4 });
    expect(JSON.parse(auth!.body).auth).toBe(`Basic ${Buffer.from('admin:123456').toString('base64')}`);
    const [refused] = await new NodeClient('127.0.0.1', { http: 1, https: 1 }).batch([{ scheme: 'http', host: 'x', port: 1, path: '/' }]);
    expect(refused).toMatchObject({ ok: false, errorCode: 'refused' });
  });

  it('a group with a gap runs one after another, that far apart; the rest at once', async () => {
    const c = new NodeClient('127.0.0.1', { http: port, https: port });
    const t0 = Date.now();
    const reqs = [0, 1, 2].map((i) => ({ scheme: 'http' as const, host: 'go.example', port, path: `/g${i}`, group: 'g', gapMs: 150 }));
    const done: number[] = [];
    const res = await c.batch([...reqs, { scheme: 'http', host: 'go.example', port, path: '/alone' }]).then((r) => (done.push(Date.now() - t0), r));
    expect(res.map((r) => r.ok)).toEqual([true, true, true, true]);
    // Three starts 150 ms apart, the last one waited for too: at least 450 ms in all.
    expect(done[0]).toBeGreaterThanOrEqual(440);
  });
});

describe('certificates', () => {
  let dir: string;
  let other: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-checks-certs-'));
    other = mkdtempSync(path.join(os.tmpdir(), 'lab-checks-certs2-'));
    await ensureCerts({ outDir: dir, log: () => {} });
    await ensureCerts({ outDir: other, log: () => {} });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  it('judges SAN against the SNI and the chain against the lab CA', () => {
    const ca = readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8');
    const stars = readFileSync(path.join(dir, 'stars.liujun.com', 'certificate.crt'), 'utf8');
    expect(judgeChain([stars], 'stars.liujun.com', ca)).toMatchObject({ ok: true, names: ['stars.liujun.com'] });
    expect(judgeChain([stars], 'touch.liujun.com', ca)).toMatchObject({ ok: false, matchesHost: false, chainsToCa: true });
    const otherCa = readFileSync(path.join(other, 'ca', 'ca.crt'), 'utf8');
    expect(judgeChain([stars], 'stars.liujun.com', otherCa)).toMatchObject({ ok: false, chainsToCa: false });
    const out = `\n@@K 0\nCONNECTED(00000003)\n${stars}\n---\n\n@@K 1\n4097:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:354:\n`;
    const [ok, bad] = parseS_client(out, 'K', 2);
    expect(ok!.chain).toHaveLength(1);
    expect(bad).toMatchObject({ chain: [], error: 'the port answers, but not with TLS (plain HTTP there?)' });
  });

  it("says s_client's failures in plain words, keeping OpenSSL's reason when it has no plain one", () => {
    const one = (text: string) => parseS_client(`\n@@K 0\n${text}\n`, 'K', 1)[0]!.error;
    expect(one('40C7B1D6E27F0000:error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:117:calling connect()\nconnect:errno=111'))
      .toBe('connection refused (nothing listens on that port)');
    expect(one('CONNECTED(00000003)\n40C7:error:0A000126:SSL routines::unexpected eof while reading:../ssl/record/rec_layer_s3.c:308:')).toBe('the connection was closed during the handshake');
    // s_client's whole transcript when HAProxy cut a mode-tcp pass-through (its servers DOWN): the summary's
    // "no peer certificate available" follows every failed handshake and must not hide the eof.
    expect(
      one(
        '4087A853D37F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:../ssl/record/rec_layer_s3.c:318:\nCONNECTED(00000003)\n---\n' +
          'no peer certificate available\n---\nNo client certificate CA names sent\n---\nSSL handshake has read 0 bytes and written 334 bytes\nVerification: OK\n',
      ),
    ).toBe('the connection was closed during the handshake');
    expect(one('CONNECTED(00000003)\n---\nno peer certificate available\n---\n')).toBe('no certificate was presented');
    expect(one('40C7:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1584:SSL alert number 40'))
      .toBe('the server refused the handshake (a TLS alert)');
    expect(one('40C7:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:')).toBe('certificate verify failed');
    expect(one('')).toBe('no TLS answer within 4 s');
    expect(one('CONNECTED(00000003)')).toBe('connected, but no TLS answer within 4 s');
  });

  it("says curl's TLS failures in plain words too, in both languages, keeping the raw text it has no words for", () => {
    const tls = (error: string) => seen({ ok: false, status: 0, redirects: 0, app: null, errorCode: 'tls', error });
    expect(tls('OpenSSL/3.0.20: error:0A00010B:SSL routines::wrong version number')).toEqual({
      en: 'TLS handshake failed: the port answers, but not with TLS (plain HTTP there?)',
      zh: 'TLS 握手失败：端口有应答，但不是 TLS（那里是明文 HTTP？）',
    });
    expect(tls('OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to go-backend.liujun.com:443 ').en).toBe('TLS handshake failed: the connection was closed during the handshake');
    expect(tls('SSL certificate problem: unable to get local issuer certificate').en).toBe('TLS handshake failed: the certificate is not signed by a CA the client trusts (the lab CA)');
    expect(tls('SSL certificate problem: self-signed certificate').en).toBe('TLS handshake failed: the certificate is not signed by a CA the client trusts (the lab CA)');
    expect(tls("SSL: no alternative certificate subject name matches target host name 'touch.liujun.com'").en).toBe('TLS handshake failed: the certificate is for another name than the one asked for');
    expect(tls('SSL certificate problem: certificate has expired').zh).toBe('TLS 握手失败：证书已过期');
    expect(tls('OpenSSL/3.0.20: error:0A0000C1:SSL routines::no shared cipher').en).toBe('TLS handshake failed (OpenSSL/3.0.20: error:0A0000C1:SSL routines::no shared cipher)');
  });
});

describe("HAProxy's counters and the routing arithmetic", () => {
  const csv = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,
http-in,FRONTEND,,,0,1,50000,40,0,0,0,0,0,,,,,OPEN,
go,n1,0,0,0,1,,3,0,0,,0,,0,0,0,0,UP,
go,BACKEND,0,0,0,1,5000,3,0,0,0,0,,0,0,0,0,UP,
web,n1,0,0,0,1,,9,0,0,,0,,0,0,0,0,DOWN,
web,BACKEND,0,0,0,1,5000,9,0,0,0,0,,0,0,0,0,DOWN,
`;
  it('parses show stat CSV', () => {
    const rows = parseStatCsv(csv);
    expect(rows.filter((r) => r.svname === 'BACKEND').map((r) => [r.pxname, r.stot])).toEqual([['go', 3], ['web', 9]]);
    expect(rows.find((r) => r.pxname === 'web' && r.svname === 'n1')!.status).toBe('DOWN');
  });

  it('binary weights name the domains that share a backend, and spot disturbed counters', () => {
    const d = deltas(new Map([['a', 10], ['b', 0]]), new Map([['a', 10 + 0b0000101], ['b', 0b1111010], ['stats', 0]]));
    expect(decodeBinary(d, 7).backendOf).toEqual(['a', 'b', 'a', 'b', 'b', 'b', 'b']);
    expect(decodeBinary(new Map([['a', 3], ['b', 1]]), 2).inconsistent).toMatch(/several backends/);
    expect(decodeBinary(new Map([['a', -4]]), 2).inconsistent).toMatch(/went down/);
    expect(decodeBinary(new Map([['a', 200]]), 7).inconsistent).toMatch(/more than were sent/);
    expect(decodeBinary(new Map([['a', 0b1111110]]), 7).backendOf[0]).toBeNull();
  });

  it("routing's backend totals leave out mode tcp backends: the directors' health checks fall through a pass-through to its default backend", () => {
    // As the HTTP round of a pass-through saw them in a real lab: tls_go moved by 4 with nobody's request.
    const snap = (go: number, tls: number) => [
      {
        node: 'haproxy1',
        rows: [
          { pxname: 'go-backend', svname: 'a', stot: '0', mode: 'http' },
          { pxname: 'go-backend', svname: 'BACKEND', stot: String(go), mode: 'http' },
          { pxname: 'tls_go', svname: 'a', stot: '0', mode: 'tcp' },
          { pxname: 'tls_go', svname: 'BACKEND', stot: String(tls), mode: 'tcp' },
          { pxname: 'stats', svname: 'BACKEND', stot: '9', mode: 'http' },
        ],
      },
    ];
    expect(backendTotalsOf(snap(5, 40))).toEqual({ 'go-backend': 5 });
    // A CSV without the mode column (an older HAProxy's stats page) keeps every backend with servers.
    const old = snap(5, 40).map((s) => ({ ...s, rows: s.rows.map(({ mode: _, ...r }) => r) }));
    expect(backendTotalsOf(old)).toEqual({ 'go-backend': 5, tls_go: 40 });
  });

  it('linear weights decode only a one-to-one routing', () => {
    expect(decodeLinear(new Map([['x', 2], ['y', 1], ['z', 3]]), 3)!.backendOf).toEqual(['y', 'x', 'z']);
    expect(decodeLinear(new Map([['x', 3], ['z', 3]]), 3)).toBeUndefined();
    expect(decodeLinear(new Map([['x', 1], ['y', 2], ['z', 4]]), 3)).toBeUndefined();
  });
});

describe('haproxy.cfg facts', () => {
  const cfg = `global
    stats socket /var/run/haproxy.sock mode 660 level admin   # the runtime API
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    default_backend fallback
frontend www
    bind :80,:8080
    bind ipv4@*:443 ssl crt "/etc/haproxy/certs/"
frontend tls # a comment
    bind [::]:8443 ssl crt /x
    default_backend own
listen stats
    bind *:8404
`;
  it('finds binds, default_backend (own or from defaults) and runtime sockets', () => {
    expect(frontends(cfg).map((f) => [f.name, f.ports, f.defaultBackend])).toEqual([
      ['www', [80, 8080, 443], 'fallback'],
      ['tls', [8443], 'own'],
      ['stats', [8404], 'fallback'],
    ]);
    expect(frontendOn(cfg, 443)!.name).toBe('www');
    expect(frontendOn(cfg, 81)).toBeUndefined();
    expect(statsSockets(cfg)).toEqual(['/var/run/haproxy.sock', 'ipv4@127.0.0.1:9999']);
    expect(words(`acl a hdr(host) -i "x y" # c`)).toEqual(['acl', 'a', 'hdr(host)', '-i', 'x y']);
  });
});

// ---------------------------------------------------------------------------------------------------
// The runner, with fake probes

/** A check whose probe kind is one of the fakes below (the schema only knows the real kinds). */
const check = (id: string, kind: string, extra: Partial<CheckDef> = {}): CheckDef =>
  ({
    ...CheckDef.parse({ id, title: { zh: `中${id}`, en: `T ${id}` }, points: 10, hint: { zh: '提示', en: `hint ${id}` }, retryDelayMs: 0, probe: { kind: 'tls-sni' }, ...extra }),
    probe: { kind },
  }) as unknown as CheckDef;

const noHttp: HttpClient = { origin: 'none', batch: async () => [] };
const base = (mode: 'lab' | 'target' = 'lab'): BaseContext => ({
  mode,
  edgeAddress: '10.0.0.1',
  ports: { http: 80, https: 443 },
  edge: noHttp,
  tls: { chains: async () => [] },
  haproxy: [],
  domains: ['a.example'],
  ca: async () => undefined,
});

function fake(over: Partial<ProbeImpl<never>> & Pick<ProbeImpl<never>, 'run'>): ProbeImpl<never> {
  return { kind: 'fake', needs: 'any', traffic: 'traffic', ...over };
}

describe('runner', () => {
  it('retries a failing probe, times out a hanging one, skips lab-only probes with --target, and scores', async () => {
    let calls = 0;
    const probes = {
      flaky: fake({ run: async () => (++calls < 3 ? { status: 'fail', message: t('not yet', '还没') } : { status: 'pass', message: t('ok', '好') }) }),
      hang: fake({ run: () => new Promise(() => {}) }),
      labonly: fake({ needs: 'lab', skipReason: t('needs containers', '需要容器'), run: async () => ({ status: 'pass', message: t('x', 'x') }) }),
      opt: fake({ run: async () => ({ status: 'fail', message: t('nope', '不行'), hint: t('errata 9', '勘误 9') }) }),
    };
    const checks = [
      check('flaky', 'flaky', { retries: 2 }),
      check('hang', 'hang', { timeoutMs: 50, retries: 0 }),
      check('labonly', 'labonly'),
      check('opt', 'opt', { required: false, retries: 0 }),
    ];
    const { report, meta } = await runChecks('exp9', checks, base('target'), { lang: 'en', probes });
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(by.flaky).toMatchObject({ status: 'pass', points: 10, maxPoints: 10, message: 'ok' });
    expect(meta.attempts.flaky).toBe(3);
    expect(by.hang).toMatchObject({ status: 'fail', points: 0, message: expect.stringMatching(/timeout after 50 ms/) });
    expect(by.labonly).toMatchObject({ status: 'skip', points: 0, maxPoints: 10, message: 'needs containers' });
    expect(by.opt!.hint).toBe('hint opt errata 9');
    expect(report).toMatchObject({ score: 10, maxScore: 40, passed: false });
    // Only an optional failure left: passed.
    const r2 = await runChecks('exp9', [check('flaky', 'flaky'), check('opt', 'opt', { required: false })], base(), { lang: 'zh', probes: { ...probes, flaky: fake({ run: async () => ({ status: 'pass', message: t('ok', '好') }) }) } });
    expect(r2.report).toMatchObject({ passed: true, score: 10, maxScore: 20 });
    expect(r2.report.checks[0]).toMatchObject({ title: '中flaky', message: '好', hint: '提示' });
  });

  it('runs counter probes one at a time, alone with quiet probes; traffic probes afterwards share one attempt', async () => {
    const log: string[] = [];
    let active = 0;
    let overlap = false;
    const step = (name: string, traffic: ProbeImpl<never>['traffic']) =>
      fake({
        traffic,
        run: async (ctx) => {
          if (traffic !== 'quiet') {
            if (active++ > 0 && traffic === 'exclusive') overlap = true;
          }
          log.push(`start ${name}`);
          await new Promise((r) => setTimeout(r, 20));
          const shared = await ctx.shared('k', async () => name);
          log.push(`end ${name}`);
          if (traffic !== 'quiet') active--;
          return { status: 'pass', message: t(shared, shared) };
        },
      });
    const probes = { ex1: step('ex1', 'exclusive'), ex2: step('ex2', 'exclusive'), tr1: step('tr1', 'traffic'), tr2: step('tr2', 'traffic'), q: step('q', 'quiet') };
    const checks = ['tr1', 'ex1', 'q', 'tr2', 'ex2'].map((k) => check(k, k));
    const { report } = await runChecks('exp9', checks, base(), { lang: 'en', probes });
    expect(overlap).toBe(false);
    expect(log.indexOf('end ex1')).toBeLessThan(log.indexOf('start ex2'));
    expect(log.indexOf('end ex2')).toBeLessThan(log.indexOf('start tr1'));
    expect(log.indexOf('start q')).toBeLessThan(log.indexOf('end ex1'));
    expect(report.checks.map((c) => c.id)).toEqual(['tr1', 'ex1', 'q', 'tr2', 'ex2']);
    // Same attempt, same shared result.
    const tr = report.checks.filter((c) => c.id.startsWith('tr')).map((c) => c.message);
    expect(tr[0]).toBe(tr[1]);
  });

  it("a quiet probe can wait for the counter probes: exclusiveDone settles after the last exclusive one, at once when there is none", async () => {
    const log: string[] = [];
    const probes = {
      ex: fake({ traffic: 'exclusive', run: async () => (await new Promise((r) => setTimeout(r, 30)), log.push('end ex'), { status: 'pass', message: t('e', 'e') }) }),
      q: fake({
        traffic: 'quiet',
        run: async (ctx) => {
          log.push('start q');
          await ctx.exclusiveDone;
          log.push('q after exclusive');
          return { status: 'pass', message: t('q', 'q') };
        },
      }),
    };
    await runChecks('exp9', ['q', 'ex'].map((k) => check(k, k)), base(), { lang: 'en', probes });
    expect(log).toEqual(['start q', 'end ex', 'q after exclusive']);
    const alone = await runChecks('exp9', [check('q', 'q')], base(), { lang: 'en', probes });
    expect(alone.report.checks[0]).toMatchObject({ status: 'pass' });
  });

  it("the lab's run-wide reads (haproxy.cfg, the CA) are asked once, but a failure is not kept for the retry", async () => {
    let calls = 0;
    const read = onceOk(async () => {
      calls++;
      if (calls === 1) throw new Error('`cat /etc/haproxy/haproxy.cfg` in haproxy1 did not finish within 10000 ms');
      return 'cfg';
    });
    await expect(read()).rejects.toThrow(/did not finish/);
    expect(await Promise.all([read(), read()])).toEqual(['cfg', 'cfg']);
    expect(await read()).toBe('cfg');
    expect(calls).toBe(2);
  });

  it('picks the language from --lang, else LANG', () => {
    expect(resolveLang('zh', {})).toBe('zh');
    expect(resolveLang(undefined, { LANG: 'zh_CN.UTF-8' })).toBe('zh');
    expect(resolveLang(undefined, { LANG: 'de_DE.UTF-8' })).toBe('en');
    expect(resolveLang(undefined, {})).toBe('en');
  });
});

describe('reports', () => {
  const report = {
    experiment: 'exp2',
    score: 10,
    maxScore: 30,
    passed: false,
    checks: [
      { id: 'a', title: 'Routes #1 & <2>', status: 'pass' as const, points: 10, maxPoints: 10, message: 'ok "quoted"', hint: 'h' },
      { id: 'b', title: 'TLS', status: 'fail' as const, points: 0, maxPoints: 10, message: 'SNI x: got y\nline two', hint: 'look at bind' },
      { id: 'c', title: 'Counters', status: 'skip' as const, points: 0, maxPoints: 10, message: 'needs the lab', hint: 'h' },
    ],
  };
  const meta = { required: { a: true, b: true, c: false }, durationMs: { a: 5, b: 1500, c: 0 }, attempts: { a: 1, b: 2, c: 0 }, totalMs: 1600, lang: 'en' as const };

  it('--json has exactly the documented keys', () => {
    const j = toJson({ ...report, checks: report.checks.map((c) => ({ ...c, extra: 1 })) } as never);
    expect(Object.keys(j)).toEqual(['experiment', 'score', 'maxScore', 'passed', 'checks']);
    expect(Object.keys(j.checks[0]!)).toEqual(['id', 'title', 'status', 'points', 'maxPoints', 'message', 'hint']);
  });

  it('human: one block per check, hints for failures, Score: x/y', () => {
    const h = human(report, meta);
    expect(h).toContain('✘ FAIL  TLS  [b]  0/10');
    expect(h).toContain('hint: look at bind');
    expect(h).not.toContain('hint: h\n');
    expect(h).toMatch(/Score: 10\/30\nRequired check\(s\) not passed: b\.\n$/);
  });

  it('TAP version 14: plan, escaped #, SKIP directive, YAML diagnostics', () => {
    const out = tap(report, meta).split('\n');
    expect(out.slice(0, 3)).toEqual(['TAP version 14', '1..3', 'ok 1 - a - Routes \\#1 & <2>']);
    expect(out).toContain('not ok 2 - b - TLS');
    expect(out).toContain('ok 3 - c - Counters # SKIP needs the lab');
    expect(out).toContain('  message: "SNI x: got y\\nline two"');
    expect(out.filter((l) => l === '  ---')).toHaveLength(3);
    expect(out.filter((l) => l === '  ...')).toHaveLength(3);
  });

  it('JUnit XML: counts, escaping, failure and skipped elements', () => {
    const x = junit(report, meta);
    expect(x).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="lab check" tests="3" failures="1" skipped="1" errors="0" time="1.600">/);
    expect(x).toContain('name="a: Routes #1 &amp; &lt;2&gt;"');
    expect(x).toContain('<failure message="SNI x: got y\nline two" type="check-failed">');
    expect(x).toContain('<skipped message="needs the lab"/>');
    expect(x).toContain('<property name="score" value="10"/>');
    expect(x.match(/<testcase /g)).toHaveLength(3);
    expect(x.match(/<\/testcase>/g)).toHaveLength(3);
  });
});

describe('src/checks source', () => {
  it('keeps every line under 200 characters (messages live in tables beside the probes)', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const long = walk(path.join(import.meta.dirname, '..', '..', 'src', 'checks')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((l, i) => ([...l].length >= 200 ? [`${path.relative(process.cwd(), f)}:${i + 1} (${[...l].length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});

describe('decisions on hand-made observations', () => {
  const app = (peer: string, realIp: string) => ({ app: 'app1', host: 'h', path: '/', proto: null, xff: null, realIp, peer });
  const names = { '10.0.3.21': 'nginx1', '10.0.3.22': 'nginx2', '10.0.3.23': 'nginx3', '10.0.2.11': 'haproxy1', '10.0.2.12': 'haproxy2', '10.0.3.11': 'haproxy1' };

  it('hopOf: the Nginx from the peer, the HAProxy node from X-Real-IP; without Nginx, the app and the peer', () => {
    expect(hopOf({ ok: true, status: 200, redirects: 0, app: app('10.0.3.22', '10.0.3.11') }, names)).toEqual({ node: 'haproxy1', server: 'nginx2' });
    expect(hopOf({ ok: true, status: 200, redirects: 0, app: app('10.0.2.12', '') }, names)).toEqual({ node: 'haproxy2', server: 'app:app1' });
    expect(hopOf({ ok: false, status: 0, redirects: 0, app: null }, names)).toEqual({ node: null, server: null });
  });

  const hits = (seq: string) =>
    seq.split(' ').map((x) => {
      const [node, server] = x.split(':');
      return { status: 200, ok: true, app: true, node: `haproxy${node}`, server: `nginx${server}` };
    });
  const counters = { deltas: {}, algo: {}, servers: {} };

  it('lb-distribution: every window of sum(ratio) on a node splits exactly; 4:1:1 and least-connections do not', () => {
    const rr = hits('1:1 2:1 1:2 2:2 1:3 2:3 1:1 2:1 1:2 2:2 1:3 2:3');
    expect(decideDistribution({ path: '/rr/', hits: rr, counters }, { ratio: [1, 1, 1], hold: false }).status).toBe('pass');
    const w311 = hits('1:1 1:1 1:2 1:1 1:3 1:1 1:1 1:2 1:1 1:3');
    expect(decideDistribution({ path: '/w/', hits: w311, counters }, { ratio: [3, 1, 1], hold: false }).status).toBe('pass');
    const w411 = hits('1:1 1:1 1:1 1:2 1:1 1:3 1:1 1:1 1:1 1:2 1:1 1:3');
    expect(decideDistribution({ path: '/w/', hits: w411, counters }, { ratio: [3, 1, 1], hold: false })).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/expected every 5 in a row to split 3:1:1/) } });
    const lc = [{ ...hits('1:1')[0]!, held: true }, ...hits('1:2 1:3 1:2 1:3 1:2 1:3 1:2')];
    expect(decideDistribution({ path: '/rr/', hits: lc, counters }, { ratio: [1, 1, 1], hold: true })).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/least-connections/) } });
  });

  it('lb-sticky: a URI chain whose stride is coprime to the number of addresses', () => {
    expect(stride(12)).toBe(5);
    expect(stride(11)).toBe(4);
    expect(stride(2)).toBe(1);
  });

  it('rate-limit: a run of answers, not the first one (the two nodes recover at different times)', () => {
    const a = (ok: boolean, ms: number) => ({ ms, res: { ok: true, status: ok ? 200 : 429, redirects: 0, app: ok ? app('x', 'y') : null } });
    expect(firstRun([a(false, 0), a(true, 1000), a(false, 2000), a(true, 3000), a(true, 4000), a(true, 5000)], 3)).toBe(3);
    expect(firstRun([a(true, 0), a(false, 1000)], 2)).toBe(-1);
  });

  it('rate-limit: a neighbour of the client refused right after its burst fails (a limit on the client network); one not sent says to run lab up', () => {
    const ok = { ok: true, status: 200, redirects: 0, app: app('x', 'y') };
    const refused = { ok: false, status: 0, redirects: 0, app: null, errorCode: 'refused' as const };
    const params = { path: '/', burst: 20, minRefused: 5, slow: 2, intervalMs: 500, recoverWithinMs: 10_000, otherSource: true };
    const obs = (neighbour: { address: string; res: typeof ok | typeof refused | Record<string, unknown> }[]) => ({
      origin: 'client',
      burst: [...Array(10).fill(ok), ...Array(10).fill(refused)],
      during: { neighbour, office: [ok, ok, ok], client: [refused, refused] },
      after: [{ ms: 1000, res: ok }, { ms: 1500, res: ok }],
    });
    expect(decideRateLimit(obs([{ address: '172.28.0.50', res: ok }]) as never, params).status).toBe('pass');
    // Recorded before neighbours existed: judged on the office alone, as then.
    expect(decideRateLimit({ ...obs([]), during: { office: [ok, ok, ok], client: [refused, refused] } } as never, params).status).toBe('pass');
    expect(decideRateLimit(obs([{ address: '172.28.0.50', res: refused }]) as never, params)).toMatchObject({
      status: 'fail',
      message: { en: expect.stringMatching(/172\.28\.0\.50 \(another address in the client's own network.*not each source/) },
    });
    const lost = { ok: false, status: 0, redirects: 0, app: null, errorCode: 'source' as const };
    expect(decideRateLimit(obs([{ address: '172.28.0.50', res: lost }]) as never, params)).toMatchObject({ status: 'fail', message: { en: expect.stringContaining('run `lab up`') } });
  });

  it('rate-limit: the client must be refused in every round after its neighbours were answered (a frontend rate tipped back over once is not per source)', () => {
    const ok = { ok: true, status: 200, redirects: 0, app: app('x', 'y') };
    const reset = { ok: false, status: 0, redirects: 0, app: null, errorCode: 'other' as const, error: 'Recv failure: Connection reset by peer' };
    const params = { path: '/', burst: 20, minRefused: 5, slow: 2, intervalMs: 500, recoverWithinMs: 10_000, otherSource: true };
    const n = (res: unknown) => [{ address: '172.28.0.50', res }, { address: '172.28.0.51', res }];
    const obs = (client: unknown[], neighbour = [...n(ok), ...n(ok)]) => ({
      origin: 'client',
      burst: [...Array(10).fill(ok), ...Array(10).fill(reset)],
      during: { office: [ok, ok, ok], neighbour, client, rounds: 2 },
      after: [{ ms: 1000, res: ok }, { ms: 1500, res: ok }],
    });
    // Per source: the client is refused in both rounds while its neighbours get through.
    expect(decideRateLimit(obs([reset, reset, ok, reset]) as never, params).status).toBe('pass');
    // Refused in the first round only: a decaying frontend rate the first neighbours' sessions tipped over.
    expect(decideRateLimit(obs([reset, ok, ok, ok]) as never, params)).toMatchObject({ status: 'fail', message: { en: expect.stringContaining('could not be shown to be per source') } });
    expect(decideRateLimit(obs([ok, ok, reset, reset]) as never, params).status).toBe('fail');
    // A neighbour refused in the second round: the network is counted.
    expect(decideRateLimit(obs([reset, reset, reset, reset], [...n(ok), ...n(reset)]) as never, params)).toMatchObject({
      status: 'fail',
      message: { en: expect.stringContaining("another address in the client's own network") },
    });
  });

  it('routing: an HTTP answer that redirects to HTTPS is graded where HTTPS goes; HTTPS not terminated by HAProxy fails', () => {
    const domains = ['a.example', 'b.example'];
    const round = (scheme: 'http' | 'https', after: Record<string, number>, redirect: (string | null)[], ssl = { before: 0, after: 2 }) => ({
      classes: domains.map((host) => ({ scheme, host, path: '/x' })),
      weights: [1, 2],
      binary: true,
      before: {},
      after,
      ssl,
      answered: [1, 2],
      sample: domains.map(() => ({ ok: true, status: redirect[0] ? 302 : 200, redirects: 0, app: null })),
      redirect,
      remeasured: 0,
    });
    const https = round('https', { A: 1, B: 2 }, [null, null]);
    const http = round('http', {}, ['https://a.example/x', 'https://b.example/x']);
    const o = { domains, path: '/x', where: 'test', rounds: { http, https } };
    expect(decideRouting(o, { schemes: ['http'] })).toMatchObject({ status: 'pass', message: { en: expect.stringMatching(/redirect to HTTPS for 2/) } });
    expect(decideRouting(o, { schemes: ['http', 'https'] }).status).toBe('pass');
    const passThrough = { ...o, rounds: { http, https: { ...https, ssl: { before: 5, after: 5 } } } };
    expect(decideRouting(passThrough, { schemes: ['http', 'https'] })).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/did not terminate TLS/) } });
  });

  it('tls-sni: names match exactly or by one wildcard label', () => {
    expect(nameMatches(['*.liujun.com'], 'stars.liujun.com')).toBe(true);
    expect(nameMatches(['*.liujun.com'], 'a.b.liujun.com')).toBe(false);
    expect(nameMatches(['stars.liujun.com'], 'touch.liujun.com')).toBe(false);
  });

  it('the held request: socat prints the raw HTTP answer', () => {
    const raw = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"app": "app2", "host": "h", "peer": "10.0.3.21", "realIp": "10.0.3.11"}\n';
    expect(parseRawHttp(raw)).toMatchObject({ ok: true, status: 200, app: { app: 'app2', peer: '10.0.3.21' } });
    expect(parseRawHttp('')).toMatchObject({ ok: false, status: 0, app: null });
  });
});
