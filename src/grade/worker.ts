// One grading worker: one lab on one engine, reused for student after student. Per student:
//   swap   the submission's experiment files into the worker's workspace (swap.ts)
//   apply  validate and reload every service (applyTarget with force): a config its tool rejects is
//          never loaded, so that service is graded on the start files the reset left running
//   settle wait until the directors forward to exactly the HAProxy nodes that now listen
//   checks runChecks on labContext, as `lab check` does
// and then, before the next student, `reset()`: the start files again, a reload, and the proof that
// every student-facing node is back at its baseline (isolation.ts); nodes that are not, and nodes that
// ran code an experiment allows, are recreated.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyTarget, resolveTarget, type RoleOutcome } from '../apply/apply.js';
import { labContext } from '../checks/context.js';
import { runChecks } from '../checks/runner.js';
import type { Lang, Report, ReportMeta } from '../checks/types.js';
import type { Lab } from '../labs/load.js';
import { downLab } from '../lifecycle/down.js';
import { observeLab, type LabView, type ObservedNode } from '../lifecycle/observe.js';
import { upLab } from '../lifecycle/up.js';
import { silentProgress } from '../progress/progress.js';
import type { Runtime } from '../runtime/types.js';
import { kindOf } from '../topology/kinds/index.js';
import { LABEL } from '../topology/labels.js';
import { LabError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import { settleForwarding } from '../forwarding/settle.js';
import { MASK } from '../report/mask.js';
import { solutionFiles } from '../workspace/replace.js';
import type { EngineEndpoint } from './engine-endpoint.js';
import {
  diffPaths, haproxyDrift, haproxyState, newPaths, nginxDrift, nginxLogs, nginxState, STUDENT_ROLES,
  type Baseline, type NodeState,
} from './isolation.js';
import { solutionSet, startSet, swapFiles } from './swap.js';

export interface WorkerSpec {
  /** w1, w2, … unique in the class run. */
  id: string;
  labName: string;
  lab: Lab;
  /** The worker's private folder: its workspace and state (absolute). */
  rootDir: string;
  certsDir: string;
  runtime: Runtime;
  engine: EngineEndpoint;
  lang: Lang;
  /** How long `lab up` may wait for the lab to become ready. */
  readyTimeoutMs: number;
  /**
   * The stats password the class's labs were given (`lab up` with LAB_STATS_PASSWORD): the students'
   * files say `stats auth admin:<it>`, so the grader logs in with it, and the start and reference files
   * the worker loads carry it too. Kept in the worker lab's own secrets.json, where the checks read it.
   */
  statsPassword?: string;
}

/** What apply did with one service of the submission, for the student's result. */
export interface ApplyNote {
  role: string;
  tool: string;
  status: RoleOutcome['status'];
  file?: string;
  line?: number;
  message?: string;
}

export interface WorkerGrade {
  report: Report;
  meta: ReportMeta;
  applied: ApplyNote[];
  phases: Record<string, number>;
}

export interface ResetResult {
  /** Nodes recreated, with why. */
  recreated: { node: string; why: string[] }[];
  ms: number;
}

const MARKER = 'worker.json';

interface Marker {
  labName: string;
  experiment: string;
  containers: Record<string, string>;
  baseline: Baseline;
}

export class GradeWorker {
  view?: LabView;
  baseline?: Baseline;
  /** Nodes recreated over the worker's life (for the bench and the summary). */
  recreations = 0;
  /** The lab is at its proven start state (after startUp or a reset, until the next grade). */
  atStart = false;
  readonly workspaceDir: string;
  private readonly start: Map<string, Buffer>;

  constructor(readonly spec: WorkerSpec) {
    this.workspaceDir = path.join(spec.rootDir, 'workspace', spec.lab.id);
    this.start = startSet(spec.lab, spec.statsPassword);
  }

  private get runtime(): Runtime {
    return this.spec.runtime;
  }

  /** Containers of the student-facing nodes, of the given roles (default: all of them). */
  studentContainers(roles?: string[]): string[] {
    return this.studentNodes()
      .filter((n) => !roles || roles.includes(n.role))
      .map((n) => n.container);
  }

  /** Student-facing nodes of the lab: container names by role. */
  private studentNodes(): ObservedNode[] {
    return (this.view?.nodes ?? []).filter((n) => (STUDENT_ROLES as readonly string[]).includes(n.role));
  }

  private async up(signal?: AbortSignal): Promise<void> {
    // Labs made at the same moment on one engine (this run's other workers, a colleague's `lab up`) can
    // pick the same free subnet; the engine refuses the second network, and converging again picks another.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.upOnce(signal);
        return;
      } catch (e) {
        if (attempt >= 4 || !/Pool overlaps|address pool|already in use by|overlap/i.test((e as Error).message)) throw e;
        await sleep(500 + Math.floor(Math.random() * 1500));
      }
    }
  }

  private async upOnce(signal?: AbortSignal): Promise<void> {
    await upLab(
      {
        experiment: this.spec.lab.id,
        cwd: this.spec.rootDir,
        workspace: this.workspaceDir,
        certsDir: this.spec.certsDir,
        yes: false,
        interactive: false,
        timeoutMs: this.spec.readyTimeoutMs,
        statsPassword: this.spec.statsPassword,
        signal,
      },
      { runtime: this.runtime, progress: silentProgress(), labName: this.spec.labName },
    );
    this.view = await observeLab(this.runtime, this.spec.labName);
  }

  /**
   * Stands the worker's lab up (or takes over one a `--keep` run left, when it is provably the one that
   * run left clean), then takes the baseline: the start files, the solution's, and the start files again.
   */
  async startUp(say: (s: string) => void, signal?: AbortSignal): Promise<void> {
    mkdirSync(this.spec.rootDir, { recursive: true });
    const markerFile = path.join(this.spec.rootDir, MARKER);
    const marker = readMarker(markerFile);
    // A crash from here on must not leave a marker that vouches for a lab in an unknown state.
    rmSync(markerFile, { force: true });
    const before = await observeLab(this.runtime, this.spec.labName);
    // The workspace holds the start files whenever a node may be (re)created from it.
    mkdirSync(this.workspaceDir, { recursive: true });
    swapFiles(this.workspaceDir, this.spec.lab.def.workspace, this.start);
    say(before.exists ? 'lab kept from an earlier run: converging' : 'lab up');
    await this.up(signal);
    if (before.exists) {
      const same = marker && marker.experiment === this.spec.lab.id && this.studentNodes().every((n) => marker.containers[n.container] === containerId(this.view!, n.container));
      if (same) {
        this.baseline = marker!.baseline;
        say('checking the kept lab');
        const r = await this.reset(say, { recreate: [] });
        if (!r.recreated.length) return;
        this.atStart = false;
      } else {
        // Not provably the lab a clean run left: its student nodes start afresh.
        say('recreating the kept lab\'s HAProxy and Nginx nodes');
        await this.recreate(this.studentNodes().map((n) => n.container), signal);
      }
    }
    await this.calibrate(say);
  }

  /** The baseline: each student node after loading the solution and then the start files again. */
  private async calibrate(say: (s: string) => void): Promise<void> {
    say('baseline: solution files');
    swapFiles(this.workspaceDir, this.spec.lab.def.workspace, solutionSet(this.spec.lab, solutionFiles(this.spec.lab), this.spec.statsPassword));
    const sol = await this.apply();
    const bad = sol.find((o) => o.status !== 'reloaded' && o.status !== 'unchanged');
    if (bad) throw new LabError(`${this.spec.labName}: the reference solution does not load (${bad.role}: ${bad.message ?? bad.status})`, { hint: 'The lab images or the experiment are broken; `lab up` and `lab apply` show the same error.' });
    say('baseline: start files');
    swapFiles(this.workspaceDir, this.spec.lab.def.workspace, this.start);
    await this.reloadAll();
    const nodes: Record<string, NodeState> = {};
    await Promise.all(
      this.studentNodes().map(async (n) => {
        const paths = diffPaths(await this.runtime.changes(n.container));
        if (n.role === 'haproxy') {
          const s = await this.settledHaproxy(n.container);
          nodes[n.container] = { paths, env: s.env, limits: s.limits };
        } else nodes[n.container] = { paths };
      }),
    );
    this.baseline = { nodes };
    this.atStart = true;
  }

  private async apply(): Promise<ApplyNote[]> {
    const t = resolveTarget(this.view, { labName: this.spec.labName, cwd: this.spec.rootDir, experiment: this.spec.lab.id });
    const r = await applyTarget(this.runtime, t, { cwd: this.spec.rootDir, force: true, allAtOnce: true });
    const prefix = `${t.workspaceRoot}/`;
    return r.outcomes.map((o) => {
      const note: ApplyNote = { role: o.role, tool: o.tool, status: o.status };
      if (o.error) {
        const e = o.error as Error & { file?: string; line?: number };
        const file = e.file?.startsWith(prefix) ? e.file.slice(prefix.length) : e.file;
        note.file = file;
        note.line = e.line;
        note.message = e.file ? e.message.slice(e.message.indexOf(': ') + 2) : e.message;
      }
      return note;
    });
  }

  /** Reloads every student node with what its workspace holds now (the start files: known good, so no validation). */
  private async reloadAll(): Promise<Map<string, Error>> {
    const failed = new Map<string, Error>();
    await Promise.all(
      this.studentNodes().map(async (n) => {
        try {
          await kindOf(n.role).service!.reload(this.runtime, n.container);
        } catch (e) {
          failed.set(n.container, e as Error);
        }
      }),
    );
    return failed;
  }

  /**
   * HAProxy's state once the previous generation of workers is gone. They belong to the config just
   * replaced (the previous student's, or ours), nobody is served meanwhile, so they are killed at once
   * rather than left to finish: an old worker must never answer the next student's requests.
   */
  private async settledHaproxy(container: string) {
    let s = await haproxyState(this.runtime, container);
    for (let i = 0; i < 5 && s.oldWorkers.length; i++) {
      await this.runtime.exec(container, ['kill', '-9', ...s.oldWorkers], { timeoutMs: 5000 }).catch(() => undefined);
      await sleep(100 * (i + 1));
      s = await haproxyState(this.runtime, container);
    }
    return s;
  }

  /** Nginx's processes once the previous generation of workers is gone (killed at once, as above). */
  private async settledNginx(container: string, base: NodeState) {
    let s = await nginxState(this.runtime, container, nginxLogs(base));
    for (let i = 0; i < 5 && s.stray.length; i++) {
      const old = s.stray.filter((x) => /worker process is shutting down$/.test(x)).map((x) => x.split(' ')[0]!);
      if (!old.length) break;
      await this.runtime.exec(container, ['kill', '-9', ...old], { timeoutMs: 5000 }).catch(() => undefined);
      await sleep(100 * (i + 1));
      s = await nginxState(this.runtime, container);
    }
    return s;
  }

  /** Waits until the directors forward VIP traffic to exactly the HAProxy nodes that accept it now (nftables mode). */
  private async settle(): Promise<void> {
    await settleForwarding(this.runtime, this.view, this.spec.lab.def.topology.ports);
  }

  /** Grades one student's experiment files on this worker. The worker must be at its start state (after startUp or reset). */
  async grade(files: ReadonlyMap<string, Buffer>, say: (s: string) => void): Promise<WorkerGrade> {
    const phases: Record<string, number> = {};
    const time = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        phases[name] = Date.now() - t0;
      }
    };
    this.atStart = false;
    say('swap');
    await time('swap', () => swapFiles(this.workspaceDir, this.spec.lab.def.workspace, files));
    say('validate and reload');
    let applied: ApplyNote[];
    try {
      applied = await time('apply', () => this.apply());
    } catch (e) {
      // A validator or reload that does not finish (a server name that takes DNS ages to fail, say) is
      // the submission's doing: graded as the start state, with what happened, like a rejected config.
      // (An engine that is gone fails the reset too, and the class run requeues the submission.)
      say('apply failed: back to the start files');
      await time('apply-failed-reset', () => this.reset(say, { recreate: [] }));
      applied = [{ role: 'all', tool: 'validate and reload', status: 'invalid', message: `could not be applied: ${(e as Error).message}` }];
    }
    await time('settle', () => this.settle());
    say('checks');
    // The lab's containers and addresses are what startUp or the last recreation observed.
    const { report, meta } = await time('checks', () =>
      runChecks(this.spec.lab.id, this.spec.lab.def.checks, labContext(this.runtime, this.view!, this.spec.lab.id), { lang: this.spec.lang }),
    );
    // The results go to files a student may be shown (JUnit, the HTML report), where no redactor runs:
    // a message that quotes the login (`admin:<password>`) keeps the user and masks the rest.
    const pw = this.spec.statsPassword;
    const masked = pw ? (JSON.parse(JSON.stringify(report).split(pw).join(MASK)) as Report) : report;
    return { report: masked, meta, applied, phases };
  }

  /**
   * Back to the start state, proven: the start files and a reload, then every student node checked
   * against its baseline; `recreate` names nodes to recreate whatever they look like (e.g. they ran
   * code the experiment allows). Nodes that differ are recreated, and checked again.
   */
  async reset(say: (s: string) => void, opts: { recreate: string[]; signal?: AbortSignal }): Promise<ResetResult> {
    const t0 = Date.now();
    const base = this.baseline!;
    this.atStart = false;
    say('reset');
    swapFiles(this.workspaceDir, this.spec.lab.def.workspace, this.start);
    await this.refreshStates();
    const why = new Map<string, string[]>();
    const taint = (c: string, reason: string) => why.set(c, [...(why.get(c) ?? []), reason]);
    for (const c of opts.recreate) taint(c, 'ran code the experiment allows');
    for (const n of this.studentNodes()) if (n.state !== 'running') taint(n.container, `it is ${n.state}`);
    // The engine's view of the file systems first: nothing in a container is run before we know it is untouched.
    await Promise.all(
      this.studentNodes().map(async (n) => {
        if (why.has(n.container)) return;
        const extra = newPaths(await this.runtime.changes(n.container), base.nodes[n.container] ?? { paths: [] });
        if (extra.length) taint(n.container, `files changed: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
      }),
    );
    const clean = this.studentNodes().filter((n) => !why.has(n.container));
    say('reset: reload the start files');
    await Promise.all(
      clean.map(async (n) => {
        try {
          await kindOf(n.role).service!.reload(this.runtime, n.container);
        } catch (e) {
          taint(n.container, `reload failed: ${(e as Error).message}`);
          return;
        }
        say(`reset: proof of ${n.node}`);
        const b = base.nodes[n.container] ?? { paths: [] };
        const drift = n.role === 'haproxy' ? haproxyDrift(await this.settledHaproxy(n.container), b) : nginxDrift(await this.settledNginx(n.container, b));
        for (const d of drift) taint(n.container, d);
        // And the file system once more, now that the previous student's processes are gone: nothing
        // they did between the first look and the reload may remain either.
        const late = newPaths(await this.runtime.changes(n.container), b);
        if (late.length) taint(n.container, `files changed: ${late.slice(0, 5).join(', ')}${late.length > 5 ? ', …' : ''}`);
      }),
    );
    const recreated = [...why].map(([container, reasons]) => ({ node: container.slice(this.spec.labName.length + 1), why: reasons }));
    if (why.size) {
      say(`recreating ${recreated.map((r) => r.node).join(', ')}`);
      await this.recreate([...why.keys()], opts.signal);
      // A fresh node must pass the same proof.
      const again = await this.verify([...why.keys()]);
      if (again.length) throw new LabError(`${this.spec.labName}: recreated nodes still differ from the baseline: ${again.join('; ')}`);
    }
    this.atStart = true;
    return { recreated, ms: Date.now() - t0 };
  }

  /** The proof alone, for the given containers: reasons they differ from the baseline. */
  private async verify(containers: string[]): Promise<string[]> {
    const base = this.baseline!;
    const out: string[] = [];
    await Promise.all(
      this.studentNodes()
        .filter((n) => containers.includes(n.container))
        .map(async (n) => {
          const b = base.nodes[n.container] ?? { paths: [] };
          const extra = newPaths(await this.runtime.changes(n.container), b);
          if (extra.length) out.push(`${n.node}: files ${extra.join(', ')}`);
          const drift = n.role === 'haproxy' ? haproxyDrift(await this.settledHaproxy(n.container), b) : nginxDrift(await this.settledNginx(n.container, b));
          for (const d of drift) out.push(`${n.node}: ${d}`);
        }),
    );
    return out;
  }

  /** The nodes' states now (one engine call; a full observation lists every network of the engine). */
  private async refreshStates(): Promise<void> {
    const cs = await this.runtime.listContainers({ [LABEL.name]: this.spec.labName });
    const byName = new Map(cs.map((c) => [c.name, c]));
    this.view = { ...this.view!, containers: cs, nodes: this.view!.nodes.map((n) => ({ ...n, state: byName.get(n.container)?.state ?? 'dead' })) };
  }

  /** Removes the containers and converges the lab again (`lab up` creates them from the start files). */
  private async recreate(containers: string[], signal?: AbortSignal): Promise<void> {
    await Promise.all(containers.map((c) => this.runtime.removeContainer(c)));
    this.recreations += containers.length;
    await this.up(signal);
  }

  /** Removes the lab and its folder, or (keep) leaves both with a marker that vouches for the verified start state. */
  async stop(keep: boolean): Promise<void> {
    rmSync(path.join(this.spec.rootDir, MARKER), { force: true });
    if (keep && this.atStart && this.baseline && this.view) {
      const containers = Object.fromEntries(this.studentNodes().map((n) => [n.container, containerId(this.view!, n.container) ?? '']));
      const m: Marker = { labName: this.spec.labName, experiment: this.spec.lab.id, containers, baseline: this.baseline };
      writeFileSync(path.join(this.spec.rootDir, MARKER), `${JSON.stringify(m, null, 2)}\n`);
      return;
    }
    if (keep) return;
    await downLab(this.runtime, this.spec.labName, { force: true });
    rmSync(this.spec.rootDir, { recursive: true, force: true });
  }
}

function containerId(view: LabView, container: string): string | undefined {
  return view.containers.find((c) => c.name === container)?.id;
}

function readMarker(file: string): Marker | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}
