// Messages of the edge probes (domains-answer, no-redirect-loop, tls-sni, forwarded-proto, forwarded-for).
import type { Text } from '../types.js';
import { t } from '../types.js';

const S = (schemes: string[], sep: string) => schemes.map((x) => x.toUpperCase()).join(sep);

export const M = {
  notApp: (url: string, s: Text) => t(`${url}: expected the app's answer, saw ${s.en}`, `${url}：应由应用应答，实际为${s.zh}`),
  wrongHost: (url: string, got: string | null, want: string) =>
    t(`${url}: the app was asked for Host "${got}", expected "${want}"`, `${url}：应用收到的 Host 是 "${got}"，应为 "${want}"`),
  someWrong: (bad: number, all: number, list: Text) =>
    t(`${bad} of ${all} requests went wrong: ${list.en}`, `${all} 个请求中有 ${bad} 个不对：${list.zh}`),
  allAnswer: (schemes: string[], n: number) =>
    t(
      `${S(schemes, ' and ')} for all ${n} domains answer from the app with the right Host`,
      `${n} 个域名的 ${S(schemes, ' 和 ')} 请求都由应用应答，Host 正确`,
    ),

  loop: (url: string, n: number, last: string) =>
    t(`${url}: ${n}+ redirects and still no page, last ${last}`, `${url}：跳转 ${n} 次以上仍没有页面，最后到 ${last}`),
  noPage: (url: string, max: number, s: Text) =>
    t(`${url}: expected a page (2xx) after at most ${max} redirects, saw ${s.en}`, `${url}：应在 ${max} 次跳转内得到页面（2xx），实际为${s.zh}`),
  noLoop: (most: number) =>
    t(`every domain ends at a page (at most ${most} redirect${most === 1 ? '' : 's'})`, `每个域名都能到达页面（最多跳转 ${most} 次）`),

  caUnknown: t('the lab CA is unknown, so the chain cannot be checked (give --ca FILE)', '不知道实验 CA，无法校验证书链（请用 --ca FILE 指定）'),
  noCert: (sni: string, why: string) => t(`${sni}: no certificate (${why})`, `${sni}：没有拿到证书（${why}）`),
  otherCert: (sni: string, names: string) => t(`SNI ${sni}: got the certificate for ${names}`, `SNI ${sni}：拿到的是 ${names} 的证书`),
  notLabCa: (sni: string, issuer: string) =>
    t(`SNI ${sni}: the certificate (issuer ${issuer}) does not chain to the lab CA`, `SNI ${sni}：证书（签发者 ${issuer}）不是由实验 CA 签发的`),
  expired: (sni: string, from: string, to: string) => t(`SNI ${sni}: the certificate is not valid now (${from} – ${to})`, `SNI ${sni}：证书不在有效期内（${from} – ${to}）`),
  notTerminated: (handshakes: number, sessions: number) =>
    t(
      `the ${handshakes} handshakes got the right certificates, but HAProxy's frontends established ${sessions} TLS sessions meanwhile: ` +
        'HAProxy did not terminate TLS, something behind it did (a `mode tcp` pass-through to Nginx?)',
      `${handshakes} 次握手拿到了正确的证书，但这期间 HAProxy 的 frontend 只建立了 ${sessions} 个 TLS 会话：` +
        'TLS 不是由 HAProxy 终止的，而是它后面的服务（`mode tcp` 透传给 Nginx？）',
    ),
  nginxTls: (nodes: string[], port: number) =>
    t(
      `${nodes.join(', ')} still answer${nodes.length === 1 ? 's' : ''} TLS on port ${port}: Nginx should serve plain HTTP now that HAProxy terminates TLS`,
      `${nodes.join('、')} 仍在 ${port} 端口提供 TLS：HAProxy 终止 TLS 后，Nginx 应只提供明文 HTTP`,
    ),
  countersReset: t('HAProxy\'s counters went down meanwhile (a reload): measure again', 'HAProxy 的计数器在测量期间变小了（发生了重载），需要重测'),
  cannotProve: (why: Text) =>
    t(`the certificates fit, but whether HAProxy itself terminated TLS cannot be seen: ${why.en}`, `证书正确，但无法确认是否由 HAProxy 终止 TLS：${why.zh}`),
  certsOk: (n: number, sessions: number) =>
    t(
      `each of the ${n} SNIs gets its own certificate, signed by the lab CA, from HAProxy (its frontends counted ${sessions} new TLS sessions)`,
      `${n} 个 SNI 都拿到各自的证书，并由实验 CA 签发；TLS 由 HAProxy 终止（其 frontend 新增 ${sessions} 个 TLS 会话）`,
    ),

  noAppAnswer: (url: string, s: Text) => t(`${url}: no answer from the app (${s.en})`, `${url}：应用没有应答（${s.zh}）`),
  wrongProto: (url: string, proto: string | null) =>
    t(`${url}: the app was told proto "${proto ?? '(none)'}", expected "https"`, `${url}：应用收到的 proto 是 "${proto ?? '(无)'}"，应为 "https"`),
  plainAsHttps: (url: string) => t(`${url}: a plain HTTP request reached the app as proto "https"`, `${url}：明文 HTTP 请求到达应用时 proto 却是 "https"`),
  protoOk: (n: number) => t(`the app sees proto "https" for all ${n} HTTPS requests`, `${n} 个 HTTPS 请求在应用处的 proto 都是 "https"`),

  wrongXff: (url: string, xff: string | null, want: string) =>
    t(
      `${url}: the app saw X-Forwarded-For "${xff ?? ''}"; expected it to start with the client's ${want}`,
      `${url}：应用看到的 X-Forwarded-For 是 "${xff ?? ''}"，应以客户端地址 ${want} 开头`,
    ),
  xffOk: (client: string | undefined, n: number) =>
    t(`the client's address ${client} reaches the app first in X-Forwarded-For (${n} requests)`, `客户端地址 ${client} 作为 X-Forwarded-For 的第一项到达应用（${n} 个请求）`),
};
