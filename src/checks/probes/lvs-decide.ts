// exp7 (the LVS tier): pure decisions over what the lvs probes observed, so every verdict is unit-tested
// without a lab. The observations are plain data (see lvs.ts for how they are made).
import type { Outcome } from '../types.js';
import { t } from '../types.js';

export interface HolderSample {
  atMs: number;
  holders: string[];
}

/** Exactly one director holds the VIP in every sample, and the same one throughout. */
export function decideSingleHolder(vip: string, samples: HolderSample[]): Outcome {
  const observed = { vip, samples };
  const split = samples.find((s) => s.holders.length > 1);
  if (split) {
    return {
      status: 'fail',
      message: t(`${split.holders.join(' and ')} both hold the VIP ${vip}: a split brain`, `${split.holders.join(' 和 ')} 同时持有 VIP ${vip}：脑裂`),
      observed,
    };
  }
  const none = samples.find((s) => s.holders.length === 0);
  if (none) return { status: 'fail', message: t(`no director holds the VIP ${vip}`, `没有任何 director 持有 VIP ${vip}`), observed };
  const owners = [...new Set(samples.map((s) => s.holders[0]))];
  if (owners.length > 1) {
    return { status: 'fail', message: t(`the VIP ${vip} moved between ${owners.join(' and ')} with nothing failing`, `VIP ${vip} 在没有故障时在 ${owners.join(' 和 ')} 之间来回移动`), observed };
  }
  return { status: 'pass', message: t(`${owners[0]} alone holds the VIP ${vip}, steadily`, `只有 ${owners[0]} 持有 VIP ${vip}，且保持稳定`), observed };
}

export interface LoopRow {
  /** ms since the fault (negative: before). */
  atMs: number;
  ok: boolean;
}

export interface FailoverObservation {
  vip: string;
  /** The director that held the VIP and was stopped. */
  stopped: string;
  other: string;
  /** ms after the fault when the other director held the VIP; undefined: never within the window. */
  movedAtMs?: number;
  rows: LoopRow[];
  /** After the stopped director came back: who holds the VIP once VRRP settled. */
  holderAfterReturn: string[];
  /** What the student's configs say should happen when it comes back. */
  expectReturn: boolean;
  /** Why (priorities, nopreempt). */
  expectWhy: string;
}

/** The VIP moves, requests recover within `withinMs`, and on return the VIP goes where the config says. */
export function decideFailover(o: FailoverObservation, withinMs: number): Outcome {
  const observed = { ...o, rows: summarise(o.rows) };
  const before = o.rows.filter((r) => r.atMs < 0);
  if (!before.some((r) => r.ok)) {
    return { status: 'fail', message: t(`before the fault no request through the VIP ${o.vip} succeeded`, `故障之前，经 VIP ${o.vip} 的请求没有一个成功`), observed };
  }
  if (o.movedAtMs === undefined || o.movedAtMs > withinMs) {
    return {
      status: 'fail',
      message: t(`stopped ${o.stopped}, which held the VIP: ${o.other} did not take it within ${withinMs / 1000} s`, `停止了持有 VIP 的 ${o.stopped}：${o.other} 在 ${withinMs / 1000} 秒内没有接管`),
      observed,
    };
  }
  const after = o.rows.filter((r) => r.atMs >= 0);
  const lastFail = [...after].reverse().find((r) => !r.ok);
  const failed = after.filter((r) => !r.ok).length;
  const recoveredAt = lastFail ? lastFail.atMs : 0;
  if (!after.some((r) => r.ok) || recoveredAt > withinMs || (lastFail && lastFail === after[after.length - 1])) {
    return {
      status: 'fail',
      message: t(`the VIP moved to ${o.other} after ${(o.movedAtMs / 1000).toFixed(1)} s, but requests still failed ${(recoveredAt / 1000).toFixed(1)} s after the fault (${failed} failed)`,
        `VIP 在 ${(o.movedAtMs / 1000).toFixed(1)} 秒后移到 ${o.other}，但故障 ${(recoveredAt / 1000).toFixed(1)} 秒后请求仍失败（失败 ${failed} 个）`),
      observed,
    };
  }
  const returned = o.holderAfterReturn.length === 1 && o.holderAfterReturn[0] === o.stopped;
  const stayed = o.holderAfterReturn.length === 1 && o.holderAfterReturn[0] === o.other;
  if (o.expectReturn ? !returned : !stayed) {
    const now = o.holderAfterReturn.join(' and ') || 'nobody';
    return {
      status: 'fail',
      message: t(`after ${o.stopped} came back the VIP is held by ${now}; your configs say it should ${o.expectReturn ? `return to ${o.stopped}` : `stay on ${o.other}`} (${o.expectWhy})`,
        `${o.stopped} 恢复后 VIP 由 ${now} 持有；按你的配置它应该${o.expectReturn ? `回到 ${o.stopped}` : `留在 ${o.other}`}（${o.expectWhy}）`),
      observed,
    };
  }
  return {
    status: 'pass',
    message: t(`${o.other} took the VIP ${(o.movedAtMs / 1000).toFixed(1)} s after ${o.stopped} stopped; ${failed} request(s) failed, all succeeded again ${(recoveredAt / 1000).toFixed(1)} s after the fault; on return the VIP ${o.expectReturn ? `went back to ${o.stopped}` : `stayed on ${o.other}`}, as configured`,
      `${o.stopped} 停止 ${(o.movedAtMs / 1000).toFixed(1)} 秒后 ${o.other} 接管 VIP；失败 ${failed} 个请求，故障 ${(recoveredAt / 1000).toFixed(1)} 秒后全部恢复；恢复后 VIP ${o.expectReturn ? `回到 ${o.stopped}` : `留在 ${o.other}`}，与配置一致`),
    observed,
  };
}

function summarise(rows: LoopRow[]): { before: number; after: number; failedAfter: number[] } {
  return { before: rows.filter((r) => r.atMs < 0).length, after: rows.filter((r) => r.atMs >= 0).length, failedAfter: rows.filter((r) => r.atMs >= 0 && !r.ok).map((r) => r.atMs) };
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
}

/** Whole cycles of rr/wrr are exact: each HAProxy node gets exactly its weight's share (±1 for a stray request). */
export function decideSpread(obs: SpreadObservation[]): Outcome {
  const observed = obs;
  const problems: { en: string; zh: string }[] = [];
  for (const o of obs) {
    const w = Object.values(o.weights);
    if (!o.algo) {
      problems.push(t(`no virtual_server for VIP:${o.port}`, `没有 VIP:${o.port} 的 virtual_server`));
      continue;
    }
    const missing = Object.entries(o.weights).filter(([, x]) => x <= 0).map(([n]) => n);
    if (missing.length) {
      problems.push(t(`VIP:${o.port} does not forward to ${missing.join(' and ')}: both HAProxy nodes belong behind the VIP`, `VIP:${o.port} 没有转发到 ${missing.join(' 和 ')}：两台 HAProxy 都应在 VIP 之后`));
      continue;
    }
    const total = Object.values(o.perNode).reduce((a, b) => a + b, 0);
    if (total < o.requests - 1) {
      problems.push(t(`of ${o.requests} requests to VIP:${o.port}, only ${total} reached HAProxy`, `发往 VIP:${o.port} 的 ${o.requests} 个请求中只有 ${total} 个到达 HAProxy`));
      continue;
    }
    const sum = w.reduce((a, b) => a + b, 0);
    const wrong = Object.keys(o.weights).filter((n) => Math.abs((o.perNode[n] ?? 0) - (total * o.weights[n]!) / sum) > 1);
    if (wrong.length) {
      const got = Object.keys(o.weights).map((n) => `${n} ${o.perNode[n] ?? 0}`).join(', ');
      const want = Object.keys(o.weights).map((n) => `${n} ${((total * o.weights[n]!) / sum).toFixed(0)}`).join(', ');
      problems.push(t(`VIP:${o.port} (${o.algo}): ${got}; your weights say ${want}`, `VIP:${o.port}（${o.algo}）：${got}；按你的权重应为 ${want}`));
    }
  }
  if (problems.length) return { status: 'fail', message: t(problems.map((p) => p.en).join('; '), problems.map((p) => p.zh).join('；')), observed };
  const text = obs.map((o) => `VIP:${o.port} ${o.algo} ${Object.entries(o.perNode).map(([n, c]) => `${n} ${c}`).join('/')}`).join('; ');
  return { status: 'pass', message: t(`both HAProxy nodes share the traffic as configured: ${text}`, `两台 HAProxy 按配置分担流量：${text}`), observed };
}

export interface HealthObservation {
  stopped: string;
  /** ms after the stop when requests all succeeded again (a run of `okRun` in a row); undefined: never. */
  takenOutAtMs?: number;
  okRun: number;
  /** Requests the stopped node's HAProxy served after it came back (its backend counters). */
  servedAfterReturn: number;
}

export function decideHealth(o: HealthObservation, withinMs: number): Outcome {
  const observed = o;
  if (o.takenOutAtMs === undefined || o.takenOutAtMs > withinMs) {
    return {
      status: 'fail',
      message: t(`stopped ${o.stopped}: after ${withinMs / 1000} s the directors still sent it new connections (requests kept failing)`, `停止了 ${o.stopped}：${withinMs / 1000} 秒后 director 仍把新连接发给它（请求持续失败）`),
      observed,
    };
  }
  if (o.servedAfterReturn <= 0) {
    return { status: 'fail', message: t(`${o.stopped} was taken out, but after it came back it got no traffic again`, `${o.stopped} 被摘除后恢复运行，却再也没有收到流量`), observed };
  }
  return {
    status: 'pass',
    message: t(`stopped ${o.stopped}: the directors took it out within ${(o.takenOutAtMs / 1000).toFixed(1)} s; back, it served ${o.servedAfterReturn} request(s) again`,
      `停止 ${o.stopped} 后 ${(o.takenOutAtMs / 1000).toFixed(1)} 秒内被摘除；恢复后又处理了 ${o.servedAfterReturn} 个请求`),
    observed,
  };
}

/** `ipvsadm -Ln` where the kernel has IPVS; a skip, never a pass, where it has not. */
export function decideIpvs(out: { exitCode: number; text: string }, vip: string, ports: number[], realServers: string[]): Outcome {
  const observed = out;
  if (out.exitCode !== 0 && /Protocol not available|Can't initialize ipvs/i.test(out.text)) {
    return { status: 'skip', message: t('skip: kernel lacks ip_vs (lab forwards with nftables from your virtual_server blocks instead)', '跳过：内核没有 ip_vs（lab 改用 nftables 按你的 virtual_server 转发）'), observed };
  }
  if (out.exitCode !== 0) return { status: 'fail', message: t(`ipvsadm -Ln failed: ${out.text.trim().split('\n')[0]}`, `ipvsadm -Ln 失败：${out.text.trim().split('\n')[0]}`), observed };
  const missing: string[] = [];
  for (const port of ports) {
    const block = out.text.split(/\n(?=TCP|UDP)/).find((b) => b.startsWith(`TCP  ${vip}:${port}`));
    if (!block) missing.push(`${vip}:${port}`);
    else for (const rs of realServers) if (!block.includes(`${rs}:${port}`)) missing.push(`${rs}:${port} under ${vip}:${port}`);
  }
  if (missing.length) return { status: 'fail', message: t(`the IPVS table lacks ${missing.join(', ')}`, `IPVS 表中缺少 ${missing.join('、')}`), observed };
  return { status: 'pass', message: t(`IPVS forwards ${ports.map((p) => `${vip}:${p}`).join(' and ')} to both HAProxy nodes`, `IPVS 把 ${ports.map((p) => `${vip}:${p}`).join(' 和 ')} 转发到两台 HAProxy`), observed };
}
