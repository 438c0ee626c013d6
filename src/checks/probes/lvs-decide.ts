// exp7 (the LVS tier): pure decisions over what the lvs probes observed, so every verdict is unit-tested
// without a lab. The observations are plain data (see lvs.ts for how they are made).
import type { MasterDown } from '../../forwarding/keepalived-config.js';
import type { Outcome } from '../types.js';
import { M } from './lvs.messages.js';

const fail = (message: Outcome['message'], observed: unknown): Outcome => ({ status: 'fail', message, observed });
const pass = (message: Outcome['message'], observed: unknown): Outcome => ({ status: 'pass', message, observed });

export interface HolderSample {
  atMs: number;
  holders: string[];
}

export interface HolderObservation {
  vip: string;
  samples: HolderSample[];
}

/** Exactly one director holds the VIP in every sample, and the same one throughout. */
export function decideSingleHolder(o: HolderObservation): Outcome {
  const split = o.samples.find((s) => s.holders.length > 1);
  if (split) return fail(M.splitBrain(split.holders, o.vip), o);
  if (o.samples.some((s) => s.holders.length === 0)) return fail(M.nobody(o.vip), o);
  const owners = [...new Set(o.samples.map((s) => s.holders[0]!))];
  if (owners.length > 1) return fail(M.flaps(owners, o.vip), o);
  return pass(M.oneHolder(owners[0]!, o.vip), o);
}

export interface LoopRow {
  /** ms since the fault (negative: before). */
  atMs: number;
  ok: boolean;
}

export interface FailoverObservation {
  vip: string;
  /** Who held the VIP just before the fault. */
  holdersBefore: string[];
  /** The director that held the VIP and was killed. */
  stopped?: string;
  other?: string;
  /**
   * ms after the fault when the other director held the VIP (its own clock, from the killed one's exit time);
   * undefined: never within the window.
   */
  movedAtMs?: number;
  rows: LoopRow[];
  /** After the killed director came back: who holds the VIP once VRRP settled. */
  holderAfterReturn: string[];
  /** What the student's configs say should happen when it comes back. */
  expectReturn: boolean;
  /** Why (priorities, nopreempt). */
  expectWhy: string;
  /** The priority both configs give the VIP's instance, when they give the same one (absent in older observations). */
  tiedPriority?: number;
  /**
   * How the takeover was timed (absent in older observations): from the killed director's exit time as
   * the engine stamped it ('exit') or, without one, from when lab sent the kill ('kill'); by a watcher
   * inside the other director ('director', the engine's clock) or, when that failed, by asking from lab
   * ('lab'); how long after the fault the watcher started, when it started late; and how long before the
   * fault it already saw the VIP on the other director.
   */
  timing?: { fault?: 'exit' | 'kill'; by?: 'director' | 'lab'; watcherLateMs?: number; heldBeforeMs?: number };
  /** The longest takeover the configs allow: keepalived's master down timer of the other director's VIP instance, or of the slowest member of its sync group. */
  worstTakeover?: MasterDown;
}

/** The VIP moves, requests recover within `withinMs`, and on return the VIP goes where the config says. */
export function decideFailover(o: FailoverObservation, withinMs: number): Outcome {
  if (o.holdersBefore.length !== 1 || !o.stopped || !o.other) return fail(M.notOneBefore(o.holdersBefore, o.vip), o);
  if (!o.rows.some((r) => r.atMs < 0 && r.ok)) return fail(M.nothingBefore(o.vip), o);
  if (o.timing?.heldBeforeMs !== undefined) return fail(M.heldBefore(o.stopped, o.other, o.timing.heldBeforeMs), o);
  if (o.movedAtMs === undefined || o.movedAtMs > withinMs) return fail(M.noTakeover(o.stopped, o.other, withinMs, o.movedAtMs, o.timing?.watcherLateMs), o);
  // A takeover inside the limit this once is luck when the configs allow a longer one: it lands anywhere
  // within one advert interval of the worst case, depending on when the MASTER's last advert went out.
  const worst = o.worstTakeover;
  if (worst && worst.seconds * 1000 > withinMs) return fail(M.slowByConfig(o.stopped, o.other, o.movedAtMs, worst, withinMs), o);
  const after = o.rows.filter((r) => r.atMs >= 0);
  const lastFail = [...after].reverse().find((r) => !r.ok);
  const failed = after.filter((r) => !r.ok).length;
  const recoveredAt = lastFail ? lastFail.atMs : 0;
  if (!after.some((r) => r.ok) || recoveredAt > withinMs || (lastFail && lastFail === after[after.length - 1])) {
    return fail(M.stillFailing(o.other, o.movedAtMs, recoveredAt, failed), o);
  }
  // Equal priorities: which director holds the VIP after a failover is VRRP's tie-break (the higher
  // address, and whether the returning one starts as MASTER), not something the configs decide.
  if (o.tiedPriority !== undefined) return fail(M.tiedPriority(o.stopped, o.other, o.tiedPriority), o);
  const one = o.holderAfterReturn.length === 1 ? o.holderAfterReturn[0] : undefined;
  if (one !== (o.expectReturn ? o.stopped : o.other)) {
    return fail(M.wrongReturn(o.stopped, o.other, o.holderAfterReturn.join(' and ') || 'nobody', o.expectReturn, o.expectWhy), o);
  }
  return pass(M.failoverOk(o.stopped, o.other, o.movedAtMs, failed, recoveredAt, o.expectReturn), o);
}

export interface SpreadObservation {
  port: number;
  requests: number;
  /** New requests each HAProxy node received (its backends' session counters). */
  perNode: Record<string, number>;
  /** Weight each HAProxy node has in the student's virtual_server for this port (0: not a real server). */
  weights: Record<string, number>;
  /** lb_algo of that virtual_server; undefined: there is none for this port. */
  algo?: string;
  /** The directors not holding the VIP: whether their config has this virtual_server, and the HAProxy nodes it lacks (absent in older observations). */
  standby?: { node: string; hasVs: boolean; missing: string[] }[];
}

/** A real server's turns in one cycle of the scheduler: rr takes turns whatever the weights (IPVS's rr, and lab's forwarder), wrr follows them; weight 0 takes none. */
export function turns(algo: string | undefined, weight: number): number {
  return algo === 'rr' ? (weight > 0 ? 1 : 0) : weight;
}

/** Whole cycles of rr/wrr are exact: each HAProxy node gets exactly its weight's share (±1 for a stray request). */
export function decideSpread(obs: SpreadObservation[]): Outcome {
  const problems = obs.flatMap((o) => {
    if (!o.algo) return [M.noVirtualServer(o.port)];
    const missing = Object.entries(o.weights).filter(([, x]) => x <= 0).map(([n]) => n);
    if (missing.length) return [M.missingReal(o.port, missing)];
    const total = Object.values(o.perNode).reduce((a, b) => a + b, 0);
    if (total < o.requests - 1) return [M.fewArrived(o.port, o.requests, total)];
    const standby = (o.standby ?? []).flatMap((d) => (!d.hasVs ? [M.standbyNoVs(d.node, o.port)] : d.missing.length ? [M.standbyMissing(d.node, o.port, d.missing)] : []));
    if (standby.length) return standby;
    const eff = (n: string) => turns(o.algo, o.weights[n]!);
    const sum = Object.keys(o.weights).reduce((a, n) => a + eff(n), 0);
    const want = (n: string) => (total * eff(n)) / sum;
    if (Object.keys(o.weights).every((n) => Math.abs((o.perNode[n] ?? 0) - want(n)) <= 1)) return [];
    const got = Object.keys(o.weights).map((n) => `${n} ${o.perNode[n] ?? 0}`).join(', ');
    const wanted = Object.keys(o.weights).map((n) => `${n} ${want(n).toFixed(0)}`).join(', ');
    return [o.algo === 'rr' ? M.wrongTurns(o.port, got, wanted) : M.wrongSpread(o.port, o.algo, got, wanted)];
  });
  if (problems.length) return fail({ en: problems.map((p) => p.en).join('; '), zh: problems.map((p) => p.zh).join('；') }, obs);
  const text = obs.map((o) => `VIP:${o.port} ${o.algo} ${Object.entries(o.perNode).map(([n, c]) => `${n} ${c}`).join('/')}`).join('; ');
  return pass(M.spreadOk(text), obs);
}

export interface HealthObservation {
  stopped: string;
  /** ms after the stop when requests all succeeded again (a run of `okRun` in a row); undefined: never. */
  takenOutAtMs?: number;
  okRun: number;
  /** Requests the stopped node's HAProxy served after it came back (its backend counters). */
  servedAfterReturn: number;
  /** The VIP ports whose requests failed in the last round that failed (absent in older observations). */
  failingPorts?: number[];
}

export function decideHealth(o: HealthObservation, withinMs: number): Outcome {
  if (o.takenOutAtMs === undefined || o.takenOutAtMs > withinMs) return fail(M.notTakenOut(o.stopped, withinMs, o.failingPorts ?? []), o);
  if (o.servedAfterReturn <= 0) return fail(M.notBack(o.stopped), o);
  return pass(M.healthOk(o.stopped, o.takenOutAtMs, o.servedAfterReturn), o);
}

export interface IpvsObservation {
  exitCode: number;
  text: string;
  vip: string;
  realServers: string[];
}

/** `ipvsadm -Ln` where the kernel has IPVS; a skip, never a pass, where it has not. */
export function decideIpvs(o: IpvsObservation, ports: number[]): Outcome {
  if (o.exitCode !== 0 && /Protocol not available|Can't initialize ipvs/i.test(o.text)) return { status: 'skip', message: M.noIpvs, observed: o };
  if (o.exitCode !== 0) return fail(M.ipvsFailed(o.text.trim().split('\n')[0] ?? ''), o);
  const missing: string[] = [];
  for (const port of ports) {
    const block = o.text.split(/\n(?=TCP|UDP)/).find((b) => b.startsWith(`TCP  ${o.vip}:${port}`));
    if (!block) missing.push(`${o.vip}:${port}`);
    else for (const rs of o.realServers) if (!block.includes(`${rs}:${port}`)) missing.push(`${rs}:${port} under ${o.vip}:${port}`);
  }
  if (missing.length) return fail(M.ipvsLacks(missing), o);
  return pass(M.ipvsOk(ports.map((p) => `${o.vip}:${p}`).join(' and ')), o);
}
