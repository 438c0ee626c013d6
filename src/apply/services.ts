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

async function sh(runtime: Runtime, container: string, script: string): Promise<string> {
  const r = await runtime.exec(container, ['sh', '-c', script], { timeoutMs: 5_000 });
  return r.stdout;
}

interface HaproxyProcs {
  reloads: number;
  failed: number;
  workers: string[];
}

/** `show proc` on the master CLI socket lab gives every HAProxy (-S /run/lab-master.sock). */
export async function haproxyProcs(runtime: Runtime, container: string): Promise<HaproxyProcs | undefined> {
  const out = await sh(runtime, container, `echo "show proc" | socat -t 2 - UNIX-CONNECT:${MASTER_SOCKET} 2>/dev/null || true`);
  const master = /^\d+\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(out);
  if (!master) return undefined;
  const section = out.split('# workers')[1]?.split('# old workers')[0] ?? '';
  const workers = [...section.matchAll(/^(\d+)\s+worker\b/gm)].map((m) => m[1]!);
  return { reloads: Number(master[1]), failed: Number(master[2]), workers };
}

async function nginxWorkers(runtime: Runtime, container: string): Promise<string[]> {
  // The master is docker-init's child (containers run with an init), not pid 1: find it by its title.
  const out = await sh(runtime, container, 'm=$(pgrep -o -f "^nginx: master" || echo 1); ps -o pid=,args= --ppid "$m" 2>/dev/null | grep "worker process" | grep -v "shutting down" || true');
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}


/**
 * HAProxy's master re-executes with the new config, starts new workers and lets the old ones finish
 * their connections (SIGUSR2). Resolves once new workers run, so "reloaded" means the new config is live.
 */
export async function reloadHaproxy(runtime: Runtime, container: string, timeoutMs = 10_000): Promise<void> {
  const before = await haproxyProcs(runtime, container);
  await runtime.signal(container, 'SIGUSR2');
  if (!before) return; // no master socket (older image): nothing to confirm with
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(150);
    const now = await haproxyProcs(runtime, container);
    if (now && now.failed > before.failed) {
      throw new LabError(`${container}: HAProxy refused the new config on reload; it keeps running on its last good config`, {
        hint: `See \`lab logs ${container.split('-').pop()}\`.`,
      });
    }
    if (now && now.reloads > before.reloads && now.workers.some((w) => !before.workers.includes(w))) return;
    if (Date.now() > deadline) throw new LabError(`${container}: HAProxy did not finish reloading within ${timeoutMs / 1000} s`);
  }
}

/** Nginx reloads on SIGHUP: new workers with the new config, old ones finish. Resolves once new workers run. */
export async function reloadNginx(runtime: Runtime, container: string, timeoutMs = 10_000): Promise<void> {
  const before = await nginxWorkers(runtime, container);
  await runtime.signal(container, 'SIGHUP');
  if (!before.length) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(150);
    const now = await nginxWorkers(runtime, container);
    if (now.some((w) => !before.includes(w))) return;
    if (Date.now() > deadline) {
      throw new LabError(`${container}: nginx did not start new workers within ${timeoutMs / 1000} s; it keeps its last good config`, {
        hint: `See \`lab logs ${container.split('-').pop()}\`.`,
      });
    }
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
  const r = await runtime.exec(container, ['pgrep', '-x', 'keepalived'], { timeoutMs: 5000 });
  if (r.exitCode !== 0) {
    throw new LabError(`${container}: keepalived stopped after the reload`, { hint: `See \`lab logs ${container.split('-').pop()}\`.` });
  }
}
