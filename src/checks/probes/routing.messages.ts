// Messages of domain-routing and default-backend.
import type { Text } from '../types.js';
import { t } from '../types.js';

export const M = {
  noneReached: (S: string, n: number, why: Text) =>
    t(`${S}: none of the ${n} domains reached a backend (${why.en})`, `${S}：${n} 个域名都没有到达任何 backend（${why.zh}）`),
  oneLost: (S: string, d: string, why: Text) => t(`${S} ${d}: reached no backend (${why.en})`, `${S} ${d}：没有到达任何 backend（${why.zh}）`),
  shared: (S: string, ds: string[], b: string) => t(`${S}: ${ds.join(', ')} all went to backend ${b}`, `${S}：${ds.join('、')} 都被送到了 backend ${b}`),
  disagree: (d: string, a: string, b: string) => t(`${d}: HTTP went to backend ${a} but HTTPS to ${b}`, `${d}：HTTP 被送到 backend ${a}，HTTPS 却被送到 ${b}`),
  notTerminated: (sessions: number, conns: number) =>
    t(
      `HTTPS reached the backends, but HAProxy's frontends established ${sessions} TLS sessions for ${conns} HTTPS connections: ` +
        'HAProxy did not terminate TLS (a `mode tcp` pass-through?)',
      `HTTPS 请求到达了 backend，但 ${conns} 个 HTTPS 连接只让 HAProxy 的 frontend 建立了 ${sessions} 个 TLS 会话：` + 'TLS 不是由 HAProxy 终止的（`mode tcp` 透传？）',
    ),
  expected: (n: number, list: Text) =>
    t(`expected ${n} domains on ${n} distinct backends; ${list.en}`, `应为 ${n} 个域名对应 ${n} 个不同的 backend；${list.zh}`),
  routed: (schemes: string, n: number, map: string, via: string) =>
    t(`${schemes}: ${n} domains reach ${n} distinct backends (${map})${via}`, `${schemes}：${n} 个域名到达 ${n} 个不同的 backend（${map}）${via}`),
  viaRedirect: (n: number) => t(` — HTTP by redirect to HTTPS for ${n}`, ` —— 其中 ${n} 个 HTTP 经重定向到 HTTPS`),

  backendOf: (b: string) => t(`backend ${b}`, `backend ${b}`),
  noBackend: (why: Text) => t(`no backend (${why.en})`, `没有 backend（${why.zh}）`),
  unknownNoBackend: (S: string, got: Text, fe: string) =>
    t(`${S}: an unknown Host got ${got.en}${fe}; expected a fallback backend`, `${S}：未知 Host 的结果是${got.zh}${fe}；应有兜底的 backend`),
  unknownNoPage: (S: string, b: string, s: Text) =>
    t(`${S}: an unknown Host reached backend ${b}, but got ${s.en}`, `${S}：未知 Host 到达了 backend ${b}，但结果是${s.zh}`),
  unknownDisagree: (a: string, b: string) =>
    t(`an unknown Host goes to backend ${a} over HTTP but to ${b} over HTTPS`, `未知 Host 的 HTTP 请求去了 backend ${a}，HTTPS 却去了 ${b}`),
  cfgSays: (fe: string, b: string | undefined) =>
    b ? t(` (${fe} says default_backend ${b})`, `（${fe} 的 default_backend 是 ${b}）`) : t(` (${fe} has no default_backend line)`, `（${fe} 没有 default_backend 行）`),
  fallbackOk: (what: string, cfg: Text) =>
    t(`an unknown Host lands on a fallback backend (${what})${cfg.en}`, `未知 Host 落到兜底的 backend（${what}）${cfg.zh}`),
};
