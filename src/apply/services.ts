// The services students configure, as their kinds use them: how each one is validated in its
// container and reloaded gracefully. A config that fails its own validator is never loaded: the
// service keeps running on its last good config.
//
// The subtlety: the workspace is bind-mounted live, so a broken file is visible inside the container
// the moment the student saves it. HAProxy and Nginx only read their config at start and on reload,
// so validating before every reload protects the running process. A container that *starts* would
// read the broken file, though: that is why `lab up` validates before recreating a node
// (src/apply/guard.ts) and why `lab apply` never restarts a container, it only signals a reload.
import type { Runtime } from '../runtime/types.js';
import { LabError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import type { Validator } from './validate.js';

/** The master CLI socket lab gives every HAProxy (-S): the grader and the reload read it whatever the student configured. */
export const MASTER_SOCKET = '/run/lab-master.sock';

export const haproxyValidator: Validator = {
  tool: 'haproxy -c',
  cmd: ['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg', '-f', '/usr/local/etc/haproxy/lab.cfg'],
  containerDir: '/etc/haproxy',
  workspaceDir: 'haproxy',
};

/**
 * keepalived's own check, run by the director's entrypoint (`lab-director --check`) so the student's
 * file is validated with the machine-specific variables resolved exactly as at start (exp7).
 */
export const keepalivedValidator: Validator = {
  tool: 'keepalived -t',
  cmd: ['/usr/local/bin/lab-director', '--check'],
  containerDir: '/etc/keepalived',
  workspaceDir: 'keepalived',
};

export const nginxValidator: Validator = { tool: 'nginx -t', cmd: ['nginx', '-t', '-q'], containerDir: '/etc/nginx/conf.d', workspaceDir: 'nginx/conf.d' };

/** What `show proc` on an HAProxy master says: the reload and grading code read it the same way. */
export interface HaproxyProcs {
  masterPid: string;
  reloads: number;
  failed: number;
  workers: string[];
  /** Workers of earlier generations still serving long connections. */
  oldWorkers: string[];
}

/** `show proc` on the master CLI socket lab gives every HAProxy (-S /run/lab-master.sock). */
export function parseHaproxyProcs(out: string): HaproxyProcs | undefined {
  const master = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(out);
  if (!master) return undefined;
  const section = (name: string, next: string) => out.split(`# ${name}`)[1]?.split(`# ${next}`)[0] ?? '';
  const pids = (text: string) => [...text.matchAll(/^(\d+)\s+worker\b/gm)].map((m) => m[1]!);
  return { masterPid: master[1]!, reloads: Number(master[2]), failed: Number(master[3]), workers: pids(section('workers', 'old workers')), oldWorkers: pids(section('old workers', 'programs')) };
}

/** The master's processes now, in one exec. */
export async function haproxyProcs(runtime: Runtime, container: string): Promise<HaproxyProcs | undefined> {
  const r = await runtime.exec(container, ['sh', '-c', `echo "show proc" | socat -t 2 - UNIX-CONNECT:${MASTER_SOCKET} 2>/dev/null || true`], { timeoutMs: 5_000, kept: true });
  return parseHaproxyProcs(r.stdout);
}

// A reload is one command in the container: the state before, the signal to the master from inside the
// container (as root, like the engine's own kill), and a wait for the new workers, polled in the
// container. An exec costs the engine about 50 ms of CPU (runc, the shim, dockerd); a reload polled from
// here took two or more, and class grading reloads five nodes twice per student. Where lab has a shell
// kept open in the node (a grader, the tests), the command goes down it: no exec at all. Once only: a
// reload must not be signalled twice because the shell was lost. The script prints the states before
// and after, and the decision is made here (decideHaproxyReload, decideNginxReload). "@@nomaster":
// nothing to signal from inside (no master socket, or no Nginx master): the engine signals the container.
const POLL_S = 0.1;

function haproxyReloadScript(secs: number): string {
  return `s=${MASTER_SOCKET}
p() { echo "show proc" | socat -t 2 - UNIX-CONNECT:$s 2>/dev/null; }
ws() { echo "$1" | awk '/^# workers/{w=1;next} /^#/{w=0} w&&$2=="worker"{print $1}'; }
cnt() { echo "$1" | awk '$2=="master"{print $3, $5; exit}'; }
b=$(p)
m=$(echo "$b" | awk '$2=="master"{print $1; exit}')
[ -n "$m" ] || { echo @@nomaster; exit 0; }
bw=" $(echo $(ws "$b")) "; bc=$(cnt "$b")
kill -USR2 "$m" || { echo @@nomaster; exit 0; }
end=$(( $(date +%s) + ${secs} + 1 )); n=""
while [ "$(date +%s)" -lt $end ]; do
  sleep ${POLL_S}; n=$(p); nc=$(cnt "$n")
  [ -n "$nc" ] && [ "$nc" != "$bc" ] || continue
  [ "\${nc#* }" != "\${bc#* }" ] && break
  for w in $(ws "$n"); do case "$bw" in *" $w "*) ;; *) break 2;; esac; done
done
printf '@@before\n%s\n@@after\n%s\n' "$b" "$n"`;
}

function nginxReloadScript(secs: number): string {
  // The master is docker-init's child (containers run with an init), not pid 1: found by its title.
  return `m=$(pgrep -o -f "^nginx: master")
[ -n "$m" ] || { echo @@nomaster; exit 0; }
ws() { ps -o pid=,args= --ppid "$m" 2>/dev/null | grep "worker process" | grep -v "shutting down" | awk '{print $1}'; }
b=$(ws); bw=" $(echo $b) "
kill -HUP "$m" || { echo @@nomaster; exit 0; }
end=$(( $(date +%s) + ${secs} + 1 )); n="$b"
while [ -n "$b" ] && [ "$(date +%s)" -lt $end ]; do
  sleep ${POLL_S}; n=$(ws)
  for w in $n; do case "$bw" in *" $w "*) ;; *) break 2;; esac; done
done
printf '@@before\n%s\n@@after\n%s\n' "$b" "$n"`;
}

/** The script's two states, or undefined when it signalled nothing (or did not answer as lab's script does). */
function beforeAfter(out: string): { before: string; after: string } | undefined {
  const m = /(?:^|\n)@@before\n([\s\S]*?)\n?@@after\n([\s\S]*)$/.exec(out);
  return m ? { before: m[1]!, after: m[2]! } : undefined;
}

export type ReloadVerdict = 'signal' | 'reloaded' | 'refused' | 'timeout';

export function decideHaproxyReload(out: string): ReloadVerdict {
  const s = beforeAfter(out);
  const before = s && parseHaproxyProcs(s.before);
  if (!s || !before) return 'signal';
  const now = parseHaproxyProcs(s.after);
  if (now && now.failed > before.failed) return 'refused';
  if (now && now.reloads > before.reloads && now.workers.some((w) => !before.workers.includes(w))) return 'reloaded';
  return 'timeout';
}

export function decideNginxReload(out: string): ReloadVerdict {
  const s = beforeAfter(out);
  if (!s) return 'signal';
  const ids = (t: string) => t.split('\n').map((l) => l.trim()).filter(Boolean);
  const before = ids(s.before);
  // No workers before: nothing to confirm with (as when the master had none to replace).
  if (!before.length) return 'reloaded';
  return ids(s.after).some((w) => !before.includes(w)) ? 'reloaded' : 'timeout';
}

const secs = (timeoutMs: number) => Math.max(1, Math.ceil(timeoutMs / 1000));
// The script stops polling at its deadline; the exec's own bound leaves room for the last poll (socat -t 2)
// and for a loaded engine starting the exec.
const execBound = (timeoutMs: number) => timeoutMs + 8_000;

/**
 * HAProxy's master re-executes with the new config, starts new workers and lets the old ones finish
 * their connections (SIGUSR2). Resolves once new workers run, so "reloaded" means the new config is live.
 */
export async function reloadHaproxy(runtime: Runtime, container: string, timeoutMs = 10_000): Promise<void> {
  const r = await runtime.exec(container, ['sh', '-c', haproxyReloadScript(secs(timeoutMs))], { timeoutMs: execBound(timeoutMs), kept: 'once' });
  const verdict = decideHaproxyReload(r.stdout);
  if (verdict === 'signal') return runtime.signal(container, 'SIGUSR2');
  if (verdict === 'refused') {
    throw new LabError(`${container}: HAProxy refused the new config on reload; it keeps running on its last good config`, {
      hint: `See \`lab logs ${container.split('-').pop()}\`.`,
    });
  }
  if (verdict === 'timeout') throw new LabError(`${container}: HAProxy did not finish reloading within ${timeoutMs / 1000} s`);
}

/** Nginx reloads on SIGHUP: new workers with the new config, old ones finish. Resolves once new workers run. */
export async function reloadNginx(runtime: Runtime, container: string, timeoutMs = 10_000): Promise<void> {
  const r = await runtime.exec(container, ['sh', '-c', nginxReloadScript(secs(timeoutMs))], { timeoutMs: execBound(timeoutMs), kept: 'once' });
  const verdict = decideNginxReload(r.stdout);
  if (verdict === 'signal') return runtime.signal(container, 'SIGHUP');
  if (verdict === 'timeout') {
    throw new LabError(`${container}: nginx did not start new workers within ${timeoutMs / 1000} s; it keeps its last good config`, {
      hint: `See \`lab logs ${container.split('-').pop()}\`.`,
    });
  }
}

/**
 * A director reloads on SIGHUP: its entrypoint re-resolves lab's include and passes the signal to
 * keepalived and the layer-4 forwarder (which reads its l4.spec again). keepalived answers a reload in
 * a moment; we confirm it still runs afterwards (a config it could not load would stop it).
 */
export async function reloadDirector(runtime: Runtime, container: string): Promise<void> {
  await runtime.signal(container, 'SIGHUP');
  await sleep(500);
  const r = await runtime.exec(container, ['pgrep', '-x', 'keepalived'], { timeoutMs: 5000, kept: true });
  if (r.exitCode !== 0) {
    throw new LabError(`${container}: keepalived stopped after the reload`, { hint: `See \`lab logs ${container.split('-').pop()}\`.` });
  }
}
