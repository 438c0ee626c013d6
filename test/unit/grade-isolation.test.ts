// The proof that a worker's HAProxy and Nginx nodes are back at their baseline: what docker diff,
// HAProxy's master socket and /proc, and ps say, and which differences make a node be recreated.
import { describe, expect, it } from 'vitest';
import {
  envDifference, haproxyDrift, newPaths, nginxDrift, nginxLogs, parseHaproxyState, parseNginxState, type NodeState,
} from '../../src/grade/isolation.js';

const SHOW_PROC = `#<PID>          <type>          <reloads>       <uptime>        <version>
7               master          3 [failed: 0]   0d00h04m48s     2.6.12-1+deb12u3
# workers
38              worker          0               0d00h00m01s     2.6.12-1+deb12u3
# old workers
31              worker          1               0d00h00m09s     2.6.12-1+deb12u3
# programs
`;
const ENV = ['HOSTNAME=haproxy1', 'LAB_OFFICE_NET=172.28.28.0/24', 'PATH=/usr/bin:/bin', 'HAPROXY_CLI=unix@/var/run/haproxy.sock;sockpair@5', 'HAPROXY_PROCESSES=|type=m;pid=7', 'HAPROXY_MWORKER=1'];
const LIMITS = 'Max open files            20000                20000                files';

const out = (proc: string, env: string[], limits: string) => `${proc}@@env\n${env.join('\n')}\n@@limits\n${limits}\n`;
const base: NodeState = { paths: ['/run', '/run/haproxy', '/run/haproxy.sock', '/run/lab-master.sock'], env: ENV, limits: LIMITS };

describe('HAProxy node', () => {
  it('parses show proc, the master environment and its limits', () => {
    const s = parseHaproxyState(out(SHOW_PROC, ENV, LIMITS));
    expect(s).toMatchObject({ masterPid: '7', workers: ['38'], oldWorkers: ['31'], limits: LIMITS });
    expect(s.env).toEqual([...ENV].sort());
  });

  it('is at its baseline when one generation of workers runs and the master kept its environment and limits', () => {
    const proc = SHOW_PROC.replace(/# old workers\n31 .*\n/, '');
    // What HAProxy rewrites itself on every start (its process list, its sockets) is not a difference.
    const env = ENV.map((e) => (e.startsWith('HAPROXY_PROCESSES=') ? 'HAPROXY_PROCESSES=|type=m;pid=7|type=w;pid=99' : e.startsWith('HAPROXY_CLI=') ? 'HAPROXY_CLI=unix@/tmp/other.sock' : e));
    expect(haproxyDrift(parseHaproxyState(out(proc, env, LIMITS)), base)).toEqual([]);
  });

  it('differs after setenv/presetenv/unsetenv, ulimit-n, lingering old workers, or a master socket that is not the master\'s', () => {
    const proc = SHOW_PROC.replace(/# old workers\n31 .*\n/, '');
    const set = parseHaproxyState(out(proc, [...ENV.filter((e) => !e.startsWith('LAB_OFFICE_NET')), 'LAB_OFFICE_NET=0.0.0.0/0', 'LAB_SNEAKY=yes'], LIMITS));
    expect(haproxyDrift(set, base).join('\n')).toMatch(/environment changed \(\+LAB_OFFICE_NET=0\.0\.0\.0\/0, \+LAB_SNEAKY=yes, -LAB_OFFICE_NET=172\.28\.28\.0\/24\)/);
    expect(envDifference(ENV.filter((e) => !e.startsWith('PATH')), ENV)).toEqual(['-PATH=/usr/bin:/bin']);
    expect(haproxyDrift(parseHaproxyState(out(proc, ENV, LIMITS.replace(/20000 {16}20000/, '4096                 20000'))), base)).toEqual(["the master's resource limits changed"]);
    expect(haproxyDrift(parseHaproxyState(out(SHOW_PROC, ENV, LIMITS)), base)).toEqual(['old workers still run (31)']);
    // A worker's stats socket at the master's path answers "Unknown command", not a process list.
    expect(haproxyDrift(parseHaproxyState(out('Unknown command. Please enter one of the following commands only :\n', [], '')), base)).toEqual([
      'the master socket /run/lab-master.sock does not answer as HAProxy\'s master',
    ]);
  });
});

describe('Nginx node', () => {
  const PS = `6 1 nginx: master process nginx -g daemon off;\n7 6 nginx: worker process\n8 6 nginx: worker process\n`;
  it('is at its baseline with one master and its workers', () => {
    const s = parseNginxState(PS);
    expect(s).toEqual({ master: '6', workers: ['7', '8'], stray: [] });
    expect(nginxDrift(s)).toEqual([]);
  });
  it('differs with an old generation of workers still shutting down, or no master', () => {
    const s = parseNginxState(`${PS}5 6 nginx: worker process is shutting down\n`);
    expect(nginxDrift(s)).toEqual(['other processes run (5 nginx: worker process is shutting down)']);
    expect(nginxDrift(parseNginxState(''))).toEqual(['no nginx master process']);
    // Bench finding: an old worker just killed is a zombie until the master reaps it; that is no drift.
    expect(nginxDrift(parseNginxState(`${PS}418 6 [nginx] <defunct>\n`))).toEqual([]);
  });
  it('differs when /run/nginx.pid was written into (a log aimed at it), not when it holds the master pid', () => {
    expect(nginxDrift(parseNginxState(`${PS}@@pid\n6\n`))).toEqual([]);
    expect(nginxDrift(parseNginxState(`${PS}@@pid\n6\nserver { listen 10080; }\n`))).toEqual(["/run/nginx.pid holds something else than the master's pid"]);
  });
  it('empties only the log files of its baseline, never a link', () => {
    expect(nginxLogs({ paths: ['/var/log/nginx', '/var/log/nginx/a.access.log', '/var/log/nginx/sub/x.log', '/run/nginx.pid', '/etc/nginx/x.log'] })).toEqual(['/var/log/nginx/a.access.log']);
  });
});

describe('docker diff against the baseline', () => {
  it('lists every path the baseline lacks, whatever its kind', () => {
    const now = [
      { path: '/run', kind: 'changed' as const },
      { path: '/run/lab-master.sock', kind: 'added' as const },
      { path: '/etc/nginx/sites-enabled/evil.conf', kind: 'added' as const },
      { path: '/etc/nginx/mime.types', kind: 'changed' as const },
      { path: '/usr/bin/find', kind: 'deleted' as const },
    ];
    expect(newPaths(now, base)).toEqual(['/etc/nginx/mime.types', '/etc/nginx/sites-enabled/evil.conf', '/usr/bin/find']);
  });
});
