// exp8 (tutorial 5.1.8): `balance rdp-cookie(mstshash)` in mode tcp. The grader crafts RDP Connection
// Requests (TPKT + X.224 CR carrying `Cookie: mstshash=<user>\r\n`, then an RDP_NEG_REQ) in the client
// container and sends each on its own connection to VIP:port, `delayMs` after connecting, as a client on
// a real network would: HAProxy must wait for those bytes (`tcp-request inspect-delay` with a content
// rule) or it balances before the cookie arrives. `cookies` random users, `repeat` connections each;
// HAProxy's per-server counters (both nodes) are read between users: one user → one server, users spread.
import { defineProbe } from './define.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { Disturbed, measureAgain, NEEDS_SERVER_COUNTERS } from './lb-distribution.js';
import { token } from './node-ops.js';
import { connectionsBySize, serverRows } from './server-counters.js';
import { fail, pass } from './util.js';
import { runClientScript } from '../client-script.js';

type Params = ProbeOf<'rdp-cookie'>;

export interface RdpObservations {
  port: number;
  repeat: number;
  /** Per user: per-server session deltas (backend/server → count) while its connections were made, and how many got bytes back. */
  rounds: { user: string; deltas: Record<string, number>; answered: number }[];
}

export const MESSAGES = {
  noServer: (port: number, n: number) =>
    t(`${n} RDP connection requests to port ${port}: no backend server counted any (is a mode tcp listener bound to :${port}?)`,
      `向 ${port} 端口发出 ${n} 个 RDP 连接请求：没有任何 backend 的 server 统计到（是否有 mode tcp 的监听绑定在 :${port}？）`),
  lost: (user: string, got: number, n: number) =>
    t(`only ${got} of ${n} connections for user ${user} reached a server`, `用户 ${user} 的 ${n} 个连接中只有 ${got} 个到达了 server`),
  split: (list: string) => t(`the connections reached several backends (${list})`, `这些连接到达了多个 backend（${list}）`),
  notSticky: (n: number, total: number, ex: string) =>
    t(`connections with the same mstshash cookie should reach one server, but ${n} of ${total} users were spread (e.g. ${ex})`,
      `带同一个 mstshash cookie 的连接应到达同一个 server，但 ${total} 个用户中有 ${n} 个被分散了（例如 ${ex}）`),
  waitHint: () =>
    t('HAProxy chooses a server as soon as a connection arrives unless `tcp-request inspect-delay` lets it wait for the first bytes, ' +
        'and a `tcp-request content accept` rule says when enough has arrived; the grader sends the Connection Request 0.3 s after connecting.',
      'HAProxy 默认在连接到达时立即选择 server；需要 `tcp-request inspect-delay` 让它等待最初的数据，并用 `tcp-request content accept` 规则说明何时数据已足够；评分客户端在连接建立 0.3 秒后才发送连接请求。'),
  oneServer: (total: number, server: string) =>
    t(`each user stayed on one server, but all ${total} users went to ${server}: the hash does not look at the cookie`,
      `每个用户都固定在一个 server，但 ${total} 个用户全都到了 ${server}：哈希并没有看 cookie`),
  passed: (total: number, repeat: number, used: number, port: number) =>
    t(`${total} users, ${repeat} RDP connections each to port ${port}: each user stayed on one server, together they used ${used}`,
      `${total} 个用户各向 ${port} 端口发起 ${repeat} 个 RDP 连接：每个用户都固定在同一个 server，合起来用到了 ${used} 个`),
};

export function decide(obs: RdpObservations): Outcome {
  const out = (o: Outcome, hint?: ReturnType<typeof t>): Outcome => ({ ...o, observed: obs, ...(hint ? { hint } : {}) });
  const sum = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
  const all = obs.rounds.reduce((a, r) => a + sum(r.deltas), 0);
  if (all === 0) return out(fail(MESSAGES.noServer(obs.port, obs.rounds.length * obs.repeat)));
  const short = obs.rounds.find((r) => sum(r.deltas) < obs.repeat);
  if (short) return out(fail(MESSAGES.lost(short.user, sum(short.deltas), obs.repeat)));
  const backends = [...new Set(obs.rounds.flatMap((r) => Object.keys(r.deltas).map((k) => k.slice(0, k.lastIndexOf('/')))))];
  if (backends.length > 1) return out(fail(MESSAGES.split(backends.join(', '))));
  const spread = obs.rounds.filter((r) => Object.values(r.deltas).filter((v) => v > 0).length > 1);
  if (spread.length) {
    const ex = spread[0]!;
    const where = Object.entries(ex.deltas).map(([k, v]) => `${k}: ${v}`).join(', ');
    return out(fail(MESSAGES.notSticky(spread.length, obs.rounds.length, `${ex.user} → ${where}`)), MESSAGES.waitHint());
  }
  const used = new Set(obs.rounds.map((r) => Object.keys(r.deltas).find((k) => r.deltas[k]! > 0)!));
  if (used.size < 2) return out(fail(MESSAGES.oneServer(obs.rounds.length, [...used][0]!)));
  return out(pass(MESSAGES.passed(obs.rounds.length, obs.repeat, used.size, obs.port)));
}

/** An RDP Connection Request carrying `Cookie: <name>=<user>`. */
function rdpRequestBytes(cookie: string, user: string): number[] {
  const line = Buffer.from(`Cookie: ${cookie}=${user}\r\n`, 'latin1');
  const neg = [0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00];
  const len = 4 + 7 + line.length + neg.length;
  return [0x03, 0x00, len >> 8, len & 0xff, len - 5, 0xe0, 0, 0, 0, 0, 0, ...line, ...neg];
}

/** Its length: what one probe connection sends through a server. */
export const requestBytes = (cookie: string, user: string) => rdpRequestBytes(cookie, user).length;

/** Its bytes as printf octal escapes (POSIX sh). */
export function rdpRequest(cookie: string, user: string): string {
  return rdpRequestBytes(cookie, user).map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
}

async function observe(ctx: Parameters<ProbeImpl<Params>['run']>[0], p: Params): Promise<RdpObservations> {
  const lab = ctx.lab!;
  const users = Array.from({ length: p.cookies }, () => `lab${token()}`);
  const rounds: RdpObservations['rounds'] = [];
  const delay = (p.delayMs / 1000).toFixed(2);
  let snap = await serverRows(lab);
  for (const user of users) {
    const one = `(sleep ${delay}; printf '${rdpRequest(p.cookie, user)}'; sleep 1) | socat -t2 - TCP:${ctx.edgeAddress}:${p.port},connect-timeout=3 2>/dev/null | head -c 1 | wc -c`;
    const script = `for i in $(seq 1 ${p.repeat}); do ( ${one} ) & done; wait\n`;
    const r = await runClientScript(lab.runtime, lab.client, script, 15_000);
    const next = await serverRows(lab);
    // Counted by bytes, not sessions: each probe connection sends exactly one Connection Request, while
    // the directors' health checks open sessions on this listener that carry nothing.
    const d = connectionsBySize(snap, next, requestBytes(p.cookie, user));
    snap = next;
    if ([...d.values()].some((x) => x < 0)) throw new Disturbed('counters went down (a reload)');
    const deltas = Object.fromEntries([...d.entries()].filter(([, v]) => v > 0));
    if (Object.values(deltas).reduce((a, b) => a + b, 0) > p.repeat + 1) throw new Disturbed('other traffic');
    rounds.push({ user, deltas, answered: r.stdout.split('\n').filter((x) => x.trim() === '1').length });
    // Nothing listens, or nothing reaches a server: more users would only say the same.
    if (Object.keys(deltas).length === 0 && rounds[rounds.length - 1]!.answered === 0) break;
  }
  return { port: p.port, repeat: p.repeat, rounds };
}

export const rdpCookie = defineProbe<Params, RdpObservations>({
  kind: 'rdp-cookie',
  needs: 'lab',
  traffic: 'exclusive',
  skipReason: NEEDS_SERVER_COUNTERS,
  observe: (ctx, p) => measureAgain(() => observe(ctx, p)),
  decide: (o) => decide(o),
});
