// Helpers the probes share: reading the app's JSON answer and describing a response for a learner.
import type { HttpResponse, Scheme } from '../http.js';
import type { Text, Outcome, ProbeContext } from '../types.js';
import { t } from '../types.js';
import { plainTlsReason } from '../tls.js';

export interface AppAnswer {
  app: string;
  host: string | null;
  path: string;
  proto: string | null;
  xff: string | null;
  realIp: string | null;
  /** The address the app saw the request come from (the Nginx that proxied it). */
  peer?: string | null;
}

/** The lab app's JSON, or undefined when the answer came from somewhere else (Nginx, HAProxy). */
export function appAnswer(r: HttpResponse): AppAnswer | undefined {
  if (!r.ok || r.status !== 200) return undefined;
  try {
    const j = JSON.parse(r.body) as Partial<AppAnswer>;
    return typeof j.app === 'string' && 'host' in j ? (j as AppAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** An HTTP answer as the grader keeps it: what a decision needs, small enough to record and replay. */
export interface Brief {
  ok: boolean;
  status: number;
  errorCode?: HttpResponse['errorCode'];
  error?: string;
  redirects: number;
  finalUrl?: string;
  server?: string;
  location?: string;
  /** The app's JSON answer; null when the answer came from elsewhere. */
  app: AppAnswer | null;
  /** This side's address of the connection (--target: the address HAProxy sees). */
  local?: string;
}

export function brief(r: HttpResponse): Brief {
  const b: Brief = { ok: r.ok, status: r.status, redirects: r.redirects, app: appAnswer(r) ?? null };
  if (r.errorCode) b.errorCode = r.errorCode;
  if (r.error) b.error = r.error;
  if (r.finalUrl) b.finalUrl = r.finalUrl;
  if (r.headers.server) b.server = r.headers.server;
  if (r.headers.location) b.location = r.headers.location;
  if (r.localAddress) b.local = r.localAddress;
  return b;
}

/** What came back, in a few words: "connection refused", "301 → https://…", "404 from nginx/1.22.1". */
export function seen(r: Brief): Text {
  if (!r.ok) {
    switch (r.errorCode) {
      case 'refused':
        return t('connection refused (nothing listens there)', '连接被拒绝（该端口没有服务监听）');
      case 'timeout':
        return t('no answer in time', '超时无响应');
      case 'tls': {
        const plain = plainTlsReason(r.error ?? '');
        return plain ? t(`TLS handshake failed: ${plain.en}`, `TLS 握手失败：${plain.zh}`) : t(`TLS handshake failed (${r.error ?? ''})`, `TLS 握手失败（${r.error ?? ''}）`);
      }
      case 'source':
        return t(
          'not sent: the sender does not hold that source address (a lab from before it had one: `lab up`; removed by hand: `lab down`, `lab up`)',
          '未发出：发送方没有该源地址（实验环境早于此功能：运行 `lab up`；被手工删除：`lab down` 后 `lab up`）',
        );
      case 'too-many-redirects':
        return t(`a redirect loop (${r.redirects} redirects, last ${r.finalUrl})`, `重定向循环（已跳转 ${r.redirects} 次，最后到 ${r.finalUrl}）`);
      default:
        return t(r.error ?? 'no answer', r.error ?? '无响应');
    }
  }
  const server = r.server ? ` from ${r.server}` : '';
  const serverZh = r.server ? `（来自 ${r.server}）` : '';
  if (r.status >= 300 && r.status < 400) {
    return t(`${r.status} redirect to ${r.location ?? '?'}${server}`, `${r.status} 重定向到 ${r.location ?? '?'}${serverZh}`);
  }
  if (r.status === 200 && !r.app) return t(`200${server}, but not the app's answer`, `200${serverZh}，但不是应用的应答`);
  return t(`${r.status}${server}`, `${r.status}${serverZh}`);
}

/** Joins up to `max` items and says how many more there were. */
export function listSome(items: Text[], max = 3): Text {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  return t(
    shown.map((s) => s.en).join('; ') + (more > 0 ? `; and ${more} more` : ''),
    shown.map((s) => s.zh).join('；') + (more > 0 ? `；另有 ${more} 项` : ''),
  );
}

export const pass = (message: Text): Outcome => ({ status: 'pass', message });
export const fail = (message: Text, hint?: Text): Outcome => ({ status: 'fail', message, hint });
export const skip = (message: Text): Outcome => ({ status: 'skip', message });

export function portOf(ctx: ProbeContext, scheme: Scheme): number {
  return scheme === 'http' ? ctx.ports.http : ctx.ports.https;
}

export interface SweepItem {
  domain: string;
  scheme: Scheme;
  url: string;
  res: Brief;
}

/** Answers the routing rounds got this run, by `${scheme} ${host} ${path}` (see probes/routing.ts). */
export const EDGE_ANSWERS = 'edge answers';

export function edgeKey(scheme: Scheme, host: string, path: string): string {
  return `${scheme} ${host} ${path}`;
}

/**
 * One GET per domain and scheme through the edge, following up to 10 redirects. Shared by the probes
 * of one attempt (domains-answer, forwarded-*, no-redirect-loop) so the seven domains are asked once.
 * A first attempt reuses the routing rounds' answers when none of them was a redirect.
 */
export function sweep(ctx: ProbeContext, domains: string[], path: string): Promise<SweepItem[]> {
  const schemes: Scheme[] = ['http', 'https'];
  return ctx.shared(`sweep ${path} ${domains.join(',')}`, async () => {
    const known = ctx.scratch.get(EDGE_ANSWERS) as Map<string, Brief> | undefined;
    if (ctx.attempt === 0 && known) {
      const items = domains.flatMap((domain) => schemes.map((scheme) => ({ domain, scheme, url: `${scheme}://${domain}${path}`, res: known.get(edgeKey(scheme, domain, path))! })));
      if (items.every((i) => i.res && i.res.ok && (i.res.status < 300 || i.res.status > 399))) return items;
    }
    const reqs = domains.flatMap((domain) => schemes.map((scheme) => ({ scheme, host: domain, port: portOf(ctx, scheme), path, maxRedirects: 10, timeoutMs: 3000 })));
    const res = await ctx.edge.batch(reqs);
    return reqs.map((r, i) => ({ domain: r.host, scheme: r.scheme, url: `${r.scheme}://${r.host}${path}`, res: brief(res[i]!) }));
  });
}

export function domainsOf(ctx: ProbeContext, p: { domains?: string[] }): string[] {
  return p.domains ?? ctx.domains;
}

/** "haproxy1 and haproxy2: <same problem>": one line per distinct problem, naming every node that has it. */
export function perNode(items: { node: string; msg: Text }[], sep = ': '): Text[] {
  const groups = new Map<string, { nodes: string[]; msg: Text }>();
  for (const i of items) {
    const g = groups.get(i.msg.en) ?? { nodes: [], msg: i.msg };
    g.nodes.push(i.node);
    groups.set(i.msg.en, g);
  }
  return [...groups.values()].map((g) => {
    const nodes = [...g.nodes].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return t(`${nodes.join(' and ')}${sep}${g.msg.en}`, `${nodes.join(' 和 ')}${sep === ': ' ? '：' : sep}${g.msg.zh}`);
  });
}
