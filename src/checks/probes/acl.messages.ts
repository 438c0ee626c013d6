// Messages of acl-deny and rate-limit (exp5).
import type { Text } from '../types.js';
import { t } from '../types.js';

const s = (ms: number) => (ms / 1000).toFixed(ms % 1000 ? 1 : 0);

export const M = {
  needsOffice: t(
    "needs the lab's office node: the allowed network is graded from a second vantage point",
    '需要实验环境中的 office 节点：允许的网段要从第二个来源评判',
  ),
  noOffice: t('the lab has no office node to send from the allowed network; `lab up` again adds it', '实验环境没有 office 节点，无法从允许的网段发请求；重新 `lab up` 即可'),
  allowedBroken: (path: string, s2: Text) => t(`GET ${path} should still reach the app, saw ${s2.en}`, `GET ${path} 应仍由应用应答，实际为${s2.zh}`),
  allowedHint: t('Deny only the protected path; every other path must keep working.', '只拒绝受保护的路径，其他路径必须照常工作。'),
  leaked: t(' (the app answered: the request was let through)', '（应用应答了：请求被放行了）'),
  notDenied: (path: string, from: string, wrong: number, all: number, status: number, s2: Text, leak: Text) =>
    t(
      `GET ${path} from ${from}: ${wrong} of ${all} requests were not answered ${status}; saw ${s2.en}${leak.en}`,
      `从 ${from} 发出的 GET ${path}：${all} 个请求中有 ${wrong} 个没有得到 ${status}，实际为${s2.zh}${leak.zh}`,
    ),
  officeBlocked: (path: string, who: string, s2: Text) =>
    t(
      `GET ${path} from the office network (${who}) should reach the app, saw ${s2.en}: the allowed network must get in`,
      `从 office 网络（${who}）发出的 GET ${path} 应由应用应答，实际为${s2.zh}：允许的网段必须能访问`,
    ),
  officeHint: t(
    'The allowed network is the office network; HAProxy knows it as "${LAB_OFFICE_NET}" (an environment variable).',
    '允许的网段是 office 网络；HAProxy 里可以写成 "${LAB_OFFICE_NET}"（环境变量）。',
  ),
  outsiderIn: (path: string, who: string, status: number, s2: Text) =>
    t(
      `GET ${path} from a third network (${who}, neither the client's nor the office's) should be answered ${status} too, saw ${s2.en}`,
      `从第三个网络（${who}，既不是客户端也不是 office 的网络）发出的 GET ${path} 也应得到 ${status}，实际为${s2.zh}`,
    ),
  allowlistHint: t(
    'Allow the office network and deny everyone else, rather than denying one network you know of.',
    '应当只放行办公网、拒绝其他所有来源，而不是只拒绝已知的某个网段。',
  ),
  denyOk: (path: string, n: number, status: number, allowed: string, office: number) =>
    t(
      `GET ${path}: all ${n} requests from the client and one from a third network answered ${status}, ` +
        `all ${office} from the office network reached the app; ${allowed} still reaches the app`,
      `GET ${path}：客户端的 ${n} 个请求和第三个网络的请求都得到 ${status}，office 网络的 ${office} 个请求都到达了应用；${allowed} 仍由应用应答`,
    ),

  notLimited: (n: number, from: string, path: string, answered: number, limited: number, how: string, min: number) =>
    t(
      `a burst of ${n} new connections from ${from} to ${path}: ${answered} answered by the app, ` +
        `${limited ? `only ${limited} not (${how})` : 'none refused'}; expected the rate limit to refuse at least ${min}`,
      `从 ${from} 向 ${path} 突发 ${n} 个新连接：${answered} 个由应用应答，${limited ? `只有 ${limited} 个没有（${how}）` : '没有一个被拒绝'}；限速应至少拒绝 ${min} 个`,
    ),
  trackHint: t(
    "A stick-table only counts what is tracked: without `tcp-request connection track-sc0 src` the rate stays 0 (the tutorial's snippet lacks this line).",
    'stick-table 只统计被跟踪的连接：没有 `tcp-request connection track-sc0 src`，速率永远是 0（教程的片段缺了这一行）。',
  ),
  officeLimited: (s2: Text) =>
    t(
      `the client's burst was limited, but meanwhile the office (another source address) was refused too (${s2.en}): the limit is not per source`,
      `客户端的突发被限制了，但同时 office（另一个源地址）也被拒绝了（${s2.zh}）：限速不是按源地址的`,
    ),
  neighbourLimited: (address: string, s2: Text) =>
    t(
      `the client's burst was limited, but right after it ${address} (another address in the client's own network, ` +
        `which had sent nothing) was refused too (${s2.en}): the limit counts the network or the frontend, not each source`,
      `客户端的突发被限制了，但紧接着 ${address}（客户端所在网段的另一个地址，此前没有发过请求）也被拒绝了（${s2.zh}）：限速按网段或整个 frontend 计数，而不是按每个源地址`,
    ),
  noNeighbour: (address: string) =>
    t(
      `could not send from ${address}, the client's second address: the lab was started before the client had one (run \`lab up\`), ` +
        `or it was removed by hand (\`lab down\`, then \`lab up\`); then check again`,
      `无法从客户端的第二个地址 ${address} 发请求：实验环境启动时客户端还没有该地址（运行 \`lab up\`），或该地址被手工删除了（先 \`lab down\` 再 \`lab up\`）；然后再评分`,
    ),
  perSourceHint: t(
    'Count each source address on its own (a stick-table keyed by ip, tracked with track-sc0 src), not the frontend as a whole (fe_sess_rate, fe_req_rate).',
    '要按每个源地址分别计数（以 ip 为键的 stick-table，用 track-sc0 src 跟踪），而不是整个 frontend（fe_sess_rate、fe_req_rate）。',
  ),
  inconclusive: t(
    'the client was no longer limited right after the burst, once the office or its own neighbours had been answered, so the limit could not be shown to be per source',
    '突发之后，office 或客户端同网段的邻居地址得到应答后，客户端已经不再受限，无法证明限速是按源地址的',
  ),
  neverRecovered: (limited: number, n: number, ms: number, interval: number, s2: Text) =>
    t(
      `the burst was limited (${limited} of ${n} refused), but requests one every ${s(interval)} s still got ${s2.en} ${s(ms)} s later; the limit should only stop bursts`,
      `突发被限制了（${n} 个中拒绝 ${limited} 个），但每 ${s(interval)} 秒一个的请求在 ${s(ms)} 秒后仍得到${s2.zh}；限速应只拦住突发流量`,
    ),
  slowRefused: (slow: number, interval: number, s2: Text) =>
    t(
      `the client was answered again, but requests ${s(interval)} s apart kept being refused now and then (${s2.en}); expected ${slow} in a row to get through`,
      `客户端恢复后，每隔 ${s(interval)} 秒的请求仍时而被拒绝（${s2.zh}）；应能连续 ${slow} 个都通过`,
    ),
  limitOk: (n: number, limited: number, how: string, near: number, office: number, after: number, slow: number, interval: number) =>
    t(
      `a burst of ${n} new connections: ${limited} refused (${how}); meanwhile ` +
        `${near ? `${near} requests from the client's neighbours and ` : ''}${office} requests from the office got through; ` +
        `the client was answered again after ${s(after)} s, and ${slow} requests ${s(interval)} s apart all reached the app`,
      `突发 ${n} 个新连接：拒绝 ${limited} 个（${how}）；同时${near ? `客户端邻居的 ${near} 个请求和` : ''} office 的 ${office} 个请求都通过了；` +
        `客户端 ${s(after)} 秒后恢复，之后每隔 ${s(interval)} 秒一个的 ${slow} 个请求都到达了应用`,
    ),
};
