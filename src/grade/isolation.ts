// What must be true of a worker lab's student-facing nodes before the next student is graded on it, and
// how we know. A reload with the start files clears what lives in HAProxy's and Nginx's workers (stick
// tables, servers disabled over the socket, runtime map edits, Nginx shared zones the start state does
// not declare, peers-synced tables). It does not clear what outlives a reload:
//   * the container's file system: files a config made the service write (Nginx access_log/error_log or
//     proxy_store anywhere, a HAProxy pidfile or stats socket at any path, caches, temp files);
//   * HAProxy's master process, which re-executes itself on every reload and keeps its environment
//     (`setenv`, `unsetenv`, `resetenv` in one config are seen by the next) and its resource limits
//     (`ulimit-n`);
//   * old workers that keep running after a reload (`grace`, long timeouts: an old HAProxy worker can
//     keep listening and answer the next student's requests);
//   * the master CLI socket lab grades through, which a `stats socket` at its path replaces.
// So after the reset reload each node is proven to be back at its baseline (taken from the fresh node,
// after it loaded the start and the solution files), and a node that is not is recreated:
//   * `docker diff` (the engine's view, which nothing inside the container can fake) must list no path
//     outside the baseline's;
//   * HAProxy: the master socket answers as the master, one generation of workers, the master's
//     environment (bar the variables HAProxy rewrites on every start) and limits as in the baseline;
//   * Nginx: one master and its workers, none shutting down, and /run/nginx.pid holding the master's
//     pid; the log files the baseline has are emptied, so what one student's requests wrote is never
//     there for the next config to read (a path in the baseline can still have had its content changed).
// Lingering old workers are killed first (they belong to the previous student); a node that still
// differs is recreated, never reused.
import type { FsChange, Runtime } from '../runtime/types.js';
import { MASTER_SOCKET, parseHaproxyProcs } from '../apply/services.js';

/** The nodes a submission's configs run in. */
export const STUDENT_ROLES = ['haproxy', 'nginx'] as const;
export type StudentRole = (typeof STUDENT_ROLES)[number];

/** Variables HAProxy's master sets itself on every start, from its command line and the config it just read. */
export const HAPROXY_OWN_ENV = new Set([
  'HAPROXY_PROCESSES',
  'HAPROXY_CLI',
  'HAPROXY_MASTER_CLI',
  'HAPROXY_LOCALPEER',
  'HAPROXY_CFGFILES',
  'HAPROXY_MWORKER',
  'HAPROXY_MWORKER_WAIT_ONLY',
  'HAPROXY_MWORKER_REEXEC',
  'HAPROXY_STARTUP_VERSION',
]);

export interface NodeState {
  /** Paths `docker diff` lists (any kind). */
  paths: string[];
  /** HAProxy: the master's environment (name=value, sorted) and limits; Nginx: empty. */
  env?: string[];
  limits?: string;
}

export interface Baseline {
  /** container → state. */
  nodes: Record<string, NodeState>;
}

export function diffPaths(changes: FsChange[]): string[] {
  return [...new Set(changes.map((c) => c.path))].sort();
}

/** Paths a node changed that its baseline does not have. */
export function newPaths(now: FsChange[], base: NodeState): string[] {
  const known = new Set(base.paths);
  return diffPaths(now).filter((p) => !known.has(p));
}

/** The master's environment reduced to what must not change between students. */
export function envKey(env: string[]): string[] {
  return env
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      const name = i < 0 ? kv : kv.slice(0, i);
      return HAPROXY_OWN_ENV.has(name) ? `${name}=…` : kv;
    })
    .sort();
}

export function envDifference(now: string[], base: string[]): string[] {
  const a = new Set(envKey(now));
  const b = new Set(envKey(base));
  return [...[...a].filter((x) => !b.has(x)).map((x) => `+${x}`), ...[...b].filter((x) => !a.has(x)).map((x) => `-${x}`)];
}

/** Parsed output of the HAProxy state script below. */
export interface HaproxyState {
  masterPid?: string;
  workers: string[];
  oldWorkers: string[];
  env: string[];
  limits: string;
}

// One exec: `show proc` on lab's master socket, then the master's environment and limits. The master
// closes the connection once it has answered, so socat's -t only bounds a master that does not answer;
// it is generous because a miss is read as drift: a master still re-executing for a reload on a loaded
// machine can take seconds, and two misses in a row stop the worker (a CI run at load 25 left a class
// submission unfinished, inferred to be this; -t 2 then).
const HAPROXY_STATE = `
out=$(echo "show proc" | socat -t 5 - UNIX-CONNECT:${MASTER_SOCKET} 2>/dev/null)
echo "$out"
pid=$(echo "$out" | awk '$2=="master"{print $1; exit}')
echo "@@env"
[ -n "$pid" ] && tr '\\0' '\\n' < /proc/$pid/environ
echo "@@limits"
[ -n "$pid" ] && cat /proc/$pid/limits
true`;

export function parseHaproxyState(out: string): HaproxyState {
  const [proc = '', rest = ''] = out.split('@@env\n');
  const [env = '', limits = ''] = rest.split('@@limits\n');
  const p = parseHaproxyProcs(proc);
  return {
    masterPid: p?.masterPid,
    workers: p?.workers ?? [],
    oldWorkers: p?.oldWorkers ?? [],
    env: env.split('\n').filter(Boolean).sort(),
    limits: limits.trim(),
  };
}

export async function haproxyState(runtime: Runtime, container: string): Promise<HaproxyState> {
  const r = await runtime.exec(container, ['sh', '-c', HAPROXY_STATE], { timeoutMs: 10_000 });
  return parseHaproxyState(r.stdout);
}

export interface NginxState {
  master?: string;
  /** What /run/nginx.pid holds (the master's pid, unless a config had Nginx write into it). */
  pidFile?: string;
  workers: string[];
  /** Workers of an earlier generation ("worker process is shutting down"), and anything else running. */
  stray: string[];
}

// One exec: the processes (minus this script), and the baseline's log files emptied.
function nginxScript(truncate: string[]): string {
  const t = truncate.map((f) => `[ -f '${f.replace(/'/g, '')}' ] && [ ! -L '${f.replace(/'/g, '')}' ] && : > '${f.replace(/'/g, '')}'`).join('\n');
  return `${t}\nps -eo pid=,ppid=,args= | grep -v -e 'ps -eo' -e 'sh -c' -e docker-init || true\necho @@pid\nhead -c 200 /run/nginx.pid 2>/dev/null || true`;
}

export function parseNginxState(out: string): NginxState {
  const [procs = '', pidPart] = out.split('@@pid\n');
  const rows = procs
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [pid, ppid, ...args] = l.split(/\s+/);
      return { pid: pid!, ppid: ppid!, args: args.join(' ') };
    });
  // A killed old worker the master has not reaped yet is a zombie: dead, holding nothing.
  const live = rows.filter((r) => !/<defunct>$/.test(r.args));
  const master = live.find((r) => r.args.startsWith('nginx: master process'));
  const workers = live.filter((r) => r.ppid === master?.pid && r.args === 'nginx: worker process').map((r) => r.pid);
  const stray = live.filter((r) => r !== master && !workers.includes(r.pid)).map((r) => `${r.pid} ${r.args}`);
  return { master: master?.pid, workers, stray, ...(pidPart !== undefined ? { pidFile: pidPart.trim() } : {}) };
}

export async function nginxState(runtime: Runtime, container: string, truncate: string[] = []): Promise<NginxState> {
  const r = await runtime.exec(container, ['sh', '-c', nginxScript(truncate)], { timeoutMs: 10_000 });
  return parseNginxState(r.stdout);
}

/** Log files under /var/log/nginx that a node's baseline has (emptied at every reset). */
export function nginxLogs(base: NodeState): string[] {
  return base.paths.filter((p) => /^\/var\/log\/nginx\/[^/]+$/.test(p) && /\.log$/.test(p));
}

/** Why a HAProxy node is not at its baseline (empty: it is). */
export function haproxyDrift(s: HaproxyState, base: NodeState): string[] {
  const why: string[] = [];
  if (!s.masterPid) why.push(`the master socket ${MASTER_SOCKET} does not answer as HAProxy's master`);
  if (s.masterPid && s.workers.length !== 1) why.push(`${s.workers.length} current workers`);
  if (s.oldWorkers.length) why.push(`old workers still run (${s.oldWorkers.join(', ')})`);
  const env = envDifference(s.env, base.env ?? []);
  if (s.masterPid && env.length) why.push(`the master's environment changed (${env.join(', ')})`);
  if (s.masterPid && base.limits !== undefined && s.limits !== base.limits) why.push("the master's resource limits changed");
  return why;
}

export function nginxDrift(s: NginxState): string[] {
  const why: string[] = [];
  if (!s.master) why.push('no nginx master process');
  if (s.master && s.workers.length === 0) why.push('no nginx workers');
  if (s.stray.length) why.push(`other processes run (${s.stray.slice(0, 3).join('; ')})`);
  // A log written into the pid file would be there for a later config to include.
  if (s.master && s.pidFile !== undefined && s.pidFile !== s.master) why.push('/run/nginx.pid holds something else than the master\'s pid');
  return why;
}
