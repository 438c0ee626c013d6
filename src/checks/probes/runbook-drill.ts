// exp6 (tutorial 5.4, the runtime socket section): a maintenance drill on a loaded site, run once per
// attempt and graded by several checks (`judge`). The student's runbook (workspace/<script>, mounted
// read-only at /lab/workspace in every HAProxy node) runs with sh in each HAProxy node:
//   1. a request loop runs from the client through the VIP (slow and quick requests, new connections);
//      the app holds the slow ones longer on one HAProxy node, picked at random, than on the others;
//      a sampler in each HAProxy node reads the target server's row of `show stat` ten times a second;
//   2. `<script> drain` on every node (at once); it must drain the server, wait until its sessions are
//      0, printing them, and leave it in maintenance, soon after the 0 (a fixed sleep cannot be both long
//      enough on the long node and soon enough on the others);
//   3. lab does the maintenance right away (stops the Nginx container and starts it), then takes the
//      server out itself where the drain did not (so the restore is graded on its own), and reads the
//      Prometheus exporter;
//   4. `<script> restore` on every node; the server must take new requests again on every node;
//   5. the loop stops; lab restores every server the drill changed (state and weight) and reads the
//      exporter again. Nothing leaks into the next run.
import { defineProbe } from './define.js';
import type { HttpResponse } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { LabHandle, Outcome, ProbeContext, ProbeImpl, Text } from '../types.js';
import { t } from '../types.js';
import { WORKSPACE_IN_HAPROXY } from '../../topology/kinds/haproxy.js';
import { MASTER_SOCKET } from '../../apply/services.js';
import { NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { addressesOf, isOut, masterCommand, nodeServers, prometheusServerState, token, type NodeServer } from './node-ops.js';
import { sleep } from './server-counters.js';
import { fail, listSome, pass, perNode } from './util.js';
import { shq } from '../http.js';

type Params = ProbeOf<'runbook-drill'>;
export type DrillParams = Omit<Params, 'kind' | 'judge'>;
export type Judge = Params['judge'];

export interface ScriptRun {
  args: string[];
  /** The script exists in the workspace. */
  found: boolean;
  start: number;
  end: number;
  /** Exit status; 124: it ran out of time. */
  exit: number | null;
  /** When the script itself ended (stamped beside it; `end` comes after its output was read and stamped). */
  exitAt?: number;
  lines: { t: number; text: string }[];
}

export interface Sample {
  /** When the answer was in: the state it shows held at some time in [asked, t]. */
  t: number;
  /** When the sampler asked (a loaded machine answers hundreds of ms later). */
  asked?: number;
  key: string;
  status: string;
  scur: number;
  stot: number;
  weight: number;
}

export interface MetricRead {
  /** haproxy_server_status's state for the server (null: no such metric). */
  state: string | null;
  /** `show stat`'s status at the same time. */
  status: string;
  error?: string;
}

export interface DrillObservations {
  server: string;
  serverIps: string[];
  /** Per HAProxy node: its addresses (Nginx passes the one it saw to the app as X-Real-IP). */
  haproxyIps: Record<string, string[]>;
  /** Per node: status of every server at the target's address when the drill began. */
  initial: Record<string, Record<string, string>>;
  /** Per node: the server(s) at the target's address that served the load. */
  live: Record<string, string[]>;
  /** Per node: how long the app held the load's slow requests that came through it (one node's are longer). */
  holds?: Record<string, number>;
  /** Whether the node with the long hold had taken a new session on the server just before the drain. */
  freshBeforeDrain?: boolean;
  /** The warm-up's conditions held when the drain began (false: its 15 s ran out first). */
  warmed?: boolean;
  /** The engine's clock (which stamps samples and runs) minus lab's (which stamps the maintenance), in ms. */
  clockOffsetMs?: number;
  /** How far off clockOffsetMs may be: half the round trip of the reading. */
  clockErrorMs?: number;
  drain: Record<string, ScriptRun>;
  /** Per node: the target's status and current sessions read right after the drain returned, before the maintenance. */
  atReturn: Record<string, Record<string, { status: string; scur: number }>>;
  /** Nodes where lab took the server out itself before the restore (the drain had not). */
  forcedOut: string[];
  /**
   * inRotation: `node: server (status)` for every server at the target still taking new requests (not
   * MAINT, DRAIN or DOWN, weight above 0) in the last reading before Nginx stopped.
   */
  maintenance: { stopped: boolean; skipped?: string; at?: number; back?: number; inRotation?: string[] };
  restore: Record<string, ScriptRun>;
  /** Per node, once the restore ran: the server's status and sessions it took afterwards (by counters). */
  afterRestore: Record<string, { status: string; newSessions: number; weights?: { key: string; now: number; was: number }[] }>;
  samples: Record<string, Sample[]>;
  loop: {
    sent: number;
    /** t: when the request was sent; end: when it failed (recorded since the drain judges it; older observations lack it). */
    failures: { t: number; end?: number; code: string; what: string }[];
    viaServerAfterRestore: Record<string, number>;
    /** Per HAProxy node: the longest a slow request through it took (the app holds them `holds[node]`). */
    slowHeld?: Record<string, number>;
  };
  metrics: { during: Record<string, MetricRead>; after: Record<string, MetricRead> };
  /** Commands lab ran first, to put the server back in rotation where an earlier manual drain had left it out. */
  reset: string[];
  cleanup: string[];
}

// ---------------------------------------------------------------------------------------------------
// Messages

/**
 * How long a node's sessions must outlast the drain for its waiting to show. A runbook that does not wait
 * returns within a few hundred ms (0.4 s on a loaded machine); where every session ended sooner than this,
 * it would have passed too (CI saw it once), so no node that short earns the pass.
 */
export const EXPOSED_MS = 1500;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const MESSAGES = {
  noDrill: (server: string) => t(`the drill could not run: the lab has no running ${server} or no HAProxy node`, `演练无法进行：实验环境中没有运行中的 ${server} 或 HAProxy 节点`),
  noScript: (script: string) => t(`workspace/${script} does not exist`, `workspace/${script} 不存在`),
  exit: (args: string, code: number | null) =>
    code === 124
      ? t(`\`${args}\` did not finish within its time limit`, `\`${args}\` 未在时限内结束`)
      : t(`\`${args}\` exited with status ${code ?? '?'}`, `\`${args}\` 的退出码为 ${code ?? '?'}`),
  alreadyOut: (s: string, st: string) => t(`${s} was already out of rotation (${st}) before the drill began`, `演练开始前 ${s} 就已不在轮转中（${st}）`),
  noLive: (s: string) => t(`the load never reached ${s} on this node before the drain`, `排空之前负载从未经此节点到达 ${s}`),
  notDrained: (s: string) => t(`${s} was never taken out of rotation (no DRAIN or MAINT)`, `${s} 从未被移出轮转（既没有 DRAIN 也没有 MAINT）`),
  newSessions: (s: string, n: number) => t(`${s} took ${n} new session(s) after the drain began`, `排空开始后 ${s} 又接收了 ${n} 个新会话`),
  notWaited: (s: string, n: number) => t(`the runbook returned while ${s} still had ${n} session(s): wait until they reach 0`, `runbook 返回时 ${s} 仍有 ${n} 个会话：应等到会话数为 0`),
  notMaint: (s: string, st: string) =>
    t(`the runbook left ${s} in ${st}; put it in maintenance (MAINT) once it is drained`, `runbook 结束时 ${s} 处于 ${st}；排空后应把它置为维护状态（MAINT）`),
  lateReturn: (s: string, ms: number, limit: number) =>
    t(
      `the runbook returned ${secs(ms)} after ${s}'s sessions reached 0 (lab allows ${secs(limit)}): ` +
        'go on as soon as the count is 0, watching it every second or so; a fixed sleep is too short on one node or too long on another ' +
        '(the drill holds requests longer on one of them)',
      `${s} 的会话数归零 ${secs(ms)} 后 runbook 才返回（lab 允许 ${secs(limit)}）：应每秒左右查看一次会话数，一到 0 就继续；` +
        '固定的 sleep 总会在某个节点上太短、在另一个节点上太长（演练在其中一个节点上让请求保持得更久）',
    ),
  notHeld: (node: string, ms: number, want: number) =>
    t(
      `the drill's slow requests through ${node} were held at most ${secs(ms)}, not ${secs(want)}: something between the client and ` +
        "the app changes them, so the drill cannot be judged (`lab up exp6` puts the lab's app and Nginx back; leave /slow's query alone in haproxy.cfg)",
      `演练经 ${node} 的慢请求最多只保持了 ${secs(ms)}，而不是 ${secs(want)}：客户端与应用之间有东西改动了它们，演练无法评判` +
        '（`lab up exp6` 会恢复实验的应用和 Nginx；haproxy.cfg 中不要改动 /slow 的查询参数）',
    ),
  tooSoon: (s: string, list: string) =>
    t(
      `on every node ${s}'s sessions ended within ${secs(EXPOSED_MS)} of the drain (${list}): too soon to tell a runbook that waits ` +
        'for them from one that does not; a runbook that ends them (`shutdown sessions`) does not wait',
      `每个节点上 ${s} 的会话都在排空开始后 ${secs(EXPOSED_MS)} 内结束（${list}）：太快，无法分辨 runbook 是否在等待会话结束；` +
        '用 `shutdown sessions` 结束会话不算等待',
    ),
  cut: (server: string, n: number, list: string) =>
    t(
      `${n} request(s) on their way when the drain began failed before lab stopped ${server} (${list}): the sessions were ended, ` +
        'not waited for (`shutdown sessions` in the runbook, or a timeout shorter than the requests)',
      `排空开始时仍在进行的 ${n} 个请求在 lab 停止 ${server} 之前就失败了（${list}）：会话被中止了，而不是等它们结束` +
        '（runbook 中的 `shutdown sessions`，或比请求更短的超时）',
    ),
  notHeldNone: (node: string, want: number) =>
    t(
      `no slow request of the drill through ${node} was answered (they should be held ${secs(want)}): something between the client and ` +
        "the app cuts them (a timeout shorter than that?), so the drill cannot be judged",
      `演练经 ${node} 的慢请求没有一个得到应答（应保持 ${secs(want)}）：客户端与应用之间有东西截断了它们（超时比这更短？），演练无法评判`,
    ),
  drained: (s: string, ms: number, n: number) =>
    t(`${s} drained (${n} session(s) left when the drain began, 0 after ${secs(ms)}), no new session, then MAINT`,
      `${s} 已排空（排空开始时有 ${n} 个会话，${secs(ms)} 后为 0），没有新会话，随后进入 MAINT`),
  drainRunFailed: (list: string) =>
    t(`the drain did not finish cleanly (${list}), so lab did not take the server down for maintenance`, `排空没有正常完成（${list}），因此 lab 没有停机维护该 server`),
  tooFew: (n: number) => t(`the request loop sent only ${n} requests; the drill could not be judged`, `请求循环只发出了 ${n} 个请求，无法评判`),
  stillRouted: (list: string) =>
    t(
      `${list} when lab stopped Nginx: those requests fail or survive only by luck; drain the server on every node first`,
      `lab 停止 Nginx 时 ${list}：这些请求会失败，能成功只是运气；应先在每个节点上排空该 server`,
    ),
  dropped: (n: number, total: number, list: string) =>
    t(`${n} of ${total} requests failed during drain, maintenance and restore (${list})`, `在排空、维护和恢复期间，${total} 个请求中有 ${n} 个失败（${list}）`),
  noDrop: (total: number, server: string) =>
    t(`${total} requests during drain, maintenance (${server} stopped and started) and restore: none failed`, `排空、维护（停止并重启 ${server}）和恢复期间共 ${total} 个请求，没有一个失败`),
  noNumbers: () => t('printed no session count (end a line with the number, e.g. `echo "web2 sessions: $n"`)', '没有打印会话数（在一行末尾输出数字，例如 `echo "web2 sessions: $n"`）'),
  wrongNumber: (p: number, lo: number, hi: number, at: string) =>
    t(`printed ${p} at ${at}, but HAProxy reported ${lo === hi ? lo : `${lo}–${hi}`} current sessions then`, `在 ${at} 打印了 ${p}，但 HAProxy 当时报告的当前会话数为 ${lo === hi ? lo : `${lo}–${hi}`}`),
  notTelling: (list: string) =>
    t(
      `printed ${list}, numbers HAProxy's total sessions (stot) also had then, so lab cannot tell whether the runbook prints the current ones (scur)`,
      `打印了 ${list}，这些数 HAProxy 当时的累计会话数（stot）也有，lab 无法判断脚本打印的是否为当前会话数（scur）`,
    ),
  noSamples: () => t("lab's sampler read no `show stat` row of the server while the script ran", '脚本运行期间 lab 的采样没有读到该 server 的 `show stat` 行'),
  nothingToPrint: () => t('no session to wait for, nothing printed', '没有需要等待的会话，未打印'),
  onlyZero: (n: number) =>
    t(`printed only 0 while the server still had ${n} session(s) for over a second: print the count while you wait`, `服务器仍有 ${n} 个会话超过一秒时却只打印了 0：等待期间应打印会话数`),
  numbers: (list: Text) => t(`printed session counts ${list.en}, as HAProxy reported them`, `打印的会话数 ${list.zh} 与 HAProxy 报告的一致`),
  restoreForced: () => t(' (lab had taken it out itself first, since the drain had not)', '（由于排空没有做到，lab 先自行把它移出了轮转）'),
  heavier: (s: string, now: number, was: number) =>
    t(
      `${s} is back with weight ${now}, but it had ${was} before the drain: \`set weight\` without % is absolute (100% is the configured weight)`,
      `${s} 恢复后权重为 ${now}，而下线前是 ${was}：\`set weight\` 不带 % 是绝对值（100% 才是配置的权重）`,
    ),
  stillOut: (s: string, st: string) => t(`${s} is still ${st} after the restore`, `恢复后 ${s} 仍处于 ${st}`),
  noTraffic: (s: string, ms: number) => t(`${s} took no new request within ${secs(ms)} after the restore`, `恢复后 ${secs(ms)} 内 ${s} 没有接收任何新请求`),
  appNotSeen: (server: string) => t(`the app saw no request through ${server} after the restore`, `恢复后应用没有看到经由 ${server} 的请求`),
  restored: (s: string, n: number) => t(`${s} is back and took ${n} new session(s)`, `${s} 已恢复，并接收了 ${n} 个新会话`),
  metricError: (e: string) => t(`the exporter did not answer (${e})`, `指标接口没有应答（${e}）`),
  metricMissing: () => t('no haproxy_server_status for the server', '没有该 server 的 haproxy_server_status'),
  metricWrong: (when: string, state: string, status: string) =>
    t(`${when}, haproxy_server_status says ${state}, but the server is ${status}`, `${when}，haproxy_server_status 为 ${state}，但 server 实际为 ${status}`),
  during: () => t('in maintenance', '维护期间'),
  after: () => t('after the restore', '恢复之后'),
  metrics: (list: string) => t(`haproxy_server_status follows the server: ${list}`, `haproxy_server_status 跟随 server 的状态：${list}`),
};

// ---------------------------------------------------------------------------------------------------
// Pure judgement

/** The last number on a line that stands alone (not part of a name like web2, an address or host:port). */
export function lastNumber(text: string): number | null {
  // Closing quotes and brackets may follow ("3", [3], {"scur":3}), and an ellipsis.
  const m = /(^|[^\w.])(\d+)\s*[.。)）"'\]}>…]*\s*$/.exec(text.trimEnd());
  if (!m) return null;
  // host:port (nginx2:10080, 10.0.0.5:10080) is an address, not a count.
  if (m[1] === ':' && /\d$/.test(text.slice(0, m.index))) return null;
  return Number(m[2]);
}

const SESSION_WORD = /sess|scur|会话|连接|conn/i;
// A number right after a word for the current count: "sessions: 3", "scur=3", {"scur":3}, "cur=3",
// "active 3", "connections: 3", "会话数 3", "剩余 3". A whole word ("qcur" is not "cur"); 连接 alone also
// means "connect" ("连接 2 个节点"), so only 连接数.
const AFTER_WORD =
  /(?<![a-z])(?:sess(?:ions?)?|scur|cur|current|active|conn(?:ections?|s)?|会话数?|连接数|当前(?:会话|连接)?数?|剩余(?:会话|连接)?数?)["']?\s*[:=：]?\s*["']?(\d+)(?![\w.:])/gi;
// A number right before a session word, a state word allowed between: "3 sessions", "3 active
// sessions", "剩余 3 个会话", "3 conns".
const BEFORE_WORD = /(?<![\w.:/-])(\d+)\s*(?:个\s*)?(?:(?:current|active|open|remaining|left|live|in-flight)\s+)?(?:sess|会话|连接|conn)/gi;
// Words that make the number after them something other than the current count: a total, a limit, a
// target ("waiting for the sessions to reach 0"). A target is no reading at all; a total is still one
// when the line has nothing else (a runbook printing stot is judged on it).
const TARGET = /reach|until|降到|等到|目标/i;
const NOT_CURRENT = new RegExp(`${TARGET.source}|total|cumulative|stot|served|\\btot\\b|so far|since|\\bof\\b|max|limit|累计|累积|总计|总数|总会话|一共|已处理|总共(?!还)|历史|共处理|上限|最大`, 'i');

/** A number's label: what stands before it back to the previous number or separator on its line. */
function labelOf(text: string, at: number): string {
  return text.slice(0, at).replace(/^[\s\S]*[\d,;，；|()（）]/, '');
}

/** The numbers a pattern finds beside the session words, without those labelled a total or a limit. */
function beside(text: string, re: RegExp): number[] {
  return [...text.matchAll(re)]
    .map((m) => ({ at: m.index! + m[0].indexOf(m[1]!), n: Number(m[1]) }))
    .filter((c) => !NOT_CURRENT.test(labelOf(text, c.at)))
    .map((c) => c.n);
}

/**
 * The session count a line that names sessions prints: the first number right after a word for the
 * current count ("sessions: 3", "scur=3", "current: 3"), else the first right before one ("3 sessions",
 * "剩余 3 个会话"), in both cases not labelled a total or a limit; else its last standalone number. So
 * what else the line carries (a stamp, a counter, a port, "elapsed=4", "(4/30)", a total) is not
 * read as the count, and a line with only a total reads as the total: a runbook printing stot is
 * judged on it.
 */
export function sessionNumber(text: string): number | null {
  const near = beside(text, AFTER_WORD)[0] ?? beside(text, BEFORE_WORD)[0];
  if (near !== undefined) return near;
  // Else the last number, unless it is a target.
  const last = lastNumber(text);
  return last !== null && TARGET.test(labelOf(text, text.search(/\d+\D*$/))) ? null : last;
}

/**
 * The session counts a drain printed: the count of each line that reads like one (it names the
 * sessions, or is a bare number), so a runbook that also echoes its commands (`set weight web2 0`) or a
 * limit (`timeout 30`) is not judged on those; with no such line, every line that ends in a number.
 */
export function readings(lines: { t: number; text: string }[]): { t: number; n: number }[] {
  const numbered = lines
    .map((l) => {
      const names = SESSION_WORD.test(l.text);
      return { t: l.t, named: names || /^\s*\d+\s*$/.test(l.text), n: names ? sessionNumber(l.text) : lastNumber(l.text) };
    })
    .filter((x): x is { t: number; named: boolean; n: number } => x.n !== null);
  const named = numbered.filter((x) => x.named);
  return (named.length ? named : numbered).map(({ t, n }) => ({ t, n }));
}

type Counter = 'scur' | 'stot';

/** Total scur (or stot) of the given servers at time t (the last sample at or before t). */
function scurAt(samples: Sample[], keys: string[], at: number, field: Counter = 'scur'): number | null {
  let total: number | null = null;
  for (const k of keys) {
    const before = samples.filter((s) => s.key === k && s.t <= at);
    const last = before[before.length - 1];
    if (last) total = (total ?? 0) + last[field];
  }
  return total;
}

/**
 * The min and max of the servers' total scur (or stot) over [from, to], counting the value holding at
 * `from`, and a sample asked for by `to` but answered after it (it may show the state at `to`).
 */
export function scurRange(samples: Sample[], keys: string[], from: number, to: number, field: Counter = 'scur'): { lo: number; hi: number } | null {
  const times = [from, ...samples.filter((s) => keys.includes(s.key) && s.t > from && (s.asked ?? s.t) <= to).map((s) => s.t)];
  const values = times.map((x) => scurAt(samples, keys, x, field)).filter((v): v is number => v !== null);
  return values.length ? { lo: Math.min(...values), hi: Math.max(...values) } : null;
}

const within = (n: number, r: { lo: number; hi: number } | null) => r !== null && n >= r.lo && n <= r.hi;

export const normState = (status: string) => (status.match(/^(MAINT|DRAIN|UP|DOWN|NOLB|no check)/)?.[1] ?? status).replace('no check', 'UP');

/** Out of rotation: DRAIN or MAINT, or weight 0 (which `show stat` still calls UP, or "no check"). */
export const outOfRotation = (s: { status: string; weight: number }) => isOut(s.status) || s.weight === 0;

/**
 * Total scur of the servers in the last reading each asked for by `at` (a reading shows the state at some
 * time after its ask, so one asked a little after a runbook returned may show the 0 it saw just before).
 */
export function scurAsked(samples: Sample[], keys: string[], at: number): number | null {
  let total = 0;
  for (const k of keys) {
    const last = samples.filter((s) => s.key === k && (s.asked ?? s.t) <= at).pop();
    if (!last) return null;
    total += last.scur;
  }
  return total;
}

/**
 * The drain's timing on one node, from the samples: when it took the server out, when the sessions were
 * first read at 0 after that (the answer's time: the 0 was there by then), and how many sessions were left
 * when the runbook returned: the last readings asked within 0.8 s of it (a loaded sampler may not have
 * asked since the runbook saw its 0), but before lab stopped Nginx (which ends whatever is left).
 */
export function drainTiming(samples: Sample[], keys: string[], end: number, stoppedAt?: number): { out?: Sample; zeroAt?: number; left: number | null } {
  const mine = samples.filter((s) => keys.includes(s.key));
  const out = mine.find(outOfRotation);
  const zeroAt = out ? mine.find((s) => s.t >= out.t && (scurAt(mine, keys, s.t) ?? 1) === 0)?.t : undefined;
  return { out, zeroAt, left: scurAsked(mine, keys, Math.min(end + 800, (stoppedAt ?? Infinity) - 1)) };
}

const nodesOf = (o: Record<string, unknown>) => Object.keys(o).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

function runProblem(run: ScriptRun | undefined, script: string): Text | null {
  if (!run || !run.found) return MESSAGES.noScript(script);
  if (run.exit !== 0) return MESSAGES.exit(`sh ${script} ${run.args.join(' ')}`, run.exit);
  return null;
}

/** When the first drain began (the engine's clock). */
const drainBegan = (obs: DrillObservations) => Math.min(...Object.values(obs.drain).map((r) => r.start));

/** When lab stopped the server, moved onto the engine's clock (undefined: it did not). */
const stoppedOnEngine = (obs: DrillObservations) =>
  obs.maintenance.stopped && obs.maintenance.at ? obs.maintenance.at + (obs.clockOffsetMs ?? 0) : undefined;

function judgeDrain(obs: DrillObservations, p: DrillParams): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const good: { node: string; msg: Text }[] = [];
  // Per node that drained well: how long its sessions lasted after the server went out of rotation.
  const lasted: { node: string; ms: number }[] = [];
  const stoppedAt = stoppedOnEngine(obs);
  for (const node of nodesOf(obs.haproxyIps)) {
    const run = obs.drain[node];
    const samples = obs.samples[node] ?? [];
    const keys = obs.live[node] ?? [];
    const name = keys.join(', ') || p.server;
    const rp = runProblem(run, p.script);
    const outAtStart = Object.entries(obs.initial[node] ?? {}).find(([, st]) => isOut(st));
    if (outAtStart) problems.push({ node, msg: MESSAGES.alreadyOut(outAtStart[0], outAtStart[1]) });
    else if (rp) problems.push({ node, msg: rp });
    else if (keys.length === 0 || !run) problems.push({ node, msg: MESSAGES.noLive(p.server) });
    else {
      const mine = samples.filter((s) => keys.includes(s.key));
      // The drill put the server back in rotation before it began, so the first sample out of rotation is the drain's.
      const returned = run.exitAt ?? run.end;
      const { out, zeroAt, left: leftThen } = drainTiming(mine, keys, returned, stoppedAt);
      // lab's own hand (forcedOut) comes seconds after the run, past the maintenance.
      if (!out || out.t > returned + 1500) {
        problems.push({ node, msg: MESSAGES.notDrained(name) });
        continue;
      }
      const until = obs.restore[node]?.start ?? Infinity;
      const stotAt = (k: string, at: number) => [...mine].reverse().find((s) => s.key === k && s.t <= at)?.stot ?? 0;
      const added = keys.reduce((a, k) => a + Math.max(0, ...mine.filter((s) => s.key === k && s.t >= out.t && s.t < until).map((s) => s.stot - stotAt(k, out.t))), 0);
      // Read when every node had returned; this node's own readings say what it left when it returned (one
      // that returns early, before the others, is not let off by sessions that ended meanwhile).
      const endRows = Object.entries(obs.atReturn[node] ?? {}).map(([k, r]) => ({ key: k, ...r }));
      const left = leftThen ?? endRows.reduce((a, s) => a + s.scur, 0);
      const notMaint = endRows.find((s) => !/^MAINT/.test(s.status));
      const late = zeroAt !== undefined && zeroAt <= returned ? returned - zeroAt : 0;
      const held = obs.loop.slowHeld?.[node];
      const want = obs.holds?.[node];
      // No answered slow request at all (every one cut, e.g. by a short timeout) is not held either.
      if (want !== undefined && held === undefined && obs.loop.slowHeld) problems.push({ node, msg: MESSAGES.notHeldNone(node, want) });
      else if (held !== undefined && want !== undefined && held < want - 1000) problems.push({ node, msg: MESSAGES.notHeld(node, held, want) });
      else if (added > 0) problems.push({ node, msg: MESSAGES.newSessions(name, added) });
      else if (left > 0) problems.push({ node, msg: MESSAGES.notWaited(name, left) });
      else if (notMaint) problems.push({ node, msg: MESSAGES.notMaint(name, notMaint.status) });
      // lab stops Nginx once every drain has returned: a runbook must go on when the count is 0, not after a fixed time.
      else if (late > p.promptMs) problems.push({ node, msg: MESSAGES.lateReturn(name, late, p.promptMs) });
      else {
        const ms = (zeroAt ?? returned) - out.t;
        good.push({ node, msg: MESSAGES.drained(name, ms, scurAt(mine, keys, out.t) ?? 0) });
        lasted.push({ node, ms });
      }
    }
  }
  if (problems.length) return fail(listSome(perNode(problems)));
  // A request in flight when the drain began that failed before lab stopped the server was cut by something
  // else than the maintenance: the sessions ended, and not because the runbook waited (any delay before a
  // `shutdown sessions` would otherwise pass). Before lab's stop: by the time every drain had ended (the
  // same clock as the loop's), or before lab's stop moved onto that clock, less what that reading may be
  // off by. A real one saw the 502s 40 ms before the runbook ended and 150 ms before the stop.
  const began = drainBegan(obs);
  const ended = Math.max(...Object.values(obs.drain).map((r) => r.end));
  const stopAt = stoppedAt === undefined ? -Infinity : stoppedAt - (obs.clockErrorMs ?? 200);
  const cut = obs.loop.failures.filter((f) => f.end !== undefined && f.t < began && f.end >= began && (f.end <= ended || f.end < stopAt));
  if (cut.length) {
    const shown = cut.slice(0, 3).map((f) => `${f.code} ${secs(f.end! - began)} into the drain for a request sent ${secs(began - f.t)} before it`).join('; ');
    return fail(MESSAGES.cut(p.server, cut.length, shown));
  }
  // Waiting shows only where a session outlasted the drain: a fail (so the check runs the drill again) if none did.
  if (!lasted.some((x) => x.ms >= EXPOSED_MS)) return fail(MESSAGES.tooSoon(p.server, lasted.map((x) => `${x.node}: 0 after ${secs(x.ms)}`).join('; ')));
  return pass(listSome(perNode(good)));
}

function judgeNoDrop(obs: DrillObservations, p: DrillParams): Outcome {
  const runs = nodesOf(obs.haproxyIps).flatMap((node) => {
    const rp = runProblem(obs.drain[node], p.script);
    return rp ? [`${node}: ${rp.en}`] : [];
  });
  if (runs.length) return fail(MESSAGES.drainRunFailed(runs.join('; ')));
  if (obs.loop.sent < 10) return fail(MESSAGES.tooFew(obs.loop.sent));
  // Whether a request was caught in flight is timing; a node still sending the server new requests
  // when it stops is not (a runbook that skips a node would otherwise pass whenever none was caught).
  const routed = obs.maintenance.stopped ? (obs.maintenance.inRotation ?? []) : [];
  if (routed.length) return fail(MESSAGES.stillRouted(routed.map((r) => `${r} still took new requests`).join('; ')));
  const f = obs.loop.failures;
  if (f.length) {
    const t0 = drainBegan(obs);
    const when = (ms: number) => `${Math.abs(ms / 1000).toFixed(1)} s ${ms >= 0 ? 'after' : 'before'}`;
    const shown = f.slice(0, 3).map((x) => `${x.code} for a request sent ${when(x.t - t0)} the drain began: ${x.what}`).join('; ');
    return fail(MESSAGES.dropped(f.length, obs.loop.sent, shown));
  }
  return pass(MESSAGES.noDrop(obs.loop.sent, p.server));
}

function judgeSessions(obs: DrillObservations, p: DrillParams): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const good: Text[] = [];
  for (const node of nodesOf(obs.haproxyIps)) {
    const run = obs.drain[node];
    const rp = runProblem(run, p.script);
    if (rp || !run) {
      problems.push({ node, msg: rp ?? MESSAGES.noScript(p.script) });
      continue;
    }
    const keys = obs.live[node] ?? [];
    const samples = obs.samples[node] ?? [];
    const printed = readings(run.lines);
    if (printed.length === 0) {
      // A runbook that prints only while it waits (`while [ "$(sessions)" -gt 0 ]`) has nothing to print on a
      // node whose last session ended before its first reading; the drill keeps one in flight on every node
      // when the scripts start, but a short one can end in the moment before.
      if (scurRange(samples, keys, run.start, run.end)?.hi === 0) good.push(t(`${node}: ${MESSAGES.nothingToPrint().en}`, `${node}：${MESSAGES.nothingToPrint().zh}`));
      else problems.push({ node, msg: MESSAGES.noNumbers() });
      continue;
    }
    let bad: Text | null = null;
    // Whether some reading is one the total sessions (stot) cannot explain: a runbook printing stot prints
    // scur's numbers while no session has ended (CI saw 2, 2, 2 … pass on a node whose two sessions were
    // both still open).
    let telling = false;
    let judged = 0;
    for (const x of printed) {
      // A number printed at x.t was read up to 2 s before (a loaded node), but never before the script began.
      const from = Math.max(x.t - 2000, run.start);
      const r = scurRange(samples, keys, from, x.t + 300);
      if (!r) continue;
      judged++;
      if (x.n < r.lo || x.n > r.hi) {
        bad = MESSAGES.wrongNumber(x.n, r.lo, r.hi, `+${((x.t - run.start) / 1000).toFixed(1)} s`);
        break;
      }
      if (!within(x.n, scurRange(samples, keys, from, x.t + 300, 'stot'))) telling = true;
    }
    const drainedAt = samples.find((s) => keys.includes(s.key) && outOfRotation(s))?.t;
    const held = drainedAt === undefined ? null : scurRange(samples, keys, drainedAt, drainedAt + 1500);
    if (!bad && held && held.lo > 0 && Math.max(...printed.map((x) => x.n)) === 0) bad = MESSAGES.onlyZero(held.lo);
    // The drill starts once two sessions have ended on every node (stot is then above scur), so these fail
    // only where that wait ran out or the sampler read nothing: fails, so the check runs the drill again.
    if (!bad && judged === 0) bad = MESSAGES.noSamples();
    if (!bad && !telling) bad = MESSAGES.notTelling(printed.map((x) => x.n).join(', '));
    if (bad) problems.push({ node, msg: bad });
    else good.push(t(`${node}: ${printed.map((x) => x.n).join(', ')}`, `${node}：${printed.map((x) => x.n).join(', ')}`));
  }
  return problems.length ? fail(listSome(perNode(problems))) : pass(MESSAGES.numbers(listSome(good, good.length)));
}

function judgeRestore(obs: DrillObservations, p: DrillParams): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const good: { node: string; msg: Text }[] = [];
  for (const node of nodesOf(obs.haproxyIps)) {
    const keys = obs.live[node] ?? [];
    const name = keys.join(', ') || p.server;
    const forced = obs.forcedOut.includes(node) ? MESSAGES.restoreForced() : t('', '');
    const rp = runProblem(obs.restore[node], p.script);
    const after = obs.afterRestore[node];
    const msg = (x: Text) => ({ node, msg: t(`${x.en}${forced.en}`, `${x.zh}${forced.zh}`) });
    // Only above: a weight below the start's can be slowstart still ramping up, a weight above it cannot.
    const heavier = after?.weights?.find((w) => w.now > w.was);
    if (rp) problems.push(msg(rp));
    else if (keys.length === 0) problems.push(msg(MESSAGES.noLive(p.server)));
    else if (!after || isOut(after.status)) problems.push(msg(MESSAGES.stillOut(name, after?.status ?? '?')));
    else if (after.newSessions <= 0) problems.push(msg(MESSAGES.noTraffic(name, p.restoreWithinMs)));
    else if (heavier) problems.push(msg(MESSAGES.heavier(heavier.key, heavier.now, heavier.was)));
    else if (!obs.loop.viaServerAfterRestore[node]) problems.push(msg(MESSAGES.appNotSeen(p.server)));
    else good.push({ node, msg: MESSAGES.restored(name, after.newSessions) });
  }
  return problems.length ? fail(listSome(perNode(problems))) : pass(listSome(perNode(good)));
}

function judgeMetrics(obs: DrillObservations): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const good: string[] = [];
  for (const node of nodesOf(obs.haproxyIps)) {
    const checks: [Text, MetricRead | undefined, (s: string) => boolean][] = [
      [MESSAGES.during(), obs.metrics.during[node], (s) => isOut(s)],
      [MESSAGES.after(), obs.metrics.after[node], (s) => !isOut(s)],
    ];
    let bad: Text | null = null;
    const seenStates: string[] = [];
    for (const [when, m, ok] of checks) {
      if (!m || m.error) bad ??= MESSAGES.metricError(m?.error ?? '?');
      else if (!m.state) bad ??= MESSAGES.metricMissing();
      else if (m.state !== normState(m.status) || !ok(m.state)) bad ??= MESSAGES.metricWrong(when.en, m.state, m.status);
      else seenStates.push(m.state);
    }
    if (bad) problems.push({ node, msg: bad });
    else good.push(`${node}: ${seenStates.join(' → ')}`);
  }
  return problems.length ? fail(listSome(perNode(problems))) : pass(MESSAGES.metrics(good.join('; ')));
}

export function decide(obs: DrillObservations, p: DrillParams & { judge: Judge }): Outcome {
  if (Object.keys(obs.haproxyIps).length === 0 || obs.serverIps.length === 0) return { ...fail(MESSAGES.noDrill(p.server)), observed: obs };
  const judged =
    p.judge === 'drain'
      ? judgeDrain(obs, p)
      : p.judge === 'no-drop'
        ? judgeNoDrop(obs, p)
        : p.judge === 'sessions'
          ? judgeSessions(obs, p)
          : p.judge === 'restore'
            ? judgeRestore(obs, p)
            : judgeMetrics(obs);
  return { ...judged, observed: obs };
}

// ---------------------------------------------------------------------------------------------------
// The drill

const MS = 'date +%s%3N';

/** Runs the student's script in an HAProxy node, each output line stamped with the time it was read. */
export function scriptCommand(script: string, args: string[], tok: string, timeoutSec: number): string {
  const f = `${WORKSPACE_IN_HAPROXY}/${script}`;
  return [
    `f=${shq(f)}`,
    `[ -f "$f" ] || { echo "@@${tok} NOFILE"; exit 0; }`,
    'run=sh; head -n 1 "$f" | grep -q bash && run=bash',
    `cd ${WORKSPACE_IN_HAPROXY}`,
    `echo "@@${tok} B $(${MS})"`,
    // The exit is stamped where the script ran: a script that prints a lot is read and stamped later.
    `{ timeout ${timeoutSec} $run "$f" ${args.map(shq).join(' ')} 2>&1; rc=$?; echo "@@${tok} RC $rc $(${MS})"; } | while IFS= read -r l || [ -n "$l" ]; do echo "$(${MS}) $l"; done`,
    `echo "@@${tok} E $(${MS})"`,
  ].join('\n');
}

export function parseScriptRun(stdout: string, tok: string, args: string[]): ScriptRun {
  const run: ScriptRun = { args, found: !stdout.includes(`@@${tok} NOFILE`), start: 0, end: 0, exit: null, lines: [] };
  for (const line of stdout.split('\n')) {
    const b = new RegExp(`^@@${tok} ([BE]) (\\d+)`).exec(line);
    if (b) {
      if (b[1] === 'B') run.start = Number(b[2]);
      else run.end = Number(b[2]);
      continue;
    }
    const m = /^(\d{10,}) ?(.*)$/.exec(line);
    if (!m) continue;
    const rc = new RegExp(`^@@${tok} RC (\\d+)(?: (\\d+))?`).exec(m[2]!);
    if (rc) {
      run.exit = Number(rc[1]);
      if (rc[2]) run.exitAt = Number(rc[2]);
    }
    else run.lines.push({ t: Number(m[1]), text: m[2]! });
  }
  return run;
}

/**
 * Bash, for the loops that run the whole drill: the time from $EPOCHREALTIME and the pauses from `read -t`
 * on a FIFO nobody writes, not `date` and `sleep`. A sampler round in sh forked nine processes, ten times a
 * second on each node; in bash it forks one (socat), and a node's sampler costs 0.08 CPU-s a second, not
 * 0.14 (measured in a haproxy node, 20 s each way). The drill's timings matter most on a loaded machine.
 * `nap` falls back to sleep if the FIFO could not be made (a read that fails at once would spin).
 */
function bashClock(fifo: string): string[] {
  return [
    // Digits only: the decimal point of $EPOCHREALTIME follows the locale.
    'ms() { local t=${EPOCHREALTIME//[!0-9]/}; REPLY=${t:0:-3}; }',
    `mkfifo ${fifo} 2>/dev/null && exec 3<>${fifo}; rm -f ${fifo}`,
    'nap() { read -r -t "$1" -u 3 2>/dev/null; [ $? -gt 128 ] || sleep "$1"; }',
  ];
}

/** Servers only (type 4): a smaller answer to make and to scan, ten times a second; the header is the same. */
const SHOW_SERVERS = '@1 show stat -1 4 -1';

/** Ten times a second, the `show stat` rows of servers at the given addresses, until a stop file appears (or maxSec). */
export function samplerScript(dir: string, ips: string[], maxSec: number): string {
  const match = ips.map((ip) => `*,${ip}:*`).join('|');
  return [
    `mkdir -p ${dir}; end=$(( EPOCHSECONDS + ${maxSec} ))`,
    ...bashClock(`${dir}.nap`),
    `socat -t2 - UNIX-CONNECT:${MASTER_SOCKET} <<< '${SHOW_SERVERS}' | head -n 1 | sed 's/^/H /'`,
    `while [ ! -e ${dir}/stop ] && (( EPOCHSECONDS < end )); do`,
    // Stamped when asked and when the answer is in: what a sample saw held at some time between the two.
    `  ms; a=$REPLY; r=$(socat -t2 - UNIX-CONNECT:${MASTER_SOCKET} <<< '${SHOW_SERVERS}'); ms; t=$REPLY`,
    `  while IFS= read -r l; do case $l in ${match}) printf 'S %s %s %s\\n' "$a" "$t" "$l" ;; esac; done <<< "$r"`,
    '  nap 0.1',
    'done',
    `rm -rf ${dir}`,
  ].join('\n');
}

export function parseSamples(stdout: string): Sample[] {
  const lines = stdout.split('\n');
  const header = lines.find((l) => l.startsWith('H # pxname,'));
  if (!header) return [];
  const cols = header.slice(4).split(',');
  const at = (name: string) => cols.indexOf(name);
  const need = Math.max(...['pxname', 'svname', 'status', 'scur', 'stot', 'weight'].map(at));
  const out: Sample[] = [];
  for (const l of lines) {
    const m = /^S (\d+) (?:(\d+) )?(.*)$/.exec(l);
    if (!m) continue;
    const f = m[3]!.split(',');
    // A row cut short (socat gave up on a slow answer) is dropped: every field read must be followed by a
    // comma. (The address the sampler matches comes after them, so such a row rarely gets this far.)
    if (f.length <= need + 1) continue;
    out.push({
      t: Number(m[2] ?? m[1]),
      ...(m[2] ? { asked: Number(m[1]) } : {}),
      key: `${f[at('pxname')]}/${f[at('svname')]}`,
      status: f[at('status')] ?? '',
      scur: Number(f[at('scur')] || 0),
      stot: Number(f[at('stot')] || 0),
      weight: Number(f[at('weight')] || 0),
    });
  }
  return out;
}

/** Samples where something changed (and the last of each server): every judgement reads the same from them. */
export function compactSamples(samples: Sample[]): Sample[] {
  const last = new Map<string, Sample>();
  const out: Sample[] = [];
  samples.forEach((s, i) => {
    const prev = last.get(s.key);
    const isLast = !samples.slice(i + 1).some((x) => x.key === s.key);
    if (!prev || prev.status !== s.status || prev.scur !== s.scur || prev.stot !== s.stot || prev.weight !== s.weight || isLast) out.push(s);
    last.set(s.key, s);
  });
  return out;
}

/** The load: slow and quick workers on new connections until a stop file appears (or maxSec). */
export function loopScript(o: { dir: string; vip: string; host: string; path: string; slowMs: number; by: string; slow: number; quick: number; maxSec: number }): string {
  const base = `http://${o.host}${o.path.replace(/\/$/, '')}`;
  const step = Math.round(o.slowMs / o.slow);
  return [
    `d=${o.dir}; mkdir -p $d; end=$(( EPOCHSECONDS + ${o.maxSec} ))`,
    ...bashClock(`${o.dir}.nap`),
    'w() {',
    '  nap "$3"',
    `  while [ ! -e $d/stop ] && (( EPOCHSECONDS < end )); do`,
    `    ms; s=$REPLY; r=$(curl -s -m 20 --connect-to ::${o.vip}: -H 'Connection: close' "$2&w=$1" -w ' %{http_code}' 2>/dev/null); r=\${r//$'\\n'/}`,
    // A pause after a failure too: with the VIP unreachable, curl fails at once and a slow worker would spin.
    `    ms; echo "$s $REPLY $r" >> $d/$1; [ -n "$4" ] && nap "$4"; case $r in *' 200') ;; *) nap 0.1 ;; esac`,
    '  done',
    '}',
    // Each slow worker starts a little after the one before, spread over slowMs.
    `for i in $(seq 1 ${o.slow}); do w $i ${shq(`${base}/slow?ms=${o.slowMs}&by=${o.by}`)} $(( i * ${step} / 1000 )).$(( i * ${step} % 1000 / 100 )) "" & done`,
    `for i in $(seq 1 ${o.quick}); do w q$i ${shq(`${base}/q?x=1`)} 0 0.2 & done`,
    'wait; cat $d/* 2>/dev/null; rm -rf $d',
  ].join('\n');
}

export interface LoopLine {
  start: number;
  end: number;
  code: string;
  body: string;
}

export function parseLoop(stdout: string): LoopLine[] {
  return stdout
    .split('\n')
    .map((l) => /^(\d+) (\d+) (.*) (\d{3})$/.exec(l.trimEnd()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ start: Number(m[1]), end: Number(m[2]), body: m[3]!, code: m[4]! }));
}

function appOf(body: string): { peer: string | null; realIp: string | null; path: string } | null {
  try {
    const j = JSON.parse(body) as { app?: unknown; peer?: unknown; realIp?: unknown; path?: unknown };
    const str = (x: unknown) => (typeof x === 'string' ? x : null);
    return typeof j.app === 'string' ? { peer: str(j.peer), realIp: str(j.realIp), path: str(j.path) ?? '' } : null;
  } catch {
    return null;
  }
}

async function scrape(ctx: ProbeContext, p: DrillParams, node: string): Promise<{ page: string; error?: string }> {
  const e = ctx.haproxy.find((h) => h.name === node)!;
  const req = { scheme: 'http' as const, host: e.address, port: p.metrics.port, path: p.metrics.path, timeoutMs: 4000 };
  let [r] = await e.http.batch([req]);
  if (r!.status === 401 && p.metrics.credentials) [r] = await e.http.batch([{ ...req, auth: { user: p.metrics.credentials.user, password: p.metrics.credentials.password } }]);
  const res = r as HttpResponse;
  if (!res.ok) return { page: '', error: res.error ?? 'no answer' };
  if (res.status !== 200) return { page: '', error: `HTTP ${res.status} on :${p.metrics.port}${p.metrics.path}` };
  return { page: res.body };
}

async function readMetrics(ctx: ProbeContext, p: DrillParams, obs: DrillObservations): Promise<Record<string, MetricRead>> {
  const lab = ctx.lab!;
  const rows = await nodeServers(lab);
  const out: Record<string, MetricRead> = {};
  await Promise.all(
    lab.haproxy.map(async (h) => {
      const key = obs.live[h.node]?.[0];
      const row = key ? rows[h.node]?.[key] : undefined;
      const { page, error } = await scrape(ctx, p, h.node);
      out[h.node] = { state: row && page ? prometheusServerState(page, row.pxname, row.svname) : null, status: row?.status ?? '', ...(error ? { error } : {}) };
    }),
  );
  return out;
}

async function waitNginx(lab: LabHandle, container: string, ip: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const r = await lab.runtime
      .exec(lab.haproxy[0]!.container, ['curl', '-s', '-o', '/dev/null', '-m', '2', '-w', '%{http_code}', `http://${ip}:10080/health`], { timeoutMs: 5000 })
      .catch(() => undefined);
    if (r?.stdout === '200') return;
    const info = await lab.runtime.inspectContainer(container);
    if (info && info.state !== 'running') await lab.runtime.startContainer(container).catch(() => undefined);
    await sleep(300);
  }
}

export async function runDrill(ctx: ProbeContext, p: DrillParams): Promise<DrillObservations> {
  const lab = ctx.lab!;
  const host = p.host ?? ctx.domains[0]!;
  const nginx = lab.nginx.find((n) => n.node === p.server);
  const tok = token();
  const dir = `/tmp/lab-drill-${tok}`;
  const maxSec = 150;
  const serverIps = nginx ? await addressesOf(lab, nginx.container) : [];
  const haproxyIps = Object.fromEntries(await Promise.all(lab.haproxy.map(async (h) => [h.node, await addressesOf(lab, h.container)] as const)));
  const obs: DrillObservations = {
    server: p.server,
    serverIps,
    haproxyIps,
    initial: {},
    live: {},
    drain: {},
    atReturn: {},
    forcedOut: [],
    maintenance: { stopped: false },
    restore: {},
    afterRestore: {},
    samples: {},
    loop: { sent: 0, failures: [], viaServerAfterRestore: {} },
    metrics: { during: {}, after: {} },
    reset: [],
    cleanup: [],
  };
  if (!nginx || serverIps.length === 0 || lab.haproxy.length === 0) return obs;
  // Samples and runs are stamped by the engine's clock, the maintenance by lab's: one reading to relate
  // them (an engine on another machine may be off by more than the drain judge's 0.8 s).
  const asked = Date.now();
  const engineNow = Number((await lab.runtime.exec(lab.haproxy[0]!.container, ['date', '+%s%3N'], { timeoutMs: 5000 }).catch(() => undefined))?.stdout.trim());
  const answered = Date.now();
  if (Number.isFinite(engineNow) && engineNow > 0) {
    obs.clockOffsetMs = Math.round(engineNow - (asked + answered) / 2);
    obs.clockErrorMs = Math.ceil((answered - asked) / 2);
  }
  const atTarget = (r: NodeServer) => serverIps.includes(r.addr.replace(/:\d+$/, ''));
  // A server left out by hand (trying the runbook before grading) goes back in rotation first.
  for (const [node, rows] of Object.entries(await nodeServers(lab))) {
    for (const r of Object.values(rows).filter((x) => atTarget(x) && (isOut(x.status) || x.weight === 0))) {
      const c = lab.haproxy.find((h) => h.node === node)!.container;
      for (const cmd of [`set server ${r.key} state ready`, `set weight ${r.key} 100%`]) {
        await masterCommand(lab, c, cmd);
        obs.reset.push(`${node}: ${cmd}`);
      }
    }
  }
  // One node, at random, holds the slow requests longer: a runbook must watch the count to be on time on
  // every node (the app reads the node from X-Real-IP, which Nginx sets to the HAProxy node's address).
  // The holds are drawn too (long: 0.9–1.4 × longSlowMs, short: 0.6–1.2 × slowMs), so no sleep or pair of
  // readings at fixed times fits them; reading the count every few seconds does. The shortest long hold
  // (7.2 s at the defaults) outlasts the longest short one (3 s) by more than promptMs (3 s) and the 0.8 s
  // a reading may come late: at 0.6 (4.8 s), one fixed sleep of about 4.5 s fitted both nodes about one
  // drill in twenty-five (found by a hostile review).
  const longNode = lab.haproxy[Math.floor(Math.random() * lab.haproxy.length)]!.node;
  const draw = (ms: number, lo: number, hi: number) => Math.round(ms * (lo + Math.random() * (hi - lo)));
  const holds = Object.fromEntries(lab.haproxy.map((h) => [h.node, h.node === longNode ? draw(p.longSlowMs, 0.9, 1.4) : draw(p.slowMs, 0.6, 1.2)]));
  obs.holds = holds;
  const by = lab.haproxy.flatMap((h) => (haproxyIps[h.node] ?? []).map((ip) => `${ip}:${holds[h.node]}`)).join(',');
  const start = await nodeServers(lab);
  for (const [node, rows] of Object.entries(start)) obs.initial[node] = Object.fromEntries(Object.values(rows).filter(atTarget).map((r) => [r.key, r.status]));
  const loop = lab.runtime
    .exec(lab.client, ['bash', '-s'], {
      stdin: loopScript({ dir, vip: ctx.edgeAddress, host, path: p.path, slowMs: p.slowMs, by, slow: p.slowWorkers, quick: p.quickWorkers, maxSec }),
      timeoutMs: (maxSec + 40) * 1000,
    })
    .catch(() => ({ stdout: '', stderr: '', exitCode: -1 }));
  const samplers = lab.haproxy.map((h) =>
    lab.runtime.exec(h.container, ['bash', '-s'], { stdin: samplerScript(dir, serverIps, maxSec), timeoutMs: (maxSec + 20) * 1000 }).catch(() => ({ stdout: '', stderr: '', exitCode: -1 })),
  );
  const runScript = async (args: string[]) => {
    const out: Record<string, ScriptRun> = {};
    await Promise.all(
      lab.haproxy.map(async (h) => {
        const cmd = scriptCommand(p.script, args, tok, Math.ceil(p.scriptTimeoutMs / 1000));
        const r = await lab.runtime.exec(h.container, ['sh', '-c', cmd], { timeoutMs: p.scriptTimeoutMs + 10_000 }).catch((e: Error) => ({ stdout: '', stderr: e.message, exitCode: -1 }));
        out[h.node] = parseScriptRun(r.stdout, tok, args);
      }),
    );
    return out;
  };
  try {
    // 1. Warm up: the load reaches the server on every node, with `warmSessions` in flight (so a runbook that
    //    does not wait is caught), and the long node's server took a slow request since the last read: its
    //    whole hold lies ahead, so a fixed wait long enough there is late on the other nodes. And sessions
    //    have ended on every node, so the total sessions differ from the current ones (judge `sessions`).
    const warmDeadline = Date.now() + 15_000;
    let longScur: number | undefined;
    for (;;) {
      await sleep(400);
      const now = await nodeServers(lab);
      for (const [node, rows] of Object.entries(now)) {
        obs.live[node] = Object.values(rows).filter((r) => atTarget(r) && r.stot > (start[node]?.[r.key]?.stot ?? 0)).map((r) => r.key);
      }
      const sum = (node: string, f: (r: NodeServer) => number) =>
        (obs.live[node] ?? []).map((k) => now[node]?.[k]).reduce((a, r) => a + (r ? f(r) : 0), 0);
      // In flight, and sessions ended already (stot - scur, which only grows): until one has, the total
      // equals the current count, and a runbook printing the total prints the right numbers. Two, so that
      // one new session between the script's start and its drain cannot make a reading match both.
      const busy = Object.keys(now).every((node) => sum(node, (r) => r.scur) >= p.warmSessions && sum(node, (r) => r.stot - r.scur) >= 2);
      // Current sessions, not the total: the quick requests add to the total as often, but they end at once.
      const scur = sum(longNode, (r) => r.scur);
      obs.freshBeforeDrain = longScur !== undefined && scur > longScur;
      longScur = scur;
      obs.warmed = busy && obs.freshBeforeDrain;
      if (obs.warmed || Date.now() > warmDeadline) break;
    }
    // 2. The drain, on every node at once.
    obs.drain = await runScript(p.drainArgs);
    const returned = await nodeServers(lab);
    for (const h of lab.haproxy) {
      const keys = obs.live[h.node] ?? [];
      obs.atReturn[h.node] = Object.fromEntries(keys.map((k) => [k, { status: returned[h.node]?.[k]?.status ?? '', scur: returned[h.node]?.[k]?.scur ?? 0 }]));
    }
    // 3. The maintenance, as soon as the runbook says it is done: Nginx stopped and started again.
    const clean = Object.values(obs.drain).every((r) => r.found && r.exit === 0);
    if (clean) {
      // A node that still sends the server requests must have one in flight when Nginx stops: otherwise a
      // runbook that skipped that node would pass no-drop by luck (18 slow workers over two nodes and three
      // servers leave a node with none on the server about one time in twenty). Out everywhere: no wait.
      const exposedUntil = Date.now() + Math.max(...Object.values(holds)) + 1000;
      for (;;) {
        const rows = await nodeServers(lab);
        const routed = lab.haproxy.flatMap((h) =>
          (obs.live[h.node] ?? []).flatMap((k) => {
            const r = rows[h.node]?.[k];
            return r !== undefined && !isOut(r.status) && !/^DOWN/.test(r.status) && r.weight !== 0 ? [{ node: h.node, key: k, r }] : [];
          }),
        );
        obs.maintenance.inRotation = routed.map((x) => `${x.node}: ${x.key} (${normState(x.r.status)})`);
        if (!routed.some((x) => x.r.scur === 0) || Date.now() > exposedUntil) break;
        await sleep(100);
      }
      obs.maintenance.at = Date.now();
      await lab.runtime.stopContainer(nginx.container, 1);
      obs.maintenance.stopped = true;
      await sleep(800);
      await lab.runtime.startContainer(nginx.container);
      await waitNginx(lab, nginx.container, serverIps[0]!);
      obs.maintenance.back = Date.now();
      // Where health checks still run (a drain without maintenance), let them see the server back first.
      for (const until = Date.now() + 10_000; Date.now() < until; await sleep(500)) {
        const rows = await nodeServers(lab);
        if (lab.haproxy.every((h) => (obs.live[h.node] ?? []).every((k) => !/^DOWN/.test(rows[h.node]?.[k]?.status ?? '')))) break;
      }
    } else obs.maintenance.skipped = 'the drain did not finish cleanly';
    // Out of rotation everywhere (lab's own hand where the drain did not), so the restore and the exporter are graded on their own.
    const now = await nodeServers(lab);
    for (const h of lab.haproxy) {
      const keys = (obs.live[h.node] ?? []).filter((k) => !isOut(now[h.node]?.[k]?.status ?? ''));
      for (const k of keys) await masterCommand(lab, h.container, `set server ${k} state maint`);
      if (keys.length) obs.forcedOut.push(h.node);
    }
    obs.metrics.during = await readMetrics(ctx, p, obs);
    // 4. The restore, on every node at once; then every node must send the server new requests.
    const before = await nodeServers(lab);
    obs.restore = await runScript(p.restoreArgs);
    // A restore that failed everywhere is not waited for.
    const ran = Object.values(obs.restore).some((r) => r.found && r.exit === 0);
    const deadline = Date.now() + (ran ? p.restoreWithinMs : 0);
    for (;;) {
      const rows = await nodeServers(lab);
      for (const h of lab.haproxy) {
        const keys = obs.live[h.node] ?? [];
        const added = keys.reduce((a, k) => a + (rows[h.node]?.[k]?.stot ?? 0) - (before[h.node]?.[k]?.stot ?? 0), 0);
        // The weights too: `set weight … 100` (absolute, where `100%` was meant) takes the server back with
        // 100 times its share, and the cleanup below would set it right without a word.
        const weights = keys.flatMap((k) => {
          const now = rows[h.node]?.[k]?.weight;
          const was = start[h.node]?.[k]?.weight;
          return now === undefined || was === undefined ? [] : [{ key: k, now, was }];
        });
        obs.afterRestore[h.node] = { status: keys.map((k) => rows[h.node]?.[k]?.status ?? '?').join(', '), newSessions: added, weights };
      }
      if (Object.values(obs.afterRestore).every((x) => x.newSessions > 0) || Date.now() > deadline) break;
      await sleep(500);
    }
  } finally {
    // 5. Stop the load and the samplers, put back whatever the drill changed, read the exporter again.
    await lab.runtime.exec(lab.client, ['sh', '-c', `mkdir -p ${dir} && touch ${dir}/stop`], { timeoutMs: 5000 }).catch(() => undefined);
    await Promise.all(lab.haproxy.map((h) => lab.runtime.exec(h.container, ['sh', '-c', `touch ${dir}/stop`], { timeoutMs: 5000 }).catch(() => undefined)));
    const [l, ...s] = await Promise.all([loop, ...samplers]);
    lab.haproxy.forEach((h, i) => (obs.samples[h.node] = compactSamples(parseSamples(s[i]!.stdout))));
    const restoreEnd = Math.max(0, ...Object.values(obs.restore).map((r) => r.end));
    const lines = parseLoop(l.stdout);
    obs.loop.sent = lines.length;
    obs.loop.slowHeld = {};
    for (const x of lines) {
      const app = appOf(x.body);
      const what = x.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80) || 'no answer';
      const via = app ? Object.entries(haproxyIps).find(([, ips]) => app.realIp && ips.includes(app.realIp))?.[0] : undefined;
      if (x.code !== '200' || !app) obs.loop.failures.push({ t: x.start, end: x.end, code: x.code, what });
      else if (restoreEnd && x.start >= restoreEnd && app.peer && serverIps.includes(app.peer)) {
        if (via) obs.loop.viaServerAfterRestore[via] = (obs.loop.viaServerAfterRestore[via] ?? 0) + 1;
      }
      // Whether the app really held the slow requests as the drill asked (an app or a config that drops
      // `by=` would leave every node the same hold, and a fixed sleep could pass).
      if (via && app && /\/slow\?/.test(app.path)) obs.loop.slowHeld[via] = Math.max(obs.loop.slowHeld[via] ?? 0, x.end - x.start);
    }
    const info = await lab.runtime.inspectContainer(nginx.container).catch(() => undefined);
    if (info?.state === 'paused') await lab.runtime.unpauseContainer(nginx.container).catch(() => undefined);
    else if (info && info.state !== 'running') await lab.runtime.startContainer(nginx.container).catch(() => undefined);
    const end = await nodeServers(lab).catch(() => ({}) as Record<string, Record<string, NodeServer>>);
    for (const h of lab.haproxy) {
      for (const row of Object.values(end[h.node] ?? {})) {
        const was = start[h.node]?.[row.key];
        if (!was) continue;
        const cmds: string[] = [];
        if (isOut(row.status) && !isOut(was.status)) cmds.push(`set server ${row.key} state ready`);
        if (row.weight !== was.weight && was.weight > 0) cmds.push(`set weight ${row.key} ${was.weight}`);
        for (const c of cmds) {
          await masterCommand(lab, h.container, c).catch(() => undefined);
          obs.cleanup.push(`${h.node}: ${c}`);
        }
      }
    }
    obs.metrics.after = await readMetrics(ctx, p, obs).catch(() => ({}));
  }
  return obs;
}

export const runbookDrill = defineProbe<Params, DrillObservations>({
  kind: 'runbook-drill',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  observe(ctx, p) {
    const { kind: _k, judge: _j, ...drill } = p;
    return ctx.shared(`runbook-drill ${JSON.stringify(drill)}`, () => runDrill(ctx, drill));
  },
  decide: (o, p) => {
    const { kind: _k, judge, ...drill } = p;
    return decide(o, { ...drill, judge });
  },
});
