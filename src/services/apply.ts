// `lab apply [exp]`: for every service whose files changed since they were last loaded, validate in
// its container (haproxy -c, nginx -t, keepalived -t) and, when valid, reload it gracefully, one node
// at a time. An invalid config is never loaded: the error names the workspace file and line, adds the
// errata fix when it is a known pitfall, and the service keeps running on its last good config.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../runtime/types.js';
import { DEFAULT_DOMAINS } from '../certs/index.js';
import { loadLab, type Lab } from '../labs/load.js';
import { errataLink, findPitfalls, findWorkspacePitfalls, pitfallForError, type Pitfall } from '../labs/pitfalls.js';
import { defaultWorkspaceDir } from '../labs/workspace.js';
import { contentHash } from '../lifecycle/content-hash.js';
import { readApplied, writeApplied } from '../lifecycle/state.js';
import { failureToError, signalReload, validateInContainer, VALIDATORS, type PathMap, type ValidationFailure } from './reload.js';
import { KINDS } from '../topology/kinds/index.js';
import type { BuildContext } from '../topology/kinds/kind.js';
import { LABEL, labSelector } from '../topology/labels.js';
import type { Role } from '../topology/model.js';
import { FileError, UsageError } from '../util/errors.js';
import { readLabInfo } from '../labs/lab-info.js';

export interface Target {
  lab: Lab;
  labName: string;
  /** Absolute. */
  workspaceDir: string;
  certsDir: string;
  /** Workspace path as printed (relative to cwd), e.g. workspace/exp2. */
  workspaceRoot: string;
  /** Node name → container name, for running nodes. */
  containers: { node: string; role: Role; container: string; running: boolean }[];
}

/**
 * The running lab an apply/reset/solve acts on, and its workspace. `experiment` must match the
 * running one when given; without a running lab, `allowStopped` returns a target with no containers.
 */
export async function resolveTarget(
  runtime: Runtime | undefined,
  opts: { labName: string; cwd: string; experiment?: string; workspace?: string; certsDir?: string; allowStopped?: boolean },
): Promise<Target> {
  const seen = runtime ? await runtime.listContainers(labSelector(opts.labName)) : [];
  const running = seen[0]?.labels[LABEL.experiment];
  if (!seen.length && !opts.allowStopped) {
    throw new UsageError(`lab "${opts.labName}" is not running`, { hint: `Start it with \`lab up ${opts.experiment ?? 'exp2'}\` (or pass --name for another lab).` });
  }
  if (opts.experiment && running && opts.experiment !== running) {
    throw new UsageError(`lab "${opts.labName}" runs ${running}, not ${opts.experiment}`, {
      hint: `Run \`lab apply ${running}\`, or switch experiments with \`lab up ${opts.experiment}\`.`,
    });
  }
  const experiment = opts.experiment ?? running;
  if (!experiment) throw new UsageError('which experiment?', { hint: 'Name it, e.g. `lab reset exp2`.' });
  const lab = loadLab(experiment);
  const info = readLabInfo(opts.cwd, opts.labName);
  const fromInfo = info && info.experiment === experiment ? info : undefined;
  const workspaceDir = opts.workspace ? path.resolve(opts.cwd, opts.workspace) : (fromInfo?.workspaceDir ?? defaultWorkspaceDir(opts.cwd, experiment));
  const certsDir = opts.certsDir ? path.resolve(opts.cwd, opts.certsDir) : (fromInfo?.certsDir ?? path.resolve(opts.cwd, 'certs'));
  return {
    lab,
    labName: opts.labName,
    workspaceDir,
    certsDir,
    workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
    containers: seen
      .filter((c) => c.labels[LABEL.node] && c.labels[LABEL.role])
      .map((c) => ({ node: c.labels[LABEL.node]!, role: c.labels[LABEL.role] as Role, container: c.name, running: c.state === 'running' }))
      .sort((a, b) => a.node.localeCompare(b.node, 'en', { numeric: true })),
  };
}

/** The content hash `lab up` records for a node's config sources (same inputs, same function). */
export function configHashOf(t: Target, role: Role): string | undefined {
  const kind = KINDS.find((k) => k.role === role);
  if (!kind?.configSources) return undefined;
  const ctx = { workspaceDir: t.workspaceDir, certsDir: t.certsDir, nginxTls: t.lab.def.topology.nginxTls, domains: DEFAULT_DOMAINS } as BuildContext;
  return contentHash(kind.configSources(ctx, 0));
}

export function pathMapFor(t: Target, cwd: string): PathMap {
  return [{ containerDir: '/etc/haproxy/certs', hostDir: path.relative(cwd, path.join(t.certsDir, 'haproxy')) || '.' }];
}

export interface RoleOutcome {
  role: Role;
  tool: string;
  nodes: string[];
  status: 'unchanged' | 'reloaded' | 'invalid' | 'reload-failed';
  error?: FileError | Error;
  /** The errata pitfall the error matches. */
  pitfall?: Pitfall;
}

export interface ApplyResult {
  target: Target;
  outcomes: RoleOutcome[];
  /** Warnings (errata pitfalls that load but misbehave) in the files just applied. */
  warnings: (Pitfall & { file: string })[];
  ok: boolean;
}

/** The hint for an invalid config: the errata fix when it is a known pitfall, and what still runs. */
export function hintFor(f: ValidationFailure, workspaceDir: string, workspaceRoot: string, nodes: string[]): { hint: string; pitfall?: Pitfall } {
  let pitfall: Pitfall | undefined;
  if (f.file?.startsWith(`${workspaceRoot}/`)) {
    const abs = path.join(workspaceDir, f.file.slice(workspaceRoot.length + 1));
    if (existsSync(abs)) {
      const dir = path.dirname(abs);
      const siblings = readdirSync(dir)
        .map((n) => path.join(dir, n))
        .filter((f) => f !== abs && f.endsWith(path.extname(abs)) && statSync(f).isFile())
        .map((f) => readFileSync(f, 'utf8'));
      pitfall = pitfallForError(f.output, findPitfalls(abs, readFileSync(abs, 'utf8'), { siblings }), f.line);
    }
  }
  pitfall ??= pitfallForError(f.output, [], f.line);
  const keeps = `${nodes.join(', ')} ${nodes.length === 1 ? 'keeps' : 'keep'} running on the last good config.`;
  const fix = pitfall ? `Errata ${pitfall.errata}: ${pitfall.fix} (${errataLink(pitfall.errata)}). ` : 'Fix the file, then run `lab apply` again. ';
  return { hint: `${fix}${keeps}`, pitfall };
}

export async function applyWorkspace(
  runtime: Runtime,
  opts: { labName: string; cwd: string; experiment?: string; workspace?: string; certsDir?: string; force?: boolean; onProgress?: (line: string) => void },
): Promise<ApplyResult> {
  const t = await resolveTarget(runtime, opts);
  if (!existsSync(t.workspaceDir)) {
    throw new UsageError(`no workspace at ${t.workspaceRoot}`, { hint: `\`lab up ${t.lab.id}\` creates it (or pass --workspace DIR).` });
  }
  const applied = readApplied(opts.cwd, opts.labName);
  const extra = pathMapFor(t, opts.cwd);
  const outcomes: RoleOutcome[] = [];
  const warnings: ApplyResult['warnings'] = [];
  const roles = [...new Set(t.containers.map((c) => c.role))].filter((r) => VALIDATORS[r] && KINDS.find((k) => k.role === r)?.configSources);

  // Roles are independent: validate and reload HAProxy and Nginx at the same time.
  await Promise.all(
    roles.map(async (role) => {
      const v = VALIDATORS[role]!;
      const hash = configHashOf(t, role)!;
      const nodes = t.containers.filter((c) => c.role === role && c.running);
      const due = nodes.filter((n) => opts.force || applied[n.node] !== hash);
      const outcome: RoleOutcome = { role, tool: v.tool, nodes: due.map((n) => n.node), status: 'unchanged' };
      outcomes.push(outcome);
      if (!due.length) return;
      // The nodes of a role mount the same folder: one validation speaks for all of them.
      opts.onProgress?.(`${v.tool} in ${due[0]!.node}`);
      const failure = await validateInContainer(runtime, due[0]!.container, role, t.workspaceRoot, extra);
      if (failure) {
        const { hint, pitfall } = hintFor(failure, t.workspaceDir, t.workspaceRoot, nodes.map((n) => n.node));
        outcome.status = 'invalid';
        outcome.error = failureToError(failure, v, t.workspaceRoot, hint);
        outcome.pitfall = pitfall;
        return;
      }
      // One node at a time, so a node is always serving while its peer reloads.
      for (const n of due) {
        opts.onProgress?.(`reload ${n.node}`);
        try {
          await signalReload(runtime, n.container, role);
        } catch (e) {
          outcome.status = 'reload-failed';
          outcome.error = e as Error;
          return;
        }
        applied[n.node] = hash;
        writeApplied(opts.cwd, opts.labName, applied);
      }
      outcome.status = 'reloaded';
      const dir = v.workspaceDir.split('/')[0]!;
      warnings.push(...findWorkspacePitfalls(t.workspaceDir).filter((p) => p.severity === 'warning' && p.file.startsWith(`${dir}/`)));
    }),
  );
  outcomes.sort((a, b) => roles.indexOf(a.role) - roles.indexOf(b.role));
  return { target: t, outcomes, warnings, ok: outcomes.every((o) => o.status === 'unchanged' || o.status === 'reloaded') };
}
