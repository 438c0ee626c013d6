// Messages of lb-distribution and lb-sticky (exp3).
import type { Text } from '../types.js';
import { t } from '../types.js';

export const M = {
  failed: (bad: number, n: number, path: string, s: Text) =>
    t(`GET ${path}: ${bad} of ${n} requests did not reach the app (${s.en})`, `GET ${path}：${n} 个请求中有 ${bad} 个没有到达应用（${s.zh}）`),
  unknownHop: (path: string) =>
    t(`GET ${path}: the app's answers do not say which HAProxy node and server they came through`, `GET ${path}：应用的应答看不出经过了哪台 HAProxy、哪个 server`),
  tooFew: (w: number) =>
    t(`no HAProxy node got ${2 * w} of the requests, too few to judge a cycle of ${w}`, `没有一台 HAProxy 收到 ${2 * w} 个请求，不足以判断长度为 ${w} 的周期`),
  servers: (used: number, want: number, ratio: string) =>
    t(`the requests reached ${used} server(s); the ratio ${ratio} needs ${want}`, `请求只到达了 ${used} 个 server；比例 ${ratio} 需要 ${want} 个`),
  window: (node: string, w: number, at: number, got: string, ratio: string, seq: string) =>
    t(
      `${node}: requests ${at + 1}–${at + w} it got went ${got}, expected every ${w} in a row to split ${ratio} (its sequence: ${seq})`,
      `${node}：它收到的第 ${at + 1}–${at + w} 个请求分布为 ${got}，应为每连续 ${w} 个按 ${ratio} 分配（序列：${seq}）`,
    ),
  heldSkipped: (node: string, server: string, seq: string) =>
    t(
      `${node} kept one connection open on ${server} and then never sent it a request (${seq}): that is least-connections, not round robin`,
      `${node} 在 ${server} 上保持着一个连接，之后就再没把请求发给它（${seq}）：这是最少连接，不是轮询`,
    ),
  distributed: (n: number, path: string, ratio: string, w: number, per: string, hold: boolean, be: string) =>
    t(
      `${n} requests for ${path}: on every HAProxy node each ${w} in a row split ${ratio} (${per})` +
        `${hold ? '; a server held busy kept its turn' : ''}${be}`,
      `${path} 的 ${n} 个请求：每台 HAProxy 上每连续 ${w} 个都按 ${ratio} 分配（${per}）${hold ? '；被占用的 server 仍按顺序轮到' : ''}${be}`,
    ),
  backendNote: (be: string, algo: string) => ({ en: ` [HAProxy reports backend ${be}, algo ${algo}]`, zh: ` [HAProxy 报告 backend ${be}，算法 ${algo}]` }),

  noOffice: t('the lab has no office node to send from a second network; `lab up` again adds it', '实验环境没有 office 节点，无法从第二个网络发请求；重新 `lab up` 即可'),
  sourceSplit: (src: string, servers: string[]) =>
    t(
      `requests from ${src} reached ${servers.length} servers (${servers.join(', ')}); one source should stay on one`,
      `来自 ${src} 的请求到达了 ${servers.length} 个 server（${servers.join('、')}），同一来源应固定在一个 server`,
    ),
  allOneSource: (n: number, server: string) =>
    t(
      `each of the ${n} sources stayed on one server, but all on ${server}: different client addresses should spread (is it hashing the source?)`,
      `${n} 个来源各自固定，但全都在 ${server}：不同的客户端地址应分散到不同 server（哈希的真是源地址吗？）`,
    ),
  sourceOk: (n: number, per: number, used: number, map: string) =>
    t(
      `${n} sources, ${per} new connections each to different URIs: each source stayed on one server; ${used} servers used (${map})`,
      `${n} 个来源各发 ${per} 个新连接（URI 各不相同）：每个来源固定在一个 server；共用到 ${used} 个 server（${map}）`,
    ),
  uriSplit: (uri: string, servers: string[]) =>
    t(`${uri} reached ${servers.length} servers (${servers.join(', ')}); one URI should stay on one`, `${uri} 到达了 ${servers.length} 个 server（${servers.join('、')}），同一 URI 应固定在一个 server`),
  allOneUri: (n: number, server: string) =>
    t(`each of the ${n} URIs stayed on one server, but all on ${server}: different URIs should spread`, `${n} 个 URI 各自固定，但全都在 ${server}：不同的 URI 应分散到不同 server`),
  uriOk: (n: number, repeat: number, used: number) =>
    t(
      `${n} URIs, each asked ${repeat} times from different sources: each stayed on one server; ${used} servers used`,
      `${n} 个 URI 各从不同来源请求 ${repeat} 次：每个都固定在一个 server；共用到 ${used} 个 server`,
    ),
};
