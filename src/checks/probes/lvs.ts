// exp7 (tutorial 3.1, the LVS tier): what the student's keepalived configs make the directors do. Each
// probe observes (VIP holders over time, a request loop through the VIP while a node stops, HAProxy's
// own counters) and hands the observations to a pure decision in lvs-decide.ts. What the configs say
// (priorities, nopreempt, lb_algo, weights) is read with lab's keepalived parser, as the director reads them.
import type { ProbeOf } from '../schema.js';
import type { LabHandle, ProbeContext } from '../types.js';
import { MASTER_SOCKET } from '../../apply/services.js';
import { showStat } from '../stats.js';
import { loopScript } from '../../drill/drill.js';
import { vipArrival, vipHolders } from '../../lifecycle/vip.js';
import { parseStudentConf, vrrpAddresses } from '../../topology/kinds/director.js';
import { takeoverTime, virtualServers, vrrpInstances, type VrrpInstance } from '../../forwarding/keepalived-config.js';
import type { HttpRequest } from '../http.js';
import { sleep } from '../../util/sleep.js';
import { defineProbe, early } from './define.js';
import {
  decideFailover, decideHealth, decideIpvs, decideSingleHolder, decideSpread, turns,
  type FailoverObservation, type HealthObservation, type HolderObservation, type IpvsObservation, type LoopRow, type SpreadObservation,
} from './lvs-decide.js';
import { M } from './lvs.messages.js';
import { fail } from './util.js';

function labOf(ctx: ProbeContext): LabHandle {
  if (!ctx.lab) throw new Error('this probe needs a running lab');
  return ctx.lab;
}

/** The student's two configs, parsed as the directors read them (lab's include stands in for /run/lab/lab.conf). */
function studentConfigs(lab: LabHandle) {
  if (!lab.workspaceDir || !lab.subnets.edge || !lab.subnets.proxy || !lab.subnets.office) throw new Error('the lab does not say where its workspace is');
  const subnets = lab.subnets as Record<string, string>;
  const ctx = { subnets: subnets as never, ...vrrpAddresses(subnets), workspaceDir: lab.workspaceDir };
  return lab.directors.map((_, i) => parseStudentConf(ctx, i));
}

/** The VRRP instance of a config that holds the VIP. */
function vipInstance(parsed: ReturnType<typeof studentConfigs>[number], vip: string): VrrpInstance | undefined {
  return vrrpInstances(parsed).find((v) => v.virtualIpaddress.some((a) => a.split('/')[0] === vip));
}

async function holders(lab: LabHandle, vip: string, which = lab.directors): Promise<string[]> {
  return vipHolders(lab.runtime, which, vip);
}

/** Requests HAProxy forwarded to a backend, per node (BACKEND session counters through lab's master socket). */
async function backendSessions(lab: LabHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    lab.haproxy.map(async (h) => {
      const text = await showStat(lab.runtime, h.container).catch(() => '');
      const lines = text.split('\n');
      const head = lines.find((l) => l.startsWith('# pxname,'))?.slice(2).split(',') ?? [];
      const iSv = head.indexOf('svname');
      const iStot = head.indexOf('stot');
      out[h.node] = lines.filter((l) => l && !l.startsWith('#')).map((l) => l.split(',')).filter((f) => f[iSv] === 'BACKEND').reduce((a, f) => a + Number(f[iStot] || 0), 0);
    }),
  );
  return out;
}

/**
 * One new connection per request (Connection: close): the directors schedule connections, not requests,
 * and curl keeps one connection for the transfers it chains (three requests on one pick made 2:1 weights
 * look like 18/6 where 16/8 was due).
 */
function requests(ctx: ProbeContext, port: number, n: number): HttpRequest[] {
  const scheme = port === 443 ? 'https' : 'http';
  return Array.from({ length: n }, (_, i) => ({ scheme, host: ctx.domains[0]!, port, path: `/lvs-check/${i}`, headers: { Connection: 'close' }, timeoutMs: 3000 }) as HttpRequest);
}

export const vipHolder = defineProbe<ProbeOf<'vip-holder'>, HolderObservation>({
  kind: 'vip-holder',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: M.needsLab,
  async observe(ctx, p) {
    const lab = labOf(ctx);
    const samples = [];
    const start = Date.now();
    while (Date.now() - start < p.sampleMs) {
      samples.push({ atMs: Date.now() - start, holders: await holders(lab, ctx.edgeAddress) });
      await sleep(500);
    }
    return { vip: ctx.edgeAddress, samples };
  },
  decide: (o) => decideSingleHolder(o),
});

export const vipFailover = defineProbe<ProbeOf<'vip-failover'>, FailoverObservation>({
  kind: 'vip-failover',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: M.needsLab,
  async observe(ctx, p) {
    const lab = labOf(ctx);
    const vip = ctx.edgeAddress;
    const before = await holders(lab, vip);
    const none = { vip, holdersBefore: before, rows: [], holderAfterReturn: [], expectReturn: false, expectWhy: '' };
    if (before.length !== 1) return none;
    const stopped = lab.directors.find((d) => d.node === before[0])!;
    const other = lab.directors.find((d) => d.node !== stopped.node)!;
    const configs = studentConfigs(lab);
    const stoppedConf = configs[lab.directors.indexOf(stopped)]!;
    const otherConf = configs[lab.directors.indexOf(other)]!;
    const mine = vipInstance(stoppedConf, vip);
    const theirs = vipInstance(otherConf, vip);
    const expectReturn = !!mine && !!theirs && !mine.nopreempt && mine.priority > theirs.priority;
    const tiedPriority = mine && theirs && mine.priority === theirs.priority ? mine.priority : undefined;
    const worst = theirs ? { worstTakeover: takeoverTime(otherConf, stoppedConf, theirs) } : {};
    const expectWhy = mine && theirs
      ? `${stopped.node} priority ${mine.priority}${mine.nopreempt ? ' nopreempt' : ''}, ${other.node} priority ${theirs.priority}`
      : 'no VRRP instance holds the VIP in one of the configs';
    const url = `http://${ctx.domains[0]}/lvs-failover`;
    const seconds = Math.ceil((p.beforeMs + p.recoverWithinMs + 3000) / 1000);
    const loop = lab.runtime.exec(lab.client, ['sh', '-c', loopScript(url, seconds, 100)], { timeoutMs: (seconds + 30) * 1000 });
    loop.catch(() => undefined); // awaited below; if the kill throws first, its failure is not an unhandled rejection
    // Watching from inside the other director, started now so it is polling before the fault; it runs
    // well past the deadline (it stops at the first sighting), so a late start still sees a late takeover.
    const watching = vipArrival(lab.runtime, other.container, vip, seconds + 3).then((w) => ({ w }), (e: unknown) => ({ error: e }));
    await sleep(p.beforeMs);
    const killAt = Date.now();
    let faultAt = killAt;
    let movedAtMs: number | undefined;
    const timing: FailoverObservation['timing'] = {};
    try {
      // The director dies (SIGKILL): no goodbye advert with priority 0 to hurry the BACKUP along, so the
      // takeover time is what the configs' advert_int and priorities make it, as after a power cut.
      await lab.runtime.signal(stopped.container, 'SIGKILL');
      // When it died, as the engine's shim stamped it (the engine's clock, like the watcher's and the
      // client's): a loaded engine answers the kill late, and that lag is not the other director's. The
      // engine marks it stopped a moment after the kill returns; until then there is no exit time.
      let died: number | undefined;
      for (const until = Date.now() + 3000; died === undefined && Date.now() < until; ) {
        died = (await lab.runtime.inspectContainer(stopped.container).catch(() => undefined))?.finishedAt;
        if (died === undefined) await sleep(50);
      }
      if (died !== undefined) faultAt = died;
      timing.fault = died !== undefined ? 'exit' : 'kill';
      const seen = await watching;
      if ('w' in seen) {
        timing.by = 'director';
        if (seen.w.startedAt > faultAt) timing.watcherLateMs = seen.w.startedAt - faultAt;
        // Up to 300 ms early is the exit stamp's lag under load (a fast VRRPv3 takeover), not a VIP held before.
        if (seen.w.seenAt !== undefined && seen.w.seenAt < faultAt - 300) timing.heldBeforeMs = faultAt - seen.w.seenAt;
        else if (seen.w.seenAt !== undefined) movedAtMs = Math.max(0, seen.w.seenAt - faultAt);
      } else {
        // The watcher's exec failed: ask from here instead, which counts each ask's latency too.
        timing.by = 'lab';
        while (Date.now() - killAt < p.recoverWithinMs + 3000) {
          if ((await holders(lab, vip, [other])).length === 1) {
            movedAtMs = Date.now() - killAt;
            break;
          }
          await sleep(200);
        }
      }
      const rows: LoopRow[] = (await loop).stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length === 3 && /^\d+$/.test(f[0]!))
        .map(([tm, code]) => ({ atMs: Number(tm) - faultAt, ok: /^[23]/.test(code!) }));
      await lab.runtime.startContainer(stopped.container);
      // VRRP settles: a preempting MASTER takes the VIP back after its preempt_delay and a few adverts.
      const advert = Math.max(mine?.advertInt ?? 1, theirs?.advertInt ?? 1);
      const settle = Date.now() + ((mine?.preemptDelay ?? 0) + 3 * advert + 4) * 1000;
      let after = await holders(lab, vip);
      while (Date.now() < settle && !(expectReturn && after.length === 1 && after[0] === stopped.node)) {
        await sleep(500);
        after = await holders(lab, vip);
      }
      const tie = tiedPriority === undefined ? {} : { tiedPriority };
      return { vip, holdersBefore: before, stopped: stopped.node, other: other.node, movedAtMs, rows, holderAfterReturn: after, expectReturn, expectWhy, ...tie, timing, ...worst };
    } finally {
      await lab.runtime.startContainer(stopped.container).catch(() => undefined);
    }
  },
  decide: (o, p) => decideFailover(o, p.recoverWithinMs),
});

export const l4Spread = defineProbe<ProbeOf<'l4-spread'>, SpreadObservation[]>({
  kind: 'l4-spread',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: M.needsLab,
  async observe(ctx, p) {
    const lab = labOf(ctx);
    const vip = ctx.edgeAddress;
    // What the config of the director that holds the VIP says; the traffic goes through it.
    const holder = (await holders(lab, vip))[0];
    const i = Math.max(0, lab.directors.findIndex((d) => d.node === holder));
    const configs = studentConfigs(lab);
    const vss = virtualServers(configs[i]!);
    const obs: SpreadObservation[] = [];
    // Each HAProxy node's weight in a virtual_server (0: not one of its real servers).
    const weightsIn = (vs: ReturnType<typeof virtualServers>[number] | undefined) =>
      Object.fromEntries(lab.haproxy.map((h) => [h.node, vs?.realServers.find((r) => r.ip === h.address)?.weight ?? 0]));
    for (const port of p.ports) {
      const vs = vss.find((v) => v.vip === vip && v.port === port);
      const weights = weightsIn(vs);
      // The other director forwards only after a failover, which this check does not cause: what its
      // config would forward, read as it reads it (a 443 left out of lvs2 stops HTTPS after a failover).
      const standby = lab.directors.flatMap((d, j) => {
        if (j === i) return [];
        const svs = virtualServers(configs[j]!).find((v) => v.vip === vip && v.port === port);
        const missing = Object.entries(weightsIn(svs)).filter(([, w]) => w <= 0).map(([node]) => node);
        return [{ node: d.node, hasVs: !!svs, missing }];
      });
      // Whole cycles of the scheduler, so rr and wrr are exact.
      const sum = Object.values(weights).reduce((a, w) => a + turns(vs?.lbAlgo, w), 0) || 1;
      const n = sum * Math.ceil(p.requests / sum);
      const before = await backendSessions(lab);
      await ctx.edge.batch(requests(ctx, port, n));
      await sleep(200);
      const afterCounts = await backendSessions(lab);
      const perNode = Object.fromEntries(lab.haproxy.map((h) => [h.node, (afterCounts[h.node] ?? 0) - (before[h.node] ?? 0)]));
      obs.push({ port, requests: n, perNode, weights, algo: vs?.lbAlgo, standby });
    }
    return obs;
  },
  decide: (o) => decideSpread(o),
});

export const l4Health = defineProbe<ProbeOf<'l4-health'>, HealthObservation>({
  kind: 'l4-health',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: M.needsLab,
  async observe(ctx, p) {
    const lab = labOf(ctx);
    const node = lab.haproxy.find((h) => h.node === p.stop);
    if (!node) return early(fail(M.noNode(p.stop)));
    let takenOutAtMs: number | undefined;
    let servedAfterReturn = 0;
    let failingPorts: number[] = [];
    try {
      await lab.runtime.stopContainer(node.container, 2);
      const stoppedAt = Date.now();
      let run = 0;
      while (Date.now() - stoppedAt < p.withinMs + 2000) {
        // One request per port per round: a virtual server whose real servers have no check keeps
        // sending that port's connections to the stopped node.
        const rs = await ctx.edge.batch(p.ports.flatMap((port) => requests(ctx, port, 1)).map((x) => ({ ...x, timeoutMs: 1000 })));
        const bad = p.ports.filter((_, k) => !(rs[k]!.ok && rs[k]!.status < 500));
        if (bad.length) failingPorts = bad;
        run = bad.length ? 0 : run + 1;
        if (run >= p.okRun) {
          takenOutAtMs = Date.now() - stoppedAt;
          break;
        }
        await sleep(150);
      }
    } finally {
      await lab.runtime.startContainer(node.container);
    }
    // Back: HAProxy ready, the directors' check adds it again, and it serves a share again.
    const backBy = Date.now() + p.withinMs + 5000;
    const isReady = `echo "show proc" | socat -t 1 - UNIX-CONNECT:${MASTER_SOCKET} | grep -q worker`;
    while (Date.now() < backBy) {
      const ready = await lab.runtime.exec(node.container, ['sh', '-c', isReady], { timeoutMs: 3000 }).catch(() => undefined);
      if (ready?.exitCode === 0) {
        const before = await backendSessions(lab);
        await ctx.edge.batch(requests(ctx, 80, 6));
        const after = await backendSessions(lab);
        servedAfterReturn = (after[node.node] ?? 0) - (before[node.node] ?? 0);
        if (servedAfterReturn > 0) break;
      }
      await sleep(500);
    }
    return { stopped: p.stop, takenOutAtMs, okRun: p.okRun, servedAfterReturn, failingPorts };
  },
  decide: (o, p) => decideHealth(o, p.withinMs),
});

export const ipvsTable = defineProbe<ProbeOf<'ipvs-table'>, IpvsObservation>({
  kind: 'ipvs-table',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: M.needsLab,
  async observe(ctx) {
    const lab = labOf(ctx);
    const holder = (await holders(lab, ctx.edgeAddress))[0] ?? lab.directors[0]!.node;
    const d = lab.directors.find((x) => x.node === holder)!;
    const r = await lab.runtime.exec(d.container, ['ipvsadm', '-Ln'], { timeoutMs: 5000 });
    return { exitCode: r.exitCode, text: `${r.stdout}${r.stderr}`, vip: ctx.edgeAddress, realServers: lab.haproxy.map((h) => h.address) };
  },
  decide: (o, p) => decideIpvs(o, p.ports),
});
