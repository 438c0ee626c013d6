// Messages of haproxy-config-valid, runtime-socket and log-reaches-stdout.
import type { Text } from '../types.js';
import { t } from '../types.js';

export const M = {
  needsContainers: t(
    "needs the lab's HAProxy containers; with --target this is graded on the lab only",
    '需要实验环境中的 HAProxy 容器；使用 --target 时无法评判',
  ),
  rejected: (code: number, line: string) =>
    t(
      `haproxy -c rejects the config (exit ${code}): ${line}. HAProxy keeps running its last good config; the other checks grade that.`,
      `haproxy -c 未通过（退出码 ${code}）：${line}。HAProxy 仍在运行上一份有效配置，其他检查评判的是它。`,
    ),
  blockHint: t(
    'Errata 1: `block` is gone since HAProxy 2.1; the same condition works with `http-request deny`.',
    '勘误 1：`block` 自 HAProxy 2.1 起已移除，同样的条件可用于 `http-request deny`。',
  ),
  fewUp: (checked: Text, up: string[], want: number, unchecked: string[]) =>
    t(
      `${checked.en}, but the running HAProxy has ${up.length} backend(s) with a server UP${up.length ? ` (${up.join(', ')})` : ''}; ` +
        `expected at least ${want}${unchecked.length ? `; without health checks (no check) a server is never UP: ${unchecked.join(', ')}` : ''}`,
      `${checked.zh}，但运行中的 HAProxy 只有 ${up.length} 个 backend 有状态为 UP 的 server${up.length ? `（${up.join('、')}）` : ''}，` +
        `应至少 ${want} 个${unchecked.length ? `；没有健康检查（no check）的 server 不算 UP：${unchecked.join('、')}` : ''}`,
    ),
  passes: t('haproxy -c passes', 'haproxy -c 通过'),
  notRun: (where: string) => t(`haproxy -c not run (no container); the running HAProxy answers on ${where}`, `未运行 haproxy -c（没有容器）；运行中的 HAProxy 在 ${where} 应答`),
  upOk: (checked: Text, n: number) => t(`${checked.en}; ${n} backends have a server UP`, `${checked.zh}；${n} 个 backend 有状态为 UP 的 server`),

  noSocket: t('HAProxy listens on no runtime socket (no `stats socket` in global)', 'HAProxy 没有监听任何运行时 socket（global 中没有 `stats socket`）'),
  noAnswer: (c: string[]) => t(`\`show info\` got no answer on ${c.join(', ')}`, `在 ${c.join('、')} 上执行 \`show info\` 没有应答`),
  notAdmin: (socket: string, answer: string) =>
    t(
      `${socket} answers \`show info\`, but \`disable server\` gets "${answer}": the socket is not at level admin`,
      `${socket} 能回答 \`show info\`，但 \`disable server\` 得到 "${answer}"：该 socket 不是 admin 级别`,
    ),
  socketOk: (answered: string[]) =>
    t(`\`show info\` and admin commands answer on ${answered.join('; ')}`, `\`show info\` 和管理命令都有应答：${answered.join('；')}`),

  markerFailed: (port: number, s: Text) => t(`sent GET /lab-check-log-… to port ${port} but saw ${s.en}`, `向 ${port} 端口发送 GET /lab-check-log-…，结果为${s.zh}`),
  noLogLine: (status: number) =>
    t(
      `GET /lab-check-log-… was answered (${status}), but no log line with it reached \`lab logs\``,
      `GET /lab-check-log-… 已得到应答（${status}），但 \`lab logs\` 中没有出现对应的日志行`,
    ),
  logsOk: (nodes: string[]) => t(`an HTTP request shows up in \`lab logs\` of ${nodes.join(' and ')}`, `HTTP 请求出现在 ${nodes.join(' 和 ')} 的 \`lab logs\` 中`),
};
