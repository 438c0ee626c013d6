// `lab up`: provision what is missing (engine, images, certificates, workspace), observe the lab by
// its labels, plan, execute the plan, then wait until the lab really works.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ListrTask } from 'listr2';
import type { Runtime } from '../runtime/types.js';
import { runTasks } from '../cli/progress.js';
import { ensureEngine, detectForwarding } from '../engine/index.js';
import { imageRefs, imageStatus, imageTasks, resolveBaseRef } from '../images/index.js';
import { ensureCerts, DEFAULT_DOMAINS } from '../certs/index.js';
import { loadLab, type Lab } from '../labs/load.js';
import { defaultWorkspaceDir, seedWorkspace } from '../labs/workspace.js';
import { buildTopology, generatedFiles, vipFor } from '../topology/build.js';
import { KINDS } from '../topology/kinds/index.js';
import type { BuildContext } from '../topology/kinds/kind.js';
import { LABEL } from '../topology/labels.js';
import type { Forwarding, Topology } from '../topology/model.js';
import type { NetworkKey } from '../topology/networks.js';
import { createdBy, planUp, type Plan } from '../topology/plan.js';
import { chooseSubnets } from '../topology/subnets.js';
import { stateDir } from '../util/paths.js';
import { contentHash } from './content-hash.js';
import { planTasks } from './execute.js';
import { observe } from './observe.js';
import { waitReady } from './ready.js';
import { writeApplied } from './state.js';
import { assertConfigsBeforeRecreate, recreations } from '../services/guard.js';
import { VALIDATORS } from '../services/reload.js';
import { writeLabInfo } from '../labs/lab-info.js';

export interface UpOptions {
  experiment: string;
  labName: string;
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
  /** Use this runtime instead of provisioning one (tests). */
  runtime?: Runtime;
}

export interface UpResult {
  lab: Lab;
  topology: Topology;
  plan: Plan;
  recreated: string[];
  holder?: string;
  workspaceDir: string;
  seeded: string[];
  certChanges: string[];
  desktop: boolean;
}

interface Ctx {
  runtime?: Runtime;
  desktop: boolean;
  images?: ReturnType<typeof imageRefs>;
  forwarding?: Forwarding;
  topology?: Topology;
  plan?: Plan;
  certChanges: string[];
  holder?: string;
  applied: Record<string, string>;
  seen?: Awaited<ReturnType<typeof observe>>;
}

/** Reads the forwarding mode off running directors, so a re-up needs no kernel probe. */
function knownForwarding(containers: { labels: Record<string, string> }[]): Forwarding | undefined {
  const v = containers.find((c) => c.labels[LABEL.role] === 'director')?.labels[LABEL.forwarding];
  return v === 'ipvs' || v === 'nftables' ? v : undefined;
}

export async function upLab(opts: UpOptions): Promise<UpResult> {
  const lab = loadLab(opts.experiment);
  const workspaceDir = path.resolve(opts.cwd, opts.workspace ?? defaultWorkspaceDir(opts.cwd, lab.id));
  const certsDir = path.resolve(opts.cwd, opts.certsDir ?? 'certs');
  const seeded = seedWorkspace(lab, workspaceDir).seeded;
  const ctx: Ctx = { runtime: opts.runtime, desktop: false, certChanges: [], applied: {} };

  const tasks: ListrTask<Ctx>[] = [
    {
      title: 'Docker engine',
      task: async (c, task) => {
        c.runtime ??= await ensureEngine({ yes: opts.yes, interactive: opts.interactive, log: (s) => (task.output = s) });
        const v = await c.runtime.version();
        c.desktop = v.desktop;
        task.title = `Docker engine ${v.version} (API ${v.apiVersion})`;
      },
    },
    {
      title: 'Lab images',
      task: async (c, task) => {
        const status = await imageStatus(c.runtime!);
        const missing = status.filter((s) => !s.present);
        if (missing.length) {
          return task.newListr(imageTasks<Ctx>(c.runtime!), { concurrent: false });
        }
        task.title = `Lab images present (${status.filter((s) => s.role !== 'base').length})`;
      },
    },
    {
      title: 'Certificates',
      task: async (c, task) => {
        const r = await ensureCerts({ outDir: certsDir, log: (s) => (task.output = s) });
        c.certChanges = r.changed;
        task.title = r.changed.length ? `Certificates: ${r.changed.length} written in ${path.relative(opts.cwd, certsDir) || '.'}` : 'Certificates valid';
      },
    },
    {
      title: 'Plan',
      task: async (c, task) => {
        const runtime = c.runtime!;
        c.images = imageRefs(await resolveBaseRef(runtime));
        const seen = await observe(runtime, opts.labName, opts.cwd);
        c.seen = seen;
        c.forwarding = knownForwarding(seen.containers) ?? (await detectForwarding(runtime, c.images.director)).mode;
        const subnets = chooseSubnets(opts.labName, seen.allNetworks, { requested: opts.subnets });
        const { vip, gatewayVip } = vipFor(subnets);
        const bctx: BuildContext = {
          lab: opts.labName,
          experiment: lab.id,
          forwarding: c.forwarding,
          images: c.images,
          subnets,
          vip,
          gatewayVip,
          workspaceDir,
          certsDir,
          stateDir: path.resolve(stateDir(opts.cwd, opts.labName)),
          domains: DEFAULT_DOMAINS,
          nginxTls: lab.def.topology.nginxTls,
          publishPort: opts.publishPort,
        };
        for (const [file, content] of Object.entries(generatedFiles(bctx))) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, content);
        }
        const topo = buildTopology(bctx);
        for (const node of topo.nodes) {
          const kind = KINDS.find((k) => k.role === node.role)!;
          const sources = kind.configSources?.(bctx, 0);
          if (sources) node.contentHash = contentHash(sources);
        }
        c.topology = topo;
        c.applied = { ...seen.applied };
        c.plan = planUp(topo, seen);
        const n = c.plan.steps.length;
        task.title = n === 0 ? `Plan: nothing to change (${c.plan.unchanged.length} containers up to date)` : `Plan: ${n} step${n === 1 ? '' : 's'} (forwarding: ${c.forwarding})`;
      },
    },
    {
      // Never recreate a node over a config its tool rejects (src/services/guard.ts).
      title: 'Check configs before recreating nodes',
      skip: (c) => opts.dryRun || !recreations(c.plan!).some((n) => VALIDATORS[n.role]),
      task: async (c) => {
        const removedNets = new Set(c.plan!.steps.flatMap((s) => (s.op === 'remove-network' ? [s.name] : [])));
        await assertConfigsBeforeRecreate(c.runtime!, c.plan!, {
          keptNetworks: c.seen!.networks.map((n) => n.name).filter((n) => !removedNets.has(n)),
          running: c.seen!.containers.filter((x) => x.state === 'running').map((x) => x.name),
          workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
          extra: [{ containerDir: '/etc/haproxy/certs', hostDir: path.relative(opts.cwd, path.join(certsDir, 'haproxy')) || '.' }],
        });
      },
    },
    {
      title: 'Apply the plan',
      skip: (c) => opts.dryRun || c.plan!.steps.length === 0,
      task: (c, task) => {
        writeLabInfo(opts.cwd, opts.labName, { experiment: lab.id, workspaceDir, certsDir });
        return task.newListr(
          planTasks<Ctx>(c.runtime!, c.plan!, {
            workspaceRoot: path.relative(opts.cwd, workspaceDir) || '.',
            onApplied: (node) => {
              const hash = c.topology!.nodes.find((n) => n.node === node)?.contentHash;
              if (hash) c.applied[node] = hash;
            },
          }),
          { concurrent: false },
        );
      },
    },
    {
      title: 'Wait until every node is healthy and one director holds the VIP',
      skip: () => !!opts.dryRun,
      task: async (c, task) => {
        writeLabInfo(opts.cwd, opts.labName, { experiment: lab.id, workspaceDir, certsDir });
        try {
          const { holder } = await waitReady(c.runtime!, c.topology!, { timeoutMs: opts.timeoutMs, onWaiting: (w) => (task.output = `waiting for ${w}`) });
          c.holder = holder;
          task.title = `Ready: ${c.topology!.nodes.length} nodes healthy, VIP ${c.topology!.vip} on ${holder}`;
        } finally {
          writeApplied(opts.cwd, opts.labName, c.applied);
        }
      },
    },
  ];

  await runTasks(tasks, ctx);
  return {
    lab,
    topology: ctx.topology!,
    plan: ctx.plan!,
    recreated: createdBy(ctx.plan!),
    holder: ctx.holder,
    workspaceDir,
    seeded,
    certChanges: ctx.certChanges,
    desktop: ctx.desktop,
  };
}
