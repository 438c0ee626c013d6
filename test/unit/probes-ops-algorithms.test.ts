// The pure halves of the exp6/exp8 probe kinds: each decide() replayed on observations recorded from real
// labs (test/fixtures/observations/<kind>/*.json: the solution, the start state and deliberate mistakes),
// and the parsers they rely on (log lines, printed numbers, Prometheus states, RDP bytes, drill output).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Probe } from '../../src/checks/schema.js';
import * as healthCheckAnswers from '../../src/checks/probes/health-check-answers.js';
import * as httplogLine from '../../src/checks/probes/httplog-line.js';
import * as lbHashKey from '../../src/checks/probes/lb-hash-key.js';
import * as lbLeastconn from '../../src/checks/probes/lb-leastconn.js';
import * as rdpCookie from '../../src/checks/probes/rdp-cookie.js';
import * as runbookDrill from '../../src/checks/probes/runbook-drill.js';
import * as runtimeAdmin from '../../src/checks/probes/runtime-admin.js';
import { listeningUnix, prometheusServerState, socatAddress } from '../../src/checks/probes/node-ops.js';
import type { Outcome } from '../../src/checks/types.js';
import { loadLab } from '../../src/labs/load.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/observations');

interface Fixture {
  about: string;
  params: Record<string, unknown>;
  expect?: { status: string; message: string };
  judges?: Record<string, { status: string; message: string }>;
  observed: unknown;
}

function fixtures(kind: string): [string, Fixture][] {
  const dir = path.join(FIXTURES, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture]);
}

/** The probe's parameters as lab.yaml gives them, with the schema's defaults. */
const params = <T>(kind: string, p: Record<string, unknown>) => Probe.parse({ kind, ...p }) as T;

const DECIDERS: Record<string, (obs: never, p: never) => Outcome> = {
  'health-check-answers': healthCheckAnswers.decide as never,
  'httplog-line': httplogLine.decide as never,
  'lb-hash-key': lbHashKey.decide as never,
  'lb-leastconn': lbLeastconn.decide as never,
  'rdp-cookie': rdpCookie.decide as never,
  'runtime-admin': runtimeAdmin.decide as never,
};

describe('decide() on recorded observations', () => {
  for (const [kind, decide] of Object.entries(DECIDERS)) {
    describe(kind, () => {
      const cases = fixtures(kind);
      it('has recorded cases that pass and that fail', () => {
        const statuses = new Set(cases.map(([, f]) => f.expect!.status));
        expect([...statuses].sort()).toEqual(['fail', 'pass']);
      });
      for (const [name, f] of cases) {
        it(`${name}: ${f.about} → ${f.expect!.status}`, () => {
          const out = decide(f.observed as never, params(kind, f.params) as never);
          expect({ status: out.status, message: out.message.en }).toEqual(f.expect);
          expect(out.observed).toEqual(f.observed);
          expect(out.message.zh.length).toBeGreaterThan(0);
        });
      }
    });
  }

  describe('runbook-drill (one drill, five judges)', () => {
    const cases = fixtures('runbook-drill');
    it('covers the solution, the start state and at least five mistakes', () => {
      expect(cases.map(([n]) => n)).toEqual(expect.arrayContaining(['solution', 'start', 'no-wait', 'haproxy1-only', 'prints-stot']));
      expect(cases.length).toBeGreaterThanOrEqual(7);
    });
    for (const [name, f] of cases) {
      for (const [judge, want] of Object.entries(f.judges!)) {
        it(`${name} (${f.about}): ${judge} → ${want.status}`, () => {
          const p = params<runbookDrill.DrillParams>('runbook-drill', { ...f.params, judge });
          const out = runbookDrill.decide(f.observed as runbookDrill.DrillObservations, { ...p, judge: judge as runbookDrill.Judge });
          expect({ status: out.status, message: out.message.en }).toEqual(want);
        });
      }
    }
  });
});

describe('exp6 lab.yaml', () => {
  it('gives every runbook-drill check the same drill parameters, so one drill serves them all', () => {
    const drills = loadLab('exp6').def.checks.filter((c) => c.probe.kind === 'runbook-drill');
    expect(drills.map((c) => (c.probe as { judge: string }).judge).sort()).toEqual(['drain', 'metrics', 'no-drop', 'restore', 'sessions']);
    const shapes = new Set(drills.map((c) => JSON.stringify({ ...c.probe, judge: undefined })));
    expect(shapes.size).toBe(1);
  });
});

describe('runbook-drill: what the runbook printed', () => {
  it('takes the last standalone number of a line, never a name, an address or host:port', () => {
    const cases: [string, number | null][] = [
      ['haproxy1: web-backend/web2 current sessions: 3', 3],
      ['sessions=0', 0],
      ['sessions:12', 12],
      ['web2 在途会话：4', 4],
      ['当前会话数 5。', 5],
      ['7', 7],
      ['draining web-backend/web2', null],
      ['server nginx2:10080', null],
      ['backend at 10.0.0.22:10080', null],
      ['web-backend,web2,0,0,3,5,,40,', null],
      ['', null],
    ];
    for (const [line, n] of cases) expect(runbookDrill.lastNumber(line), line).toBe(n);
  });

  it('reads the count a session line prints beside its session word, never a stamp, counter, port, name or total', () => {
    const cases: [string, number | null][] = [
      // lastNumber gave null or the wrong number for each of these.
      ['web2 has 3 sessions', 3],
      ['3 current sessions on nginx2:10080', 3],
      ['剩余 3 个会话', 3],
      ['剩余3个会话', 3],
      ['总共还有 3 个会话', 3],
      ['sessions=3;', 3],
      ['sessions: 3 (total 62)', 3],
      ['current sessions 3, total sessions 62', 3],
      ['scur=3 stot=62', 3],
      ['3 sessions (of 62)', 3],
      ['sessions: 3, max: 100', 3],
      ['62 total sessions, 3 current sessions', 3],
      // Whatever else the line carries, before or after (the hostile reviews' lines).
      ['1764266504 sessions: 3', 3],
      ['elapsed=4 sessions=3', 3],
      ['sessions=3 elapsed=4', 3],
      ['waited 2s sessions 3', 3],
      ['try 3/10 sessions=2', 2],
      ['sessions 3 (retry 4/30)', 3],
      ['port 10080 sessions: 3', 3],
      ['nginx-2 sessions: 0', 0],
      ['web2 scur=3 weight=0', 3],
      ['web2 scur=3 qcur=0', 3],
      ['still 3 sessions, sleep 1', 3],
      ['lb1 web2 sessions 3 pid 123', 3],
      ['web2 sessions: 3 Fri Nov 27 18:21:09 UTC 2026', 3],
      ['sessions: 3 (total for web2: 62)', 3],
      ['sessions cur=3 tot=62', 3],
      ['sessions: 3/62', 3],
      ['web2 会话数 3，总共 62', 3],
      ['cumulative sessions: 62, current: 3', 3],
      ['served 62 sessions, now 3', 3],
      ['共处理 62 个会话，剩余 3', 3],
      ['stot=62 scur=3', 3],
      ['web2 connections: 3, total: 62', 3],
      ['web2 conns 3 of 62', 3],
      ['{"server":"web2","scur":3,"stot":62}', 3],
      ['web2 sessions: "3"', 3],
      ['sessions: 3...', 3],
      // A total alone is read as the total (a runbook printing stot is judged on it).
      ['total sessions: 62', 62],
      ['累计会话 62', 62],
      ['{"stot":62}', 62],
      // A target is not a count.
      ['draining web2, waiting for its sessions to reach 0', null],
      ['等待会话降到 0', null],
      // Names, addresses and "connect" are never counts.
      ['[12:00:03] sessions 4', 4],
      ['nginx2 会话 5', 5],
      ['draining web2 sessions', null],
      ['正在连接 2 台 haproxy', null],
    ];
    for (const [line, n] of cases) expect(runbookDrill.sessionNumber(line), line).toBe(n);
    expect(runbookDrill.readings([{ t: 1, text: 'set weight web2 0' }, { t: 2, text: 'web2 has 3 sessions' }, { t: 3, text: '0 sessions left' }])).toEqual([
      { t: 2, n: 3 },
      { t: 3, n: 0 },
    ]);
  });

  it('ranges scur over a window, counting the value that holds at its start', () => {
    const s = (t: number, scur: number) => ({ t, key: 'b/s', status: 'UP', scur, stot: 0, weight: 1 });
    const samples = [s(0, 2), s(100, 2), s(200, 1), s(300, 0)];
    expect(runbookDrill.scurRange(samples, ['b/s'], 150, 250)).toEqual({ lo: 1, hi: 2 });
    expect(runbookDrill.scurRange(samples, ['b/s'], 310, 400)).toEqual({ lo: 0, hi: 0 });
    expect(runbookDrill.scurRange(samples, ['other'], 0, 400)).toBeNull();
    // A loaded machine: the sample that saw 1 was asked at 240 but answered at 700. The state it shows may
    // have held at 250, so a runbook that printed 1 then is not called wrong; one answered after being
    // asked past the window still does not count.
    const slow = [s(0, 2), { ...s(700, 1), asked: 240 }, { ...s(900, 0), asked: 260 }];
    expect(runbookDrill.scurRange(slow, ['b/s'], 150, 250)).toEqual({ lo: 1, hi: 2 });
    expect(runbookDrill.scurRange(slow, ['b/s'], 100, 230)).toEqual({ lo: 2, hi: 2 });
  });

  it('parses the stamped script output, the sampler and the request loop', () => {
    const T = 1_795_647_539_000;
    const run = runbookDrill.parseScriptRun(
      [`@@tok B ${T}`, `${T + 10} web2 sessions: 1`, `${T + 20} `, `${T + 30} @@tok RC 0`, `@@tok E ${T + 40}`].join('\n'),
      'tok',
      ['drain'],
    );
    expect(run).toEqual({ args: ['drain'], found: true, start: T, end: T + 40, exit: 0, lines: [{ t: T + 10, text: 'web2 sessions: 1' }, { t: T + 20, text: '' }] });
    expect(runbookDrill.parseScriptRun('@@tok NOFILE\n', 'tok', ['drain']).found).toBe(false);
    // The exit stamped where the script ran, apart from when its line was read.
    expect(runbookDrill.parseScriptRun([`@@tok B ${T}`, `${T + 900} @@tok RC 3 ${T + 30}`, `@@tok E ${T + 950}`].join('\n'), 'tok', ['drain'])).toMatchObject({ exit: 3, exitAt: T + 30, end: T + 950 });
    const header = 'H # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,';
    const samples = runbookDrill.parseSamples(
      [
        header,
        'S 3 5 web,web2,0,0,2,3,,40,0,0,,0,,0,0,0,0,DRAIN,1,1,',
        'S 7 1,web3,0,0,1,3,,41,0,0,,0,,0,0,0,0,UP,1,1,',
        // Cut short (socat gave up on a slow answer): not read as 0 sessions, or as weight 1 where it was 10.
        'S 8 9 web,web2,0,0',
        'S 9 10 web,web2,0,0,2,3,,40,0,0,,0,,0,0,0,0,DRAIN,1',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { t: 5, asked: 3, key: 'web/web2', status: 'DRAIN', scur: 2, stot: 40, weight: 1 },
      { t: 7, key: '1/web3', status: 'UP', scur: 1, stot: 41, weight: 1 },
    ]);
    const loop = runbookDrill.parseLoop(['1 2 {"app": "app1", "peer": "10.0.0.5"} 200', '3 4  000', 'junk'].join('\n'));
    expect(loop).toEqual([
      { start: 1, end: 2, body: '{"app": "app1", "peer": "10.0.0.5"}', code: '200' },
      { start: 3, end: 4, body: '', code: '000' },
    ]);
  });

  it('runs the student script with sh, or bash when its first line says so, under a time limit', () => {
    const cmd = runbookDrill.scriptCommand('runbook.sh', ['drain'], 'tok', 20);
    expect(cmd).toContain("f='/lab/workspace/runbook.sh'");
    expect(cmd).toContain('head -n 1 "$f" | grep -q bash && run=bash');
    expect(cmd).toContain(`timeout 20 $run "$f" 'drain'`);
  });

  it('keeps only the samples where something changed, and every judge reads the same from them', () => {
    for (const [name, f] of fixtures('runbook-drill')) {
      const full = f.observed as runbookDrill.DrillObservations;
      const compact = { ...full, samples: Object.fromEntries(Object.entries(full.samples).map(([n, s]) => [n, runbookDrill.compactSamples(s)])) };
      expect(Object.values(compact.samples).flat().length, name).toBeLessThanOrEqual(Object.values(full.samples).flat().length);
      for (const judge of ['drain', 'no-drop', 'sessions', 'restore', 'metrics'] as const) {
        const p = { ...params<runbookDrill.DrillParams>('runbook-drill', { ...f.params, judge }), judge };
        expect(runbookDrill.decide(compact, p).message, `${name} ${judge}`).toEqual(runbookDrill.decide(full, p).message);
      }
    }
    const s = (t: number, scur: number) => ({ t, key: 'b/s', status: 'UP', scur, stot: 1, weight: 1 });
    expect(runbookDrill.compactSamples([s(1, 0), s(2, 0), s(3, 1), s(4, 1), s(5, 1)]).map((x) => x.t)).toEqual([1, 3, 5]);
  });

  it('normalises show stat statuses to the exporter\'s states', () => {
    expect(['MAINT (via b/s)', 'DRAIN', 'UP 1/2', 'no check', 'DOWN'].map(runbookDrill.normState)).toEqual(['MAINT', 'DRAIN', 'UP', 'UP', 'DOWN']);
  });
});

describe('httplog-line: the HTTP log format', () => {
  const line = '172.28.23.10:52648 [25/Nov/2026:22:10:01.123] web-in web-backend/web1 0/0/1/2/3 200 250 - - ---- 1/1/0/0/0 0/0 "GET /api/lab-log-1a2b HTTP/1.1"';

  it('parses option httplog lines, with or without a syslog header', () => {
    const f = httplogLine.parseHttpLog(line);
    expect(f).toEqual({ client: '172.28.23.10', frontend: 'web-in', backend: 'web-backend', server: 'web1', timers: [0, 0, 1, 2, 3], status: 200, request: 'GET /api/lab-log-1a2b HTTP/1.1' });
    expect(httplogLine.parseHttpLog(`<134>Nov 25 22:10:01 haproxy[8]: ${line}`)?.server).toBe('web1');
    expect(httplogLine.parseHttpLog(line.replace('web-in ', 'https-in~ '))?.frontend).toBe('https-in');
  });

  it('rejects the connection log and the TCP log', () => {
    expect(httplogLine.parseHttpLog('Connect from 172.28.23.10:56688 to 172.28.24.11:80 (web-in/HTTP)')).toBeNull();
    expect(httplogLine.parseHttpLog('172.28.23.10:5000 [25/Nov/2026:22:10:01.123] rdp rdp/ts1 1/0/300 212 -- 1/1/0/0/0 0/0')).toBeNull();
  });

  it('names each field that does not match the request', () => {
    const f = httplogLine.parseHttpLog(line)!;
    const ctx = { clientAddress: '172.28.23.10', frontends: ['web-in'], servers: ['web-backend/web1'] };
    expect(httplogLine.fieldProblems(f, { status: 200 }, ctx)).toEqual([]);
    const bad = httplogLine.fieldProblems(f, { status: 404 }, { clientAddress: '10.9.9.9', frontends: ['other'], servers: [] }).map((x) => x.en);
    expect(bad).toEqual([
      'client address 172.28.23.10, but the request came from 10.9.9.9',
      'frontend "web-in" is not a frontend HAProxy reports',
      'backend/server "web-backend/web1" is not a server HAProxy reports',
      'status 200, but the client got 404',
    ]);
  });
});

describe('node-ops helpers', () => {
  it('reads haproxy_server_status as a state label (2.4+) or the old number', () => {
    const page = [
      'haproxy_server_status{proxy="web",server="web2",state="UP"} 0',
      'haproxy_server_status{proxy="web",server="web2",state="MAINT"} 1',
      'haproxy_server_status{proxy="web",server="web3",state="UP"} 1',
    ].join('\n');
    expect(prometheusServerState(page, 'web', 'web2')).toBe('MAINT');
    expect(prometheusServerState(page, 'web', 'web3')).toBe('UP');
    expect(prometheusServerState(page, 'web', 'nope')).toBeNull();
    expect(prometheusServerState('haproxy_server_status{proxy="web",server="web2"} 2', 'web', 'web2')).toBe('MAINT');
  });

  it('finds the unix sockets HAProxy listens on, never lab\'s master socket', () => {
    const unix = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000: 00000002 00000000 00010000 0001 01 1 /var/run/haproxy.sock.8.tmp',
      '0000: 00000002 00000000 00010000 0001 01 2 /run/lab-master.sock',
      '0000: 00000003 00000000 00000000 0001 03 3 /run/other.sock',
    ].join('\n');
    expect(listeningUnix(unix)).toEqual(['/var/run/haproxy.sock']);
    expect(socatAddress('/var/run/haproxy.sock')).toBe('UNIX-CONNECT:/var/run/haproxy.sock');
    expect(socatAddress('ipv4@127.0.0.1:9999')).toBe('TCP:127.0.0.1:9999');
  });

  it('runtime-admin: the level from show cli level, or from an admin command\'s answer', () => {
    expect(runtimeAdmin.levelOf({ level: 'admin', probe: '' })).toBe('admin');
    expect(runtimeAdmin.levelOf({ level: 'operator', probe: '' })).toBe('operator');
    expect(runtimeAdmin.levelOf({ level: 'Unknown command', probe: 'No such backend.' })).toBe('admin');
    expect(runtimeAdmin.levelOf({ level: '', probe: 'Permission denied' })).toBe('user or operator');
  });
});

describe('rdp-cookie: the Connection Request the grader sends', () => {
  it('is TPKT + X.224 CR with the cookie line and an RDP_NEG_REQ, lengths included', () => {
    const esc = rdpCookie.rdpRequest('mstshash', 'anna');
    const bytes = Buffer.from(esc.split('\\').slice(1).map((o) => parseInt(o, 8)));
    expect(bytes.length).toBe(42);
    expect([...bytes.subarray(0, 11)]).toEqual([0x03, 0x00, 0x00, 42, 37, 0xe0, 0, 0, 0, 0, 0]);
    expect(bytes.subarray(11, 34).toString('latin1')).toBe('Cookie: mstshash=anna\r\n');
    expect([...bytes.subarray(34)]).toEqual([0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
  });
});

describe('lb-leastconn: how sure a pass is', () => {
  const obs = (busy: string[][], quick: number[]): lbLeastconn.LeastconnObservations => ({
    path: '/lc/',
    backend: 'lc',
    servers: ['lc/a', 'lc/b', 'lc/c'].map((key) => ({ key, addr: '' })),
    holdsSeen: 2,
    nodes: busy.map((b, i) => ({ node: `haproxy${i + 1}`, busy: b, busyAfter: b, quick: { 'lc/c': quick[i]! } })),
    sent: quick.reduce((a, b) => a + b, 0),
    failed: 0,
    reached: quick.reduce((a, b) => a + b, 0),
  });

  it('bounds the chance that random (two draws) would have avoided the busy servers too', () => {
    expect(lbLeastconn.randomWouldPass(obs([['lc/a'], ['lc/b']], [36, 36]))).toBeCloseTo((8 / 9) ** 72, 12);
    expect(lbLeastconn.randomWouldPass(obs([['lc/a', 'lc/b'], []], [36, 36]))).toBeCloseTo((5 / 9) ** 36, 12);
  });

  it('passes only when that chance is at most 1e-3, and says so otherwise', () => {
    expect(lbLeastconn.decide(obs([['lc/a'], ['lc/b']], [36, 36])).status).toBe('pass');
    const few = lbLeastconn.decide(obs([['lc/a'], []], [20, 20]));
    expect(few.status).toBe('fail');
    expect(lbLeastconn.isInconclusive(few)).toBe(true);
    expect(few.message.en).toMatch(/too few to tell/);
  });

  it('fails when every node has all servers busy or none (nothing to compare)', () => {
    expect(lbLeastconn.decide(obs([[], []], [36, 36])).message.en).toMatch(/nothing to compare/);
  });
});

// Found by a hostile read of each lesson: ways to pass without doing it, and correct answers that could fail.
describe('hostile review', () => {
  const recorded = (kind: string, name: string) => JSON.parse(readFileSync(path.join(FIXTURES, kind, `${name}.json`), 'utf8')) as Fixture;
  const drill = () => recorded('runbook-drill', 'solution');
  const judge = (obs: runbookDrill.DrillObservations, j: runbookDrill.Judge) =>
    runbookDrill.decide(obs, { ...params<runbookDrill.DrillParams>('runbook-drill', { ...drill().params, judge: j }), judge: j });

  it('a runbook that waits without looking and prints a made-up 0 fails sessions', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    for (const run of Object.values(obs.drain)) run.lines = [{ t: run.end - 5, text: 'web2 sessions: 0' }];
    const out = judge(obs, 'sessions');
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/printed only 0 while the server still had/);
  });

  it('a drain that sleeps a fixed time instead of watching the count fails drain: it returned seconds after the 0', () => {
    const late = (ms: number) => {
      const obs = drill().observed as runbookDrill.DrillObservations;
      const run = obs.drain.haproxy1!;
      const { zeroAt } = runbookDrill.drainTiming(obs.samples.haproxy1!, obs.live.haproxy1!, run.end);
      expect(zeroAt).toBeLessThanOrEqual(run.end);
      // The runbook returns `ms` after the 0 (the readings after it are unchanged: 0 sessions, MAINT).
      run.end = zeroAt! + ms;
      return judge(obs, 'drain');
    };
    const out = late(6000);
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/^haproxy1: the runbook returned 6\.0 s after web-backend\/web2's sessions reached 0 \(lab allows 3\.0 s\): go on as soon/);
    // A runbook that polls every second or so is on time.
    expect(late(1500).status).toBe('pass');
    expect(judge(drill().observed as runbookDrill.DrillObservations, 'drain').status).toBe('pass');
  });

  it('a drain whose output was read late (a lot of it, a loaded machine) is judged on when the script itself ended', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    const run = obs.drain.haproxy1!;
    run.exitAt = run.end;
    run.end += 6000;
    expect(judge(obs, 'drain').status).toBe('pass');
    delete run.exitAt;
    expect(judge(obs, 'drain').message.en).toMatch(/^haproxy1: the runbook returned \d+\.\d s after/);
  });

  it('the maintenance time is moved onto the engine\'s clock before it bounds what a node left', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    expect(judge(obs, 'drain').status).toBe('pass');
    // lab's clock 5 s behind the engine's: unmoved, the stop would seem to come before the runbook returned,
    // and no reading would be early enough to count.
    obs.maintenance.at! -= 5000;
    expect(judge(obs, 'drain').status).toBe('fail');
    obs.clockOffsetMs = 5000;
    expect(judge(obs, 'drain').status).toBe('pass');
  });

  // CI, loaded, once: a runbook that does not wait passed, because every session it met ended 0.3–0.4 s
  // into the drain, before it returned. Such a drill cannot tell waiting from not.
  it('a drain whose sessions all ended within 1.5 s of it cannot pass: a runbook that does not wait looks the same then', () => {
    const lucky = (lastMs: Record<string, number>) => {
      const obs = drill().observed as runbookDrill.DrillObservations;
      for (const [node, ms] of Object.entries(lastMs)) {
        const keys = obs.live[node]!;
        const out = obs.samples[node]!.find((x) => keys.includes(x.key) && runbookDrill.outOfRotation(x))!;
        // The sessions end `ms` after the server went out; the runbook returns 100 ms later.
        const at = out.t + ms;
        const zeros = keys.map((k) => ({ ...[...obs.samples[node]!].reverse().find((x) => x.key === k && x.t < at)!, t: at, asked: at - 50, scur: 0 }));
        obs.samples[node] = [...obs.samples[node]!.map((x) => (keys.includes(x.key) && x.t >= at ? { ...x, scur: 0 } : x)), ...zeros].sort((a, b) => a.t - b.t);
        const run = obs.drain[node]!;
        delete run.exitAt;
        run.end = out.t + ms + 100;
      }
      return judge(obs, 'drain');
    };
    const out = lucky({ haproxy1: 400, haproxy2: 300 });
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/^on every node nginx2's sessions ended within 1\.5 s of the drain \(haproxy1: 0 after 0\.\d s; haproxy2: 0 after 0\.\d s\): too soon to tell/);
    // One node whose sessions outlasted the drain by two seconds shows the waiting.
    expect(lucky({ haproxy1: 400, haproxy2: 2000 }).status).toBe('pass');
  });

  it('a drain that waits a while and then ends the sessions (shutdown sessions) fails: requests in flight failed before lab stopped the server', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    expect(judge(obs, 'drain').status).toBe('pass');
    const began = Math.min(...Object.values(obs.drain).map((r) => r.start));
    const stop = obs.maintenance.at! + (obs.clockOffsetMs ?? 0);
    // Cut 1.6 s into the drain (past the 1.5 s that shows waiting), long before lab stopped nginx2.
    obs.loop.failures = [{ t: began - 1200, end: began + 1600, code: '502', what: '502 Bad Gateway' }];
    expect(began + 1600).toBeLessThan(stop - 200);
    const out = judge(obs, 'drain');
    expect(out.status).toBe('fail');
    expect(out.message.en).toBe(
      '1 request(s) on their way when the drain began failed before lab stopped nginx2 (502 1.6 s into the drain for a request sent 1.2 s before it): ' +
        'the sessions were ended, not waited for (`shutdown sessions` in the runbook, or a timeout shorter than the requests)',
    );
    // Before the runbook ended, whatever lab's stop reads on the engine's clock.
    const ended = Math.max(...Object.values(obs.drain).map((r) => r.end));
    obs.clockErrorMs = 60_000;
    obs.loop.failures = [{ t: began - 1200, end: ended - 5, code: '502', what: '502 Bad Gateway' }];
    expect(judge(obs, 'drain').message.en).toMatch(/^1 request\(s\) on their way when the drain began failed before lab stopped nginx2/);
    // Failing when lab stopped the server (the no-drop check's business), or sent after the drain began: not this.
    obs.clockErrorMs = 0;
    obs.loop.failures = [
      { t: began - 1200, end: stop + 50, code: '502', what: '502 Bad Gateway' },
      { t: began + 100, end: began + 300, code: '503', what: '503' },
    ];
    expect(judge(obs, 'drain').status).toBe('pass');
  });

  it('a node whose slow requests were never answered (a timeout cuts them all) cannot pass drain: a fixed sleep would fit', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    obs.holds = { haproxy1: 2500, haproxy2: 8000 };
    obs.loop.slowHeld = { haproxy1: 2540 };
    const out = judge(obs, 'drain');
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/haproxy2: no slow request of the drill through haproxy2 was answered \(they should be held 8\.0 s\)/);
  });

  it('a drain that returns early on one node is judged on what it left then, not when the other node returned', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    const run = obs.drain.haproxy1!;
    const first = obs.samples.haproxy1!.find((x) => runbookDrill.outOfRotation(x))!;
    // Returned right after taking the server out, while it still had sessions; the read after every node
    // returned (atReturn) shows 0 by then.
    run.end = first.t + 10;
    expect(runbookDrill.scurAsked(obs.samples.haproxy1!, obs.live.haproxy1!, run.end + 500)).toBeGreaterThan(0);
    const out = judge(obs, 'drain');
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/^haproxy1: the runbook returned while web-backend\/web2 still had \d+ session/);
  });

  it('weight 0 counts as out of rotation (show stat says "no check" or UP for it)', () => {
    expect(runbookDrill.outOfRotation({ status: 'no check', weight: 0 })).toBe(true);
    expect(runbookDrill.outOfRotation({ status: 'UP', weight: 0 })).toBe(true);
    expect(runbookDrill.outOfRotation({ status: 'DRAIN', weight: 1 })).toBe(true);
    expect(runbookDrill.outOfRotation({ status: 'UP', weight: 1 })).toBe(false);
  });

  it('a drill whose slow requests were not held as asked (a config that rewrites the query, an old app) cannot pass drain', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    obs.holds = { haproxy1: 2500, haproxy2: 8000 };
    obs.loop.slowHeld = { haproxy1: 2540, haproxy2: 7900 };
    expect(judge(obs, 'drain').status).toBe('pass');
    obs.loop.slowHeld = { haproxy1: 2540, haproxy2: 2520 };
    const out = judge(obs, 'drain');
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/haproxy2: the drill's slow requests through haproxy2 were held at most 2\.5 s, not 8\.0 s/);
  });

  it('scurAsked: the last reading asked by then, whenever its answer came', () => {
    const s = (asked: number, t: number, scur: number, key = 'b/s') => ({ asked, t, key, status: 'DRAIN', scur, stot: 9, weight: 1 });
    const samples = [s(100, 150, 2), s(400, 900, 0)];
    expect(runbookDrill.scurAsked(samples, ['b/s'], 300)).toBe(2);
    expect(runbookDrill.scurAsked(samples, ['b/s'], 500)).toBe(0);
    expect(runbookDrill.scurAsked(samples, ['b/s', 'c/s'], 500)).toBeNull();
    expect(runbookDrill.scurAsked([...samples, s(200, 210, 1, 'c/s')], ['b/s', 'c/s'], 500)).toBe(1);
  });

  // CI let a runbook that prints stot pass: on haproxy1 both of web2's sessions were still open (stot 2 =
  // scur 2 until they ended), and on haproxy2 a 2 fell in the 2 s window before the drain. A drain at 1000 ms,
  // the sessions end at 3000; the runbook reads every 300 ms and prints what it read (or stot).
  it('a runbook printing the total sessions fails sessions even where no session had ended (stot = scur)', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    const key = 'web-backend/web2';
    const sessions = (node: string, scurAt: (t: number) => number, stot: number, prints: (n: number) => number) => {
      obs.live[node] = [key];
      obs.samples[node] = Array.from({ length: 40 }, (_, i) => ({ t: i * 100, key, status: i * 100 < 1000 ? 'UP' : i * 100 < 3100 ? 'DRAIN' : 'MAINT', scur: scurAt(i * 100), stot, weight: 1 }));
      const lines: { t: number; text: string }[] = [];
      for (let t = 1050; ; t += 300) {
        const n = scurAt(t - 10);
        lines.push({ t, text: `web2 sessions: ${prints(n)}` });
        if (n === 0) break;
      }
      obs.drain[node] = { args: ['drain'], found: true, start: 1000, end: lines.at(-1)!.t + 20, exit: 0, lines };
    };
    const ci = (printStot: boolean) => {
      const print = (n: number) => (printStot ? 2 : n);
      // haproxy1: both sessions open until 3000, none ended before (stot 2); haproxy2: 2 open until 800, 1 until 1600.
      sessions('haproxy1', (t) => (t < 3000 ? 2 : 0), 2, print);
      sessions('haproxy2', (t) => (t < 800 ? 2 : t < 1600 ? 1 : 0), 2, print);
    };
    ci(true);
    const stot = judge(obs, 'sessions');
    expect(stot.status).toBe('fail');
    expect(stot.message.en).toMatch(/haproxy1: printed 2, 2, 2, 2, 2, 2, 2, 2, numbers HAProxy's total sessions \(stot\) also had then/);
    // haproxy2's first 2 came after the script began, when HAProxy had 1.
    expect(stot.message.en).toMatch(/haproxy2: printed 2 at \+0\.1 s, but HAProxy reported 1 current sessions then/);
    // The same drill, the current counts printed: the 0 at the end is one stot cannot explain.
    ci(false);
    const right = judge(obs, 'sessions');
    expect(right.message.en).toBe('printed session counts haproxy1: 2, 2, 2, 2, 2, 2, 2, 0; haproxy2: 1, 1, 0, as HAProxy reported them');
    expect(right.status).toBe('pass');
    // A runbook that prints only while it waits prints nothing where the sessions had ended before its first
    // reading: that node has nothing to show, the other still must.
    sessions('haproxy2', () => 0, 2, (n) => n);
    obs.drain.haproxy2!.lines = [];
    expect(judge(obs, 'sessions')).toMatchObject({ status: 'pass', message: { en: 'printed session counts haproxy1: 2, 2, 2, 2, 2, 2, 2, 0; haproxy2: no session to wait for, nothing printed, as HAProxy reported them' } });
    obs.drain.haproxy1!.lines = [];
    expect(judge(obs, 'sessions').message.en).toBe('haproxy1: printed no session count (end a line with the number, e.g. `echo "web2 sessions: $n"`)');
    // The sampler read nothing: no reading can be judged, and none passes for it.
    ci(false);
    obs.samples.haproxy2 = [];
    expect(judge(obs, 'sessions').message.en).toBe("haproxy2: lab's sampler read no `show stat` row of the server while the script ran");
  });

  it('a runbook that prints another server\'s count (a steady number) fails sessions', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    for (const run of Object.values(obs.drain)) run.lines = run.lines.map((l) => ({ ...l, text: 'nginx1 sessions: 9' }));
    expect(judge(obs, 'sessions').message.en).toMatch(/printed 9 at \+\d+\.\d s, but HAProxy reported/);
  });

  it('ssl-hello: checks that read TLS on a backend the app is not reached through (TLS terminated, plain HTTP to 10443) fail', () => {
    const f = recorded('health-check-answers', 'ssl-hello-solution');
    const p = params<never>('health-check-answers', f.params);
    const obs = f.observed as healthCheckAnswers.CheckAnswersObservations;
    expect(healthCheckAnswers.decide({ ...obs, answered: 3 }, p).status).toBe('pass');
    const out = healthCheckAnswers.decide({ ...obs, answered: 0, seen: '400 from nginx/1.22.1' }, p);
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/the app answered none of them \(400 from nginx\/1\.22\.1\): the backend must still serve \(TLS passed through/);
  });

  it('a drain that also echoes its commands (`set weight web2 0`) is judged on its readings alone', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    for (const run of Object.values(obs.drain)) run.lines = [{ t: run.start + 1, text: 'haproxy1: set weight web-backend/web2 0' }, ...run.lines];
    expect(judge(obs, 'sessions').status).toBe('pass');
    expect(runbookDrill.readings([{ t: 1, text: 'set weight web2 0' }, { t: 2, text: 'web2 sessions: 3' }, { t: 3, text: '2' }])).toEqual([{ t: 2, n: 3 }, { t: 3, n: 2 }]);
    // No line names the sessions: every line that ends in a number is a reading, as before.
    expect(runbookDrill.readings([{ t: 1, text: 'web2: 3' }, { t: 2, text: 'timeout 30' }])).toEqual([{ t: 1, n: 3 }, { t: 2, n: 30 }]);
  });

  it('a restore that brings the server back heavier than before (`set weight … 100`, absolute) fails restore; lighter (slowstart) does not', () => {
    const withWeights = (now: number) => {
      const obs = drill().observed as runbookDrill.DrillObservations;
      for (const [node, a] of Object.entries(obs.afterRestore)) a.weights = (obs.live[node] ?? []).map((key) => ({ key, now, was: 1 }));
      return obs;
    };
    expect(judge(withWeights(1), 'restore').status).toBe('pass');
    expect(judge(withWeights(0), 'restore').status).toBe('pass');
    const out = judge(withWeights(100), 'restore');
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/web-backend\/web2 is back with weight 100, but it had 1 before the drain/);
  });

  it('a drain whose runbook exits non-zero fails drain and no-drop, whatever it did', () => {
    const obs = drill().observed as runbookDrill.DrillObservations;
    obs.drain.haproxy2!.exit = 1;
    expect(judge(obs, 'drain').message.en).toMatch(/^haproxy2: `sh runbook.sh drain` exited with status 1/);
    expect(judge(obs, 'no-drop').message.en).toMatch(/the drain did not finish cleanly/);
  });

  it('nothing observed is never a pass (no drill, no node, no socket)', () => {
    const empty = { ...(drill().observed as runbookDrill.DrillObservations), haproxyIps: {}, drain: {}, restore: {} };
    for (const j of ['drain', 'no-drop', 'sessions', 'restore', 'metrics'] as const) expect(judge(empty, j).status).toBe('fail');
    const noMetrics = { ...(drill().observed as runbookDrill.DrillObservations), metrics: { during: {}, after: {} } };
    expect(judge(noMetrics, 'metrics').status).toBe('fail');
    expect(runtimeAdmin.decide({ nodes: [] }).status).toBe('fail');
  });

  it('leastconn: busy servers avoided only because they were full (maxconn) fail', () => {
    const fx = recorded('lb-leastconn', 'leastconn-solution');
    const obs = fx.observed as lbLeastconn.LeastconnObservations;
    obs.nodes = obs.nodes.map((n) => ({ ...n, full: n.busy }));
    expect(lbLeastconn.decide(obs).message.en).toMatch(/session limit \(maxconn\)/);
  });

  it('httplog: `option httplog clf` (the Common Log Format variant) is an HTTP log too', () => {
    const clf =
      '172.28.23.10 - - [25/Nov/2026:22:10:01 +0000] "GET /api/lab-log-1a2b HTTP/1.1" 200 250 "" "" 52648 123 "web-in" "web-backend" "web1" 0 0 1 2 3 ---- 1 1 0 0 0 0 0 "" ""';
    expect(httplogLine.parseHttpLog(clf)).toEqual({
      client: '172.28.23.10',
      frontend: 'web-in',
      backend: 'web-backend',
      server: 'web1',
      timers: [0, 0, 1, 2, 3],
      status: 200,
      request: 'GET /api/lab-log-1a2b HTTP/1.1',
    });
  });

  it('health checks: a check on the plain HTTP port with ssl-hello-chk (L6RSP) is a failing check, not a pass', () => {
    const fx = recorded('health-check-answers', 'ssl-hello-solution');
    const obs = fx.observed as healthCheckAnswers.CheckAnswersObservations;
    for (const s of obs.servers) for (const n of Object.values(s.nodes)) Object.assign(n, { status: 'DOWN', checkStatus: 'L6RSP' });
    const out = healthCheckAnswers.decide(obs, params('health-check-answers', fx.params));
    expect(out.message.en).toMatch(/its check fails on haproxy1 \(L6RSP\)/);
  });
});
