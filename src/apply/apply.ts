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
import { defaultWorkspaceDir } from '../workspace/seed.js';
import { contentHash } from '../lifecycle/content-hash.js';
import type { LabView, ObservedNode } from '../lifecycle/observe.js';
import { stateDir, writeApplied, writeAtomic } from '../state/store.js';
import type { BuildContext } from '../topology/kinds/kind.js';
import { vrrpAddresses } from '../topology/kinds/director.js';
import { NETWORK_KEYS, type NetworkKey } from '../topology/networks.js';
import { inodeOf } from '../util/files.js';
import { kindOf } from '../topology/kinds/index.js';
import type { Service, SourceContext } from '../topology/kinds/kind.js';
import { replacedMounts } from '../topology/build.js';
import { LABEL } from '../topology/labels.js';
import { FileError, UsageError } from '../util/errors.js';
import { walkFiles } from '../util/files.js';
import { textProblem } from '../util/text.js';
import { settleForwarding } from '../forwarding/settle.js';
import { failureToError, validateInContainer, type PathMap, type ValidationFailure } from './validate.js';

export interface Target {
  lab: Lab;
  labName: string;
  view?: LabView;
  /** The project folder whose .lab/<name>/ holds the state (absolute). */
  rootDir: string;
  /** Absolute. */
  workspaceDir: string;
  certsDir: string;
  /** Workspace path as printed (relative to cwd), e.g. workspace/exp2. */
  workspaceRoot: string;
  /** The lab's nodes when it runs this experiment. */
  nodes: ObservedNode[];
}

/**
 * The lab an apply/reset/solve/guide acts on, and its workspace: what `lab up` recorded on the engine
 * when the lab runs this experiment, else the defaults beside `cwd`. `experiment` must match the
 * running one when given; without a running lab, `allowStopped` returns a target with no nodes.
 */
export function resolveTarget(
  view: LabView | undefined,
  opts: { labName: string; cwd: string; experiment?: string; workspace?: string; certsDir?: string; allowStopped?: boolean },
): Target {
  const running = view?.nodes.some((n) => n.state === 'running') ? view.experiment : null;
  if (!running && !opts.allowStopped) {
    throw new UsageError(`lab "${opts.labName}" is not running`, { hint: `Start it with \`lab up ${opts.experiment ?? 'exp2'}\` (or pass --name for another lab).` });
  }
  if (opts.experiment && running && opts.experiment !== running && !opts.allowStopped) {
    throw new UsageError(`lab "${opts.labName}" runs ${running}, not ${opts.experiment}`, {
      hint: `Run \`lab apply ${running}\`, or switch experiments with \`lab up ${opts.experiment}\`.`,
    });
  }
  const experiment = opts.experiment ?? running;
  if (!experiment) throw new UsageError('which experiment?', { hint: 'Name it, e.g. `lab reset exp2`.' });
  const lab = loadLab(experiment);
  const ours = view && view.experiment === experiment ? view : undefined;
  const rootDir = view?.rootDir ?? path.resolve(opts.cwd);
  const workspaceDir = opts.workspace ? path.resolve(opts.cwd, opts.workspace) : (ours?.workspaceDir ?? defaultWorkspaceDir(rootDir, experiment));
  const certsDir = opts.certsDir ? path.resolve(opts.cwd, opts.certsDir) : (ours?.certsDir ?? path.join(rootDir, 'certs'));
  return {
    lab,
    labName: opts.labName,
    view,
    rootDir,
    workspaceDir,
    certsDir,
    workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
    nodes: ours ? ours.nodes : [],
  };
}

function sourceContext(t: Target): SourceContext {
  return { workspaceDir: t.workspaceDir, certsDir: t.certsDir, nginxTls: t.lab.def.topology.nginxTls, keepalived: t.lab.def.topology.keepalived, domains: DEFAULT_DOMAINS };
}

/** The content hash `lab up` records for a role's config sources (same inputs, same function). */
export function configHashOf(t: Target, role: string): string | undefined {
  const sources = kindOf(role).configSources?.(sourceContext(t), 0);
  return sources ? contentHash(sources) : undefined;
}

export function pathMapFor(t: Target, cwd: string): PathMap {
  return [{ containerDir: '/etc/haproxy/certs', hostDir: path.relative(cwd, path.join(t.certsDir, 'haproxy')) || '.' }];
}

/** Running nodes that still mount a folder the student has since replaced (rm -rf + cp -r): they must be recreated. */
export function staleNodes(nodes: ObservedNode[], inodeOf: (p: string) => number | undefined): { node: string; paths: string[] }[] {
  return nodes
    .map((n) => ({ node: n.node, paths: replacedMounts(n.labels[LABEL.mounts], inodeOf) }))
    .filter((s) => s.paths.length > 0);
}

export interface RoleOutcome {
  role: string;
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

/** The build context of a running lab, from what the engine recorded (for files lab derives from the workspace). */
export function contextOf(t: Target): BuildContext | undefined {
  const v = t.view;
  if (!v?.forwarding || NETWORK_KEYS.some((k) => !v.subnets[k])) return undefined;
  const subnets = v.subnets as Record<NetworkKey, string>;
  return {
    lab: t.labName,
    experiment: t.lab.id,
    forwarding: v.forwarding,
    images: {},
    subnets,
    ...vrrpAddresses(subnets),
    rootDir: t.rootDir,
    workspaceDir: t.workspaceDir,
    certsDir: t.certsDir,
    stateDir: path.resolve(stateDir(t.rootDir, t.labName)),
    domains: DEFAULT_DOMAINS,
    nginxTls: t.lab.def.topology.nginxTls,
    keepalived: t.lab.def.topology.keepalived,
    inodeOf,
  };
}

/** The generated files of the due nodes of a role, or the error that making them gave (e.g. an L4SpecError at the student's line). */
function generatedFor(t: Target, role: string, due: ObservedNode[]): Record<string, string> | Error {
  const kind = kindOf(role);
  if (!kind.files) return {};
  const ctx = contextOf(t);
  if (!ctx) return {};
  try {
    const out: Record<string, string> = {};
    for (const n of due) {
      const i = Array.from({ length: kind.count }, (_, k) => kind.name(k)).indexOf(n.node);
      if (i >= 0) Object.assign(out, kind.files(ctx, i));
    }
    return out;
  } catch (e) {
    return e as Error;
  }
}

/** A service's main config, which must not be empty (an empty conf.d file is fine for nginx). */
const MAIN_CONFIGS = new Set(['haproxy/haproxy.cfg', 'keepalived/keepalived.conf', 'keepalived/lvs1.conf', 'keepalived/lvs2.conf']);

/**
 * The first workspace file of a role that is no config at all (binary, not UTF-8, huge, or an empty main
 * config), checked on the host before any container sees it: the validators would only echo its bytes.
 */
export function unreadableConfig(workspaceDir: string, workspaceRoot: string, roleDir: string): { file: string; line?: number; message: string; hint: string } | undefined {
  const dir = path.join(workspaceDir, roleDir);
  for (const rel of walkFiles(dir)) {
    const inWorkspace = `${roleDir}/${rel}`;
    if (inWorkspace.startsWith('haproxy/certs/')) continue; // the PEM bundles' mount point
    const p = textProblem(readFileSync(path.join(dir, rel)), { nonEmpty: MAIN_CONFIGS.has(inWorkspace) });
    if (p) return { file: `${workspaceRoot}/${inWorkspace}`, ...p };
  }
  return undefined;
}

/** Validates and reloads every service of the target whose files changed (all of them with `force`). */
export async function applyTarget(
  runtime: Runtime,
  t: Target,
  opts: { cwd: string; force?: boolean; onProgress?: (line: string) => void; /** Reload a role's nodes all at once (nobody is served meanwhile, e.g. class grading). */ allAtOnce?: boolean },
): Promise<ApplyResult> {
  if (!existsSync(t.workspaceDir)) {
    throw new UsageError(`no workspace at ${t.workspaceRoot}`, { hint: `\`lab up ${t.lab.id}\` creates it (or pass --workspace DIR).` });
  }
  const applied = { ...(t.view?.applied ?? {}) };
  const extra = pathMapFor(t, opts.cwd);
  const outcomes: RoleOutcome[] = [];
  const warnings: ApplyResult['warnings'] = [];
  const services = [...new Set(t.nodes.map((n) => n.role))]
    .map((role) => ({ role, kind: kindOf(role) }))
    .map(({ role, kind }) => ({ role, service: kind.service, v: kind.service?.validator({ experiment: t.lab.id, keepalived: t.lab.def.topology.keepalived }) }))
    .filter((x) => x.service && x.v && kindOf(x.role).configSources);
  const roles = services.map((s) => s.role);

  // Validation is independent per role, so HAProxy and Nginx validate at the same time. Reloads are not:
  // a reloaded HAProxy checks its servers at once, and with HAProxy's default init-state a first failed
  // check marks a server DOWN for rise × inter (4 s here). A new HAProxy config that points at a port the
  // new Nginx config opens (exp2's pass-through to :10443, any port a student moves) must meet it open,
  // so the tiers reload back to front, as a request travels in reverse: Nginx, then HAProxy, then the
  // directors that check HAProxy. Seen in CI: two of seven SNIs' handshakes cut by servers marked DOWN.
  const ready: { role: string; service: Service; dir: string; hash: string; due: ObservedNode[]; outcome: RoleOutcome }[] = [];
  await Promise.all(
    services.map(async ({ role, service, v }) => {
      const hash = configHashOf(t, role)!;
      const nodes = t.nodes.filter((n) => n.role === role && n.state === 'running');
      const due = nodes.filter((n) => opts.force || applied[n.node] !== hash);
      const outcome: RoleOutcome = { role, tool: v!.tool, nodes: due.map((n) => n.node), status: 'unchanged' };
      outcomes.push(outcome);
      if (!due.length) return;
      const keeps = `${nodes.map((n) => n.node).join(', ')} ${nodes.length === 1 ? 'keeps' : 'keep'} running on the last good config.`;
      const unreadable = unreadableConfig(t.workspaceDir, t.workspaceRoot, v!.workspaceDir);
      if (unreadable) {
        outcome.status = 'invalid';
        outcome.tool = 'lab apply';
        outcome.error = new FileError(unreadable.file, unreadable.line, unreadable.message, { hint: `${unreadable.hint} Nothing was sent to the container; ${keeps}` });
        return;
      }
      // The nodes of a role mount the same folder: one validation speaks for all of them, unless each
      // node loads a file of its own (the directors' lvs1.conf and lvs2.conf).
      for (const n of service!.perNode ? due : due.slice(0, 1)) {
        opts.onProgress?.(`${v!.tool} in ${n.node}`);
        const failure = await validateInContainer(runtime, n.container, v!, t.workspaceRoot, extra);
        if (failure) {
          const { hint, pitfall } = hintFor(failure, t.workspaceDir, t.workspaceRoot, nodes.map((x) => x.node));
          outcome.status = 'invalid';
          outcome.error = failureToError(failure, v!, t.workspaceRoot, hint);
          outcome.pitfall = pitfall;
          return;
        }
      }
      // Files lab derives from the student's (the directors' l4.spec): written before the reload reads them.
      const files = generatedFor(t, role, due);
      if (files instanceof Error) {
        outcome.status = 'invalid';
        outcome.error = files;
        return;
      }
      for (const [file, content] of Object.entries(files)) writeAtomic(file, content);
      ready.push({ role, service: service!, dir: v!.workspaceDir.split('/')[0]!, hash, due, outcome });
    }),
  );
  // A role whose reload failed does not hold the others back: each role keeps its own outcome, as before.
  ready.sort((a, b) => kindOf(b.role).order - kindOf(a.role).order);
  for (const { service, dir, hash, due, outcome } of ready) {
    // One node at a time, so a node is always serving while its peer reloads.
    const reload = async (n: ObservedNode) => {
      opts.onProgress?.(`reload ${n.node}`);
      await service.reload(runtime, n.container);
      applied[n.node] = hash;
    };
    try {
      if (opts.allAtOnce) await Promise.all(due.map(reload));
      else for (const n of due) await reload(n);
    } catch (e) {
      outcome.status = 'reload-failed';
      outcome.error = e as Error;
      writeApplied(t.rootDir, t.labName, applied);
      continue;
    }
    writeApplied(t.rootDir, t.labName, applied);
    outcome.status = 'reloaded';
    warnings.push(...findWorkspacePitfalls(t.workspaceDir).filter((p) => p.severity === 'warning' && p.file.startsWith(`${dir}/`)));
  }
  outcomes.sort((a, b) => roles.indexOf(a.role) - roles.indexOf(b.role));
  // A reloaded HAProxy may listen on a port it did not before (443 in exp2), and a reloaded director
  // checks its real servers afresh: return once the directors forward to what listens, so the student's
  // next request meets the config just applied rather than the health check's half-second lag.
  if (outcomes.some((o) => o.status === 'reloaded' && (o.role === 'haproxy' || o.role === 'director'))) {
    opts.onProgress?.('wait for the directors to check the reloaded nodes');
    await settleForwarding(runtime, t.view, t.lab.def.topology.ports);
  }
  return { target: t, outcomes, warnings, ok: outcomes.every((o) => o.status === 'unchanged' || o.status === 'reloaded') };
}
