// Validate-then-reload for the services whose configs students edit. A config that fails its own
// validator is never loaded: the service keeps running on its last good config.
import type { Runtime } from '../runtime/types.js';
import type { Role } from '../topology/model.js';
import { FileError, LabError } from '../util/errors.js';

export interface Validator {
  /** The command that checks the config inside the node's container. */
  cmd: string[];
  /** Where the config lives inside the container, and the matching workspace folder (relative). */
  containerDir: string;
  workspaceDir: string;
}

export const VALIDATORS: Partial<Record<Role, Validator>> = {
  haproxy: { cmd: ['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg', '-f', '/usr/local/etc/haproxy/lab.cfg'], containerDir: '/etc/haproxy', workspaceDir: 'haproxy' },
  nginx: { cmd: ['nginx', '-t', '-q'], containerDir: '/etc/nginx/conf.d', workspaceDir: 'nginx/conf.d' },
};

export interface ValidationFailure {
  output: string;
  /** First file:line the tool blamed, mapped to the workspace. */
  file?: string;
  line?: number;
}

/** Maps "[/etc/haproxy/haproxy.cfg:12]" or "in /etc/nginx/conf.d/x.conf:7" to the workspace path. */
export function locateError(output: string, v: Validator, workspaceRoot: string): { file?: string; line?: number } {
  const re = new RegExp(`(${v.containerDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/[^\\s:\\]'"]+)[:\\]]?\\s*(?:line\\s*)?:?(\\d+)?`);
  const m = re.exec(output);
  if (!m) return {};
  const rel = m[1]!.slice(v.containerDir.length + 1);
  return { file: `${workspaceRoot}/${v.workspaceDir}/${rel}`, line: m[2] ? Number(m[2]) : undefined };
}

export async function validateInContainer(runtime: Runtime, container: string, role: Role): Promise<ValidationFailure | undefined> {
  const v = VALIDATORS[role];
  if (!v) return undefined;
  const r = await runtime.exec(container, v.cmd, { timeoutMs: 15_000 });
  if (r.exitCode === 0) return undefined;
  return { output: `${r.stdout}${r.stderr}`.trim() };
}

/** Graceful reload: HAProxy's master starts new workers and lets old ones finish; Nginx does the same on HUP. */
export async function signalReload(runtime: Runtime, container: string, role: Role): Promise<void> {
  if (role === 'haproxy') await runtime.signal(container, 'SIGUSR2');
  else if (role === 'nginx') await runtime.signal(container, 'SIGHUP');
  else if (role === 'director') await runtime.signal(container, 'SIGHUP');
  else throw new LabError(`${role} nodes have no config to reload`);
}

export async function validateAndReload(runtime: Runtime, container: string, role: Role, workspaceRoot: string): Promise<void> {
  const failure = await validateInContainer(runtime, container, role);
  if (failure) {
    const v = VALIDATORS[role]!;
    const where = locateError(failure.output, v, workspaceRoot);
    const firstLine = failure.output.split('\n').find((l) => /ALERT|emerg|error|\[crit\]/i.test(l)) ?? failure.output.split('\n')[0] ?? '';
    throw new FileError(where.file ?? `${workspaceRoot}/${v.workspaceDir}`, where.line, firstLine.replace(/^\[[A-Z]+\]\s*\(\d+\)\s*:\s*/, '').trim(), {
      hint: `${container} keeps running on its last good config. Fix the file, then run \`lab apply\`.`,
    });
  }
  await signalReload(runtime, container, role);
}
