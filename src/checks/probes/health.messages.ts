// Messages of health-checks-l7 and health-failover (exp4).
import type { Text } from '../types.js';
import { t } from '../types.js';

const secs = (ms: number) => (ms / 1000).toFixed(1);

export const M = {
  noBackend: (path: string, s: Text) => t(`GET ${path} reached no backend server (${s.en})`, `GET ${path} 没有到达任何 backend 的 server（${s.zh}）`),
  fewServers: (b: string, path: string, n: number, min: number) =>
    t(`backend ${b} (serving ${path}) has ${n} server(s); expected at least ${min}`, `backend ${b}（服务 ${path}）只有 ${n} 个 server，应至少 ${min} 个`),
  noCheck: (name: string) => t(`${name}: no health check`, `${name}：没有健康检查`),
  tcpOnly: (name: string, st: string) =>
    t(`${name}: ${st}, a TCP check only (the port answers, but is the site healthy?)`, `${name}：${st}，只是 TCP 检查（端口通了，但站点健康吗？）`),
  badCheck: (name: string, st: string, node: string) => t(`${name}: check ${st} on ${node}`, `${name}：在 ${node} 上检查结果为 ${st}`),
  notL7: (b: string, list: Text) =>
    t(`expected HTTP checks passing (L7OK) on every server of backend ${b}; ${list.en}`, `backend ${b} 的每个 server 都应通过 HTTP 检查（L7OK）；${list.zh}`),
  neverDown: (ms: number, why: Text) =>
    t(
      `made GET /health answer 503 on every app (every other path still answers 200): after ${secs(ms)} s requests still reached the app ` +
        `and HAProxy still had servers UP${why.en}`,
      `让每个应用的 GET /health 返回 503（其他路径仍返回 200）：${secs(ms)} 秒后请求仍能到达应用，HAProxy 仍有 UP 的 server${why.zh}`,
    ),
  whyTcp: t(' — a TCP check cannot see /health', ' —— TCP 检查看不到 /health'),
  whyPath: (st: string) => t(` — the checks pass (${st}) whatever /health says: do they ask /health?`, ` —— 无论 /health 返回什么检查都通过（${st}）：检查的是 /health 吗？`),
  whyNone: t(' — there is no health check', ' —— 没有健康检查'),
  neverBack: (downMs: number, ms: number) =>
    t(
      `/health failing took the servers DOWN after ${secs(downMs)} s, but ${secs(ms)} s after it healed requests still got no app answer: ` +
        'a healed server must come back (rise too high?)',
      `/health 失败后 server 在 ${secs(downMs)} 秒内被标记为 DOWN，但 /health 恢复 ${secs(ms)} 秒后请求仍得不到应用应答：恢复健康的 server 应重新上线（rise 太大？）`,
    ),
  checksOk: (b: string, n: number, downMs: number, upMs: number) =>
    t(
      `backend ${b}: ${n} servers with HTTP checks; with /health failing on every app they went DOWN after ${secs(downMs)} s ` +
        `(HAProxy answered 503 itself), and came back ${secs(upMs)} s after it healed`,
      `backend ${b}：${n} 个 server 都有 HTTP 检查；所有应用的 /health 失败后 ${secs(downMs)} 秒内被标记为 DOWN（HAProxy 自己返回 503），` +
        `/health 恢复后 ${secs(upMs)} 秒重新上线`,
    ),
  l7Ok: (b: string, n: number, nodes: string) =>
    t(`the ${n} servers of backend ${b} pass HTTP health checks (L7OK) on ${nodes}`, `backend ${b} 的 ${n} 个 server 在 ${nodes} 上都通过了 HTTP 健康检查（L7OK）`),

  noNode: (n: string) => t(`the lab has no running ${n}`, `实验环境中没有运行中的 ${n}`),
  noServerAt: (b: string, path: string, n: string) =>
    t(`backend ${b} (serving ${path}) has no server at ${n}'s address`, `backend ${b}（服务 ${path}）中没有指向 ${n} 地址的 server`),
  notMarked: (n: string, ms: number, name: string, st: string) =>
    t(`stopped ${n}; after ${Math.round(ms / 1000)} s HAProxy still did not mark ${name} DOWN (${st})`, `停止了 ${n}；${Math.round(ms / 1000)} 秒后 HAProxy 仍未把 ${name} 标记为 DOWN（${st}）`),
  failedAfter: (bad: number, n: number, s: Text) => t(`${bad} of ${n} requests failed (${s.en})`, `${n} 个请求中有 ${bad} 个失败（${s.zh}）`),
  stillSent: (n: number, name: string) => t(`${n} requests were still sent to ${name}`, `仍有 ${n} 个请求被发往 ${name}`),
  downBut: (name: string, s: string, list: Text) =>
    t(`${name} was marked DOWN after ${s} s, but then ${list.en}`, `${name} 在 ${s} 秒后被标记为 DOWN，但随后${list.zh}`),
  notBack: (n: string, name: string, ms: number, st: string) =>
    t(
      `${n} was started again, but ${Math.round(ms / 1000)} s later HAProxy still had ${name} out (${st}): a healed server must come back (rise too high?)`,
      `${n} 已重新启动，但 ${Math.round(ms / 1000)} 秒后 HAProxy 仍未让 ${name} 重新上线（${st}）：恢复的 server 应重新上线（rise 太大？）`,
    ),
  failedBefore: (bad: number, n: number) => t(` (${bad} of ${n} requests failed before that)`, `（在此之前 ${n} 个请求中有 ${bad} 个失败）`),
  failoverOk: (n: string, name: string, s: string, before: Text, reqs: number, back: string) =>
    t(
      `stopped ${n}: HAProxy marked ${name} DOWN after ${s} s${before.en}, ${reqs} requests then all succeeded on the other servers, ` +
        `and it was UP again ${back} s after ${n} restarted`,
      `停止 ${n} 后，HAProxy 在 ${s} 秒内把 ${name} 标记为 DOWN${before.zh}，随后的 ${reqs} 个请求全部由其他 server 成功处理；${n} 重启后 ${back} 秒重新上线`,
    ),
};
