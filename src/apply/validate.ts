// Turning a validator's output into a one-line error at the student's own file and line: haproxy -c,
// nginx -t and keepalived -t each print the container path of the file they reject; we map it back to
// the workspace and keep the tool's own words.
import type { Runtime } from '../runtime/types.js';
import { FileError } from '../util/errors.js';
import { printable } from '../util/text.js';

export interface Validator {
  /** The tool, for messages: haproxy -c, nginx -t, keepalived -t. */
  tool: string;
  /** The command that checks the config inside the node's container. */
  cmd: string[];
  /** Where the config lives inside the container, and the matching workspace folder (relative). */
  containerDir: string;
  workspaceDir: string;
}

export interface ValidationFailure {
  /** The tool's whole output. */
  output: string;
  /** The tool's own message for the first error, with container paths mapped to the workspace. */
  message: string;
  /** First file:line the tool blamed, mapped to the workspace. */
  file?: string;
  line?: number;
  /** The same file inside the container (e.g. /etc/haproxy/haproxy.cfg). */
  containerFile?: string;
}

/** Extra path mappings (container dir → host path), e.g. /etc/haproxy/certs → certs/haproxy. */
export type PathMap = { containerDir: string; hostDir: string }[];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function mapPath(containerPath: string, v: Validator, workspaceRoot: string, extra: PathMap = []): string | undefined {
  // Most specific mapping first: /etc/haproxy/certs before /etc/haproxy.
  const maps = [...extra, { containerDir: v.containerDir, hostDir: `${workspaceRoot}/${v.workspaceDir}` }].sort((a, b) => b.containerDir.length - a.containerDir.length);
  for (const m of maps) {
    if (containerPath === m.containerDir || containerPath.startsWith(`${m.containerDir}/`)) return `${m.hostDir}${containerPath.slice(m.containerDir.length)}`;
  }
  return undefined;
}

/** The line of the tool's output that states the first error. */
export function errorLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return (
    lines.find((l) => /\[ALERT\].*parsing \[/.test(l)) ??
    lines.find((l) => /\[ALERT\]/.test(l) && !/Error\(s\) found|Fatal errors/.test(l)) ??
    lines.find((l) => /\[(emerg|crit|alert)\]/.test(l)) ??
    lines.find((l) => /^\([^)]*: Line \d+\)/.test(l)) ??
    lines.find((l) => /error|invalid|unknown|not found|failed/i.test(l)) ??
    lines[0] ??
    ''
  );
}

/**
 * Maps "[/etc/haproxy/haproxy.cfg:12]", "in /etc/nginx/conf.d/x.conf:7" or
 * "(/etc/lab/keepalived.conf: Line 6)" to the workspace path and line.
 */
export function locateError(output: string, v: Validator, workspaceRoot: string, extra: PathMap = []): { file?: string; line?: number; containerFile?: string } {
  const text = errorLine(output);
  const dirs = [v.containerDir, ...extra.map((m) => m.containerDir)].map(escapeRe).join('|');
  const re = new RegExp(`((?:${dirs})/[^\\s:\\]'"()]+)(?::\\s*(?:Line\\s+)?(\\d+))?`);
  const m = re.exec(text) ?? re.exec(output);
  if (!m) return {};
  const file = mapPath(m[1]!, v, workspaceRoot, extra);
  return { file, line: m[2] ? Number(m[2]) : undefined, containerFile: m[1] };
}

/** The tool's message without its noise (timestamps, pids, "config : parsing [file:line] :"). */
export function cleanMessage(line: string, v: Validator, workspaceRoot: string, extra: PathMap = []): string {
  // The tools quote the offending text: never hand its control bytes to the student's terminal.
  let s = printable(line)
    .replace(/^\[(ALERT|WARNING|NOTICE)\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?/, '')
    .replace(/^parsing \[[^\]]+\]\s*:\s*/, '')
    .replace(/^(nginx: )?(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[(emerg|crit|alert|error)\] (\d+#\d+: )?/, '')
    .replace(/^\([^)]*: Line \d+\)\s*/, '')
    .trim();
  // nginx ends with " in /etc/nginx/conf.d/x.conf:7": the location goes in front of the message instead.
  s = s.replace(new RegExp(`\\s+in\\s+${escapeRe(v.containerDir)}/\\S+:\\d+$`), '');
  const dirs = [v.containerDir, ...extra.map((m) => m.containerDir)];
  for (const d of dirs) {
    s = s.replace(new RegExp(`${escapeRe(d)}(/[^\\s:\\]'"()]*)?`, 'g'), (p) => mapPath(p, v, workspaceRoot, extra) ?? p);
  }
  return s;
}

export async function validateInContainer(
  runtime: Runtime,
  container: string,
  v: Validator,
  workspaceRoot = 'workspace',
  extra: PathMap = [],
): Promise<ValidationFailure | undefined> {
  const r = await runtime.exec(container, v.cmd, { timeoutMs: 15_000, kept: true });
  if (r.exitCode === 0) return undefined;
  return describeFailure(`${r.stdout}${r.stderr}`.trim(), v, workspaceRoot, extra);
}

export function describeFailure(output: string, v: Validator, workspaceRoot: string, extra: PathMap = []): ValidationFailure {
  const where = locateError(output, v, workspaceRoot, extra);
  return { output, message: cleanMessage(errorLine(output), v, workspaceRoot, extra) || `${v.tool} failed`, ...where };
}

/** The failure as the one-line error the CLI prints: `file:line: the tool's message`. */
export function failureToError(f: ValidationFailure, v: Validator, workspaceRoot: string, hint: string): FileError {
  return new FileError(f.file ?? `${workspaceRoot}/${v.workspaceDir}`, f.line, f.message, { hint });
}

