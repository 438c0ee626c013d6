// `lab up` as an honest pipeline, after docker compose:
//   provision (engine, images, certificates, the workspace's start files: each only adds what is missing)
//   → observe (the lab by its labels) → desired state (pure: topology, generated files, hashes)
//   → plan (pure) → execute → wait until the lab really works.
// `--dry-run` runs the same pipeline on a recording runtime and a recording file writer, so nothing
// on the engine or on disk can change; provisioning says what it would do instead of doing it.
import { existsSync, readFileSync } from 'node:fs';
import { inodeOf } from '../util/files.js';
import { sleep } from '../util/sleep.js';
import path from 'node:path';
import type { Runtime } from '../runtime/types.js';
import { RecordingRuntime } from '../runtime/recording.js';
import type { Progress, Task, TaskControl } from '../progress/progress.js';
import { engineProblem, ensureEngine } from '../engine/provision.js';
import { detectForwarding } from '../forwarding/probe.js';
import { ensureImages, imageRefs, imageStatus, resolveBaseRef } from '../images/index.js';
import { ensureCerts, DEFAULT_DOMAINS } from '../certs/index.js';
import { loadLab, type Lab } from '../labs/load.js';
import { defaultWorkspaceDir, seedWorkspace } from '../workspace/seed.js';
import { buildTopology, generatedFiles } from '../topology/build.js';
import { kindOf } from '../topology/kinds/index.js';
import { PREFERRED_MASTER, vrrpAddresses } from '../topology/kinds/director.js';
import type { BuildContext } from '../topology/kinds/kind.js';
import type { Forwarding, Topology } from '../topology/model.js';
import type { NetworkKey } from '../topology/networks.js';
import { createdBy, engineSteps, planUp, type Desired, type Plan } from '../topology/plan.js';
import { chooseSubnets } from '../topology/subnets.js';
import { LABEL, labSelector } from '../topology/labels.js';
import { stateDir, writeApplied } from '../state/store.js';
import { readSecrets, secretsFile, writeSecrets } from '../state/secrets.js';
import { diskWriter, RecordingWriter, type FileWriter } from '../util/file-writer.js';
import { InterruptedError, LabError } from '../util/errors.js';
import { contentHash } from './content-hash.js';
import { executePlan, stepsEnded } from './execute.js';
import { acquireLabLock, type LabLock } from './lock.js';
import { observeLab, type LabView } from './observe.js';
import { waitReady } from './ready.js';
import { assertConfigsBeforeRecreate, recreations } from '../apply/guard.js';

export interface UpOptions {
  experiment: string;
  cwd: string;
  workspace?: string;
  certsDir?: string;
  yes: boolean;
  interactive: boolean;
  timeoutMs: number;
  subnets?: Partial<Record<NetworkKey, string>>;
  publishPort?: number;
  /** Print the plan and change nothing. */
  dryRun?: boolean;
  /** A stats password given for this run: stored for the lab (0600) and used from now on. */
  statsPassword?: string;
  /** Ctrl-C: stop at once, release the lock, say what state the lab is in. */
  signal?: AbortSignal;
}

export interface UpDeps {
  runtime: Runtime;
  progress: Progress;
  labName: string;
}

export interface UpResult {
  lab: Lab;
  topology?: Topology;
  plan: Plan;
  recreated: string[];
  holder?: string;
  workspaceDir: string;
  seeded: string[];
  certChanges: string[];
  desktop: boolean;
  /** What provisioning did (or, in a dry run, would do): engine, images, certificates, start files. */
  provisioning: string[];
  /** A dry run: every engine call and file write the real run would have made. */
  recorded?: string[];
  /** The lab has its own stats password (not the course's 123456). */
  statsPasswordSet: boolean;
}

/** The lab belongs to another project folder: one lab name, two checkouts. */
export class OwnershipError extends LabError {}

/** Subtasks of a running task, as a Progress for code that takes one (image builds). */
export function within(ctl: TaskControl): Progress {
  return { run: (tasks, o) => ctl.subtasks(tasks, o) };
}

/** What an interrupted `lab up` leaves: which step it was in, and what exists of the lab now. */
async function interruptedAt(runtime: Runtime, labName: string, task: string, lock: LabLock | undefined): Promise<InterruptedError> {
  await Promise.race([lock?.release(), new Promise((r) => setTimeout(r, 3000))]);
  let state = '';
  try {
    const view = await Promise.race([observeLab(runtime, labName), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000))]);
    const running = view.nodes.filter((n) => n.state === 'running').length;
    state = view.exists ? ` The lab has ${view.nodes.length} container(s) (${running} running) and ${view.networks.length} network(s) now.` : ' Nothing of the lab exists yet.';
  } catch {
    state = '';
  }
  return new InterruptedError(`lab up was interrupted during "${task}".${state}`, {
    hint: 'Run `lab up` again: it converges from wherever this stopped. `lab down` removes what was made.',
  });
}

export { inodeOf } from '../util/files.js';

/** Refuses to take over a lab that serves another project folder (same name, another checkout). */
export function assertOwnership(view: LabView, rootDir: string, labName: string): void {
  if (!view.rootDir || view.rootDir === rootDir) return;
  const where = `${view.rootDir}${view.host ? ` on ${view.host}` : ''}`;
  throw new OwnershipError(`lab "${labName}" belongs to ${where}, not to this folder (${rootDir})`, {
    hint: `Give this folder a lab of its own with \`lab -n <name> up\` (or LAB_NAME), or run \`lab down\` in ${view.rootDir} first.`,
  });
}

/** Pure given its inputs: the topology (with each node's config content hash) and the files lab generates. */
export function desiredState(ctx: BuildContext): Desired {
  const topology = buildTopology(ctx);
  for (const node of topology.nodes) {
    const sources = kindOf(node.role).configSources?.(ctx, 0);
    if (sources?.length) node.contentHash = contentHash(sources);
  }
  return {
    topology,
    files: Object.entries(generatedFiles(ctx)).map(([file, content]) => ({ file, content })),
    dirs: [],
  };
}

/** The observation the planner needs beyond the engine: the desired files' current content. */
function observeFiles(desired: Desired): { files: Record<string, Buffer | undefined>; dirs: Record<string, boolean> } {
  const files: Record<string, Buffer | undefined> = {};
  for (const f of desired.files) files[f.file] = existsSync(f.file) ? readFileSync(f.file) : undefined;
  return { files, dirs: Object.fromEntries(desired.dirs.map((d) => [d, existsSync(d)])) };
}

export async function upLab(opts: UpOptions, deps: UpDeps): Promise<UpResult> {
  const lab = loadLab(opts.experiment);
  const dry = !!opts.dryRun;
  const recordingRuntime = dry ? new RecordingRuntime(deps.runtime) : undefined;
  const runtime: Runtime = recordingRuntime ?? deps.runtime;
  const writer: FileWriter = dry ? new RecordingWriter() : diskWriter;
  const rootDir = path.resolve(opts.cwd);
  const labName = deps.labName;
  const provisioning: string[] = [];

  let engineUp = true;
  let desktop = false;
  let images: Record<string, string> | undefined;
  let view: LabView | undefined;
  let workspaceDir = '';
  let certsDir = '';
  let seeded: string[] = [];
  let statsPassword: string | undefined;
  let probedForwarding: Forwarding | undefined;
  let certChanges: string[] = [];
  let topology: Topology | undefined;
  let plan: Plan = { steps: [], unchanged: [] };
  let holder: string | undefined;
  let lock: LabLock | undefined;
  const applied: Record<string, string> = {};
  const steps = { running: 0 };
  let bctx: BuildContext | undefined;

  /** Desired state and plan from the current view; returns the forwarding mode. */
  const makePlan = async (): Promise<Forwarding> => {
    const seen = view!;
    // Probed once per run (a throwaway container, 0.3 s): the plan made again under the lock reuses it.
    const forwarding: Forwarding = seen.forwarding ?? (probedForwarding ??= (await detectForwarding(runtime, images!.director!, labSelector(labName))).mode);
    const subnets = chooseSubnets(labName, seen.allNetworks, { requested: opts.subnets, current: seen.subnets });
    const { vip, gateways } = vrrpAddresses(subnets);
    bctx = {
      lab: labName,
      experiment: lab.id,
      forwarding,
      images: images!,
      subnets,
      vip,
      gateways,
      rootDir,
      workspaceDir,
      certsDir,
      stateDir: path.resolve(stateDir(rootDir, labName)),
      domains: DEFAULT_DOMAINS,
      nginxTls: lab.def.topology.nginxTls,
      keepalived: lab.def.topology.keepalived,
      publishPort: opts.publishPort,
      inodeOf,
    };
    const desired = desiredState(bctx);
    topology = desired.topology;
    Object.assign(applied, seen.applied);
    // The lab's nodes only: not its lock, and not the throwaway probes another lab process may be
    // running right now (a forwarding probe, a config check): removing one fails that process.
    plan = planUp(desired, { networks: seen.networks, containers: seen.containers.filter((c) => c.labels[LABEL.node] && !c.labels[LABEL.lock]), applied: seen.applied, ...observeFiles(desired) });
    return forwarding;
  };

  const tasks: Task[] = [
    {
      title: 'Docker engine',
      run: async (ctl) => {
        if (dry) {
          const why = await engineProblem(deps.runtime);
          if (why) {
            engineUp = false;
            provisioning.push(`start (or install) the Docker engine: ${why.message}`);
            ctl.title('Docker engine: not running (a real run would start it)');
            return;
          }
        } else {
          await ensureEngine(deps.runtime, { yes: opts.yes, interactive: opts.interactive, log: (s) => ctl.output(s) });
        }
        const v = await runtime.version();
        desktop = v.desktop;
        ctl.title(`Docker engine ${v.version} (API ${v.apiVersion})`);
      },
    },
    {
      title: 'Lab images',
      skip: () => !engineUp && 'no engine',
      run: async (ctl) => {
        if (dry) {
          const missing = (await imageStatus(runtime)).filter((s) => !s.present);
          for (const m of missing) provisioning.push(`build image ${m.ref}`);
          images = imageRefs(await resolveBaseRef(runtime));
          ctl.title(missing.length ? `Lab images: ${missing.length} to build` : 'Lab images present');
          return;
        }
        images = await ensureImages(runtime, within(ctl));
        ctl.title(`Lab images present (${Object.keys(images).length})`);
      },
    },
    {
      title: 'Workspace and certificates',
      skip: () => !engineUp && 'no engine',
      run: async (ctl) => {
        view = await observeLab(runtime, labName);
        assertOwnership(view, rootDir, labName);
        const same = view.rootDir === rootDir;
        workspaceDir = path.resolve(
          opts.cwd,
          opts.workspace ?? (same && view.experiment === lab.id && view.workspaceDir ? view.workspaceDir : defaultWorkspaceDir(opts.cwd, lab.id)),
        );
        certsDir = path.resolve(opts.cwd, opts.certsDir ?? (same && view.certsDir ? view.certsDir : 'certs'));
        // A password given now is the lab's from now on; the workspace's start files are written with it.
        // A new password replaces a damaged file; without one, a damaged file stops here with its fix.
        const stored = readSecrets(rootDir, labName, { tolerant: !!opts.statsPassword });
        if (opts.statsPassword && !dry) writeSecrets(rootDir, labName, { ...stored, statsPassword: opts.statsPassword });
        if (opts.statsPassword && dry) provisioning.push(`store the stats password in ${path.relative(opts.cwd, secretsFile(rootDir, labName))} (mode 0600)`);
        statsPassword = opts.statsPassword ?? stored.statsPassword;
        seeded = seedWorkspace(lab, workspaceDir, writer, statsPassword);
        if (dry) for (const s of seeded) provisioning.push(`add start file ${path.join(path.relative(opts.cwd, workspaceDir), s)}`);
        const r = await ensureCerts({ outDir: certsDir, dryRun: dry, log: (s) => ctl.output(s) });
        certChanges = r.changed;
        if (dry) for (const c of r.changed) provisioning.push(`certificate ${c}`);
        ctl.title(`Workspace ${path.relative(opts.cwd, workspaceDir) || '.'}${seeded.length ? ` (${seeded.length} start files)` : ''}; certificates ${r.changed.length ? `${r.changed.length} ${dry ? 'to write' : 'written'}` : 'valid'}`);
      },
    },
    {
      title: 'Plan',
      skip: () => !engineUp && 'no engine',
      run: async (ctl) => {
        const forwarding = await makePlan();
        const n = engineSteps(plan).length;
        ctl.title(n === 0 ? `Plan: nothing to change (${plan.unchanged.length} containers up to date)` : `Plan: ${n} step${n === 1 ? '' : 's'} (forwarding: ${forwarding})`);
      },
    },
    {
      // Optimistic: a lab with nothing to change takes no lock. One that changes is locked on the engine,
      // observed and planned again, so two \`lab up\`s (or an up and a down) never act on one lab at once.
      title: 'Lock the lab',
      skip: () => (dry || !engineUp || plan.steps.length === 0) && 'nothing to change',
      run: async (ctl) => {
        lock = await acquireLabLock(runtime, labName, { operation: 'up', image: images!.client!, onWait: (l) => ctl.output(l) });
        view = await observeLab(runtime, labName);
        assertOwnership(view, rootDir, labName);
        await makePlan();
        ctl.title(`Locked the lab; plan: ${engineSteps(plan).length} step(s)`);
      },
    },
    {
      // Never recreate a node over a config its tool rejects (src/apply/guard.ts).
      title: 'Check configs before recreating nodes',
      skip: () => (dry || !engineUp || !recreations(plan).some((n) => kindOf(n.role).service?.validator(bctx!))) && 'nothing to check',
      run: async () => {
        const removedNets = new Set(plan.steps.flatMap((s) => (s.op === 'remove-network' ? [s.name] : [])));
        await assertConfigsBeforeRecreate(runtime, plan, {
          experiment: lab.id,
          keepalived: lab.def.topology.keepalived,
          labels: labSelector(labName),
          keptNetworks: view!.networks.map((n) => n.name).filter((n) => !removedNets.has(n)),
          running: view!.nodes.filter((x) => x.state === 'running').map((x) => x.container),
          workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
          extra: [{ containerDir: '/etc/haproxy/certs', hostDir: path.relative(opts.cwd, path.join(certsDir, 'haproxy')) || '.' }],
        });
      },
    },
    {
      title: 'Apply the plan',
      skip: () => (!engineUp || plan.steps.length === 0) && 'nothing to do',
      run: async (ctl) => {
        const sources = (node: string) => {
          const n = topology!.nodes.find((x) => x.node === node)!;
          return kindOf(n.role).configSources?.(bctx!, 0);
        };
        const hooks = {
          signal: opts.signal,
          steps,
          writer,
          experiment: lab.id,
          keepalived: lab.def.topology.keepalived,
          workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
          // What the node runs now: hashed after the plan's own file writes.
          onApplied: (node: string) => {
            const src = sources(node);
            if (src?.length) applied[node] = contentHash(src);
          },
        };
        try {
          // Two labs starting at once on one engine may choose the same free subnets (each lab's lock
          // covers only itself); the engine refuses the second network. Observe and plan again: the
          // subnets now taken are skipped. The random pause keeps labs that collided from choosing
          // again in lockstep (three or four test labs starting together did, four times running).
          for (let attempt = 0; ; attempt++) {
            try {
              await executePlan(runtime, plan, hooks, within(ctl));
              break;
            } catch (e) {
              if (attempt >= 8 || !/Pool overlaps|overlaps with other one/i.test((e as Error).message)) throw e;
              ctl.output('another lab took the same subnets meanwhile: planning again');
              await sleep(200 + Math.random() * 1500);
              view = await observeLab(runtime, labName);
              await makePlan();
            }
          }
        } finally {
          if (!dry) writeApplied(rootDir, labName, applied);
        }
      },
    },
    {
      title: 'Wait until every node is ready and one director holds the VIP',
      skip: () => (dry || !engineUp) && 'dry run',
      run: async (ctl) => {
        const target = {
          vip: topology!.vip,
          nodes: topology!.nodes.map((n) => ({ node: n.node, role: n.role, container: n.container.name })),
          requireVip: lab.def.topology.keepalived === 'lab',
          preferredHolder: lab.def.topology.keepalived === 'lab' ? PREFERRED_MASTER : undefined,
        };
        const started = plan.steps.some((s) => s.op === 'start-container');
        ({ holder } = await waitReady(runtime, target, { timeoutMs: opts.timeoutMs, settleMs: started ? 600 : 0, onWaiting: (w) => ctl.output(`waiting for ${w}`) }));
        ctl.title(`Ready: ${topology!.nodes.length} nodes, VIP ${topology!.vip} on ${holder}`);
      },
    },
  ];

  let current = tasks[0]!.title;
  for (const t of tasks) {
    const run = t.run;
    t.run = (ctl) => {
      current = t.title;
      return run(ctl);
    };
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError('lab up was interrupted'));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([deps.progress.run(tasks), aborted]);
  } catch (e) {
    if (e instanceof InterruptedError) {
      // An engine call under way when Ctrl-C comes (a container created but not yet connected to all its
      // networks) finishes before we exit: the engine would complete it anyway, racing the next `lab up`
      // (and a network could keep an endpoint of a container removed meanwhile). No new step starts.
      await stepsEnded(steps, 10_000);
      throw await interruptedAt(deps.runtime, labName, current, lock);
    }
    throw e;
  } finally {
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    await lock?.release();
  }
  return {
    lab,
    topology,
    plan,
    recreated: createdBy(plan),
    holder,
    workspaceDir,
    seeded,
    certChanges,
    desktop,
    provisioning,
    statsPasswordSet: !!statsPassword,
    recorded: dry ? [...(recordingRuntime?.recorded ?? []), ...(writer as RecordingWriter).recorded] : undefined,
  };
}
