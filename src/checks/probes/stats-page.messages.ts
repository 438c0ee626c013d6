// Messages of the stats page probes (stats-auth, stats-admin, stats-hide-version, prometheus).
import type { Text } from '../types.js';
import { t } from '../types.js';

export const M = {
  noPage: (w: string, s: Text) => t(`${w}: expected the stats page, saw ${s.en}`, `${w}：应有统计页面，实际为${s.zh}`),
  no401: (w: string, s: Text) => t(`${w} without a login: expected 401, saw ${s.en}`, `${w} 不带账号密码：应返回 401，实际为 ${s.zh}`),
  no200: (w: string, cred: string, s: Text) => t(`${w} with ${cred}: expected 200, saw ${s.en}`, `${w} 使用 ${cred}：应返回 200，实际为 ${s.zh}`),
  notStats: (w: string, cred: string) =>
    t(`${w} with ${cred}: answered 200, but not with HAProxy's stats page`, `${w} 使用 ${cred}：返回 200，但不是 HAProxy 的统计页面`),
  authOk: (w: string, cred: string, nodes: string[]) =>
    t(`${w} answers 401 without a login and 200 with ${cred} on ${nodes.join(' and ')}`, `${nodes.join(' 和 ')} 的 ${w} 不带登录返回 401，使用 ${cred} 返回 200`),

  denied: (w: string, loc: string) => t(`${w}: an admin action was refused (${loc}): admin actions are off`, `${w}：管理操作被拒绝（${loc}），管理功能未启用`),
  adminOther: (w: string, cred: string, s: Text) =>
    t(
      `${w}: posting an admin action with ${cred} should be answered by the stats page, saw ${s.en}`,
      `${w}：使用 ${cred} 提交管理操作，应由统计页面处理，实际为${s.zh}`,
    ),
  adminOk: (where: string) => t(`the stats page accepts admin actions (it did not answer DENY; asked from ${where})`, `统计页面接受管理操作（未返回 DENY；从 ${where} 访问）`),

  cannotLoad: (w: string, cred: string, s: Text) => t(`${w}: could not load the stats page with ${cred} (${s.en})`, `${w}：使用 ${cred} 无法打开统计页面（${s.zh}）`),
  shows: (w: string, v: string) => t(`${w}: the page shows "${v}"`, `${w}：页面显示了 "${v}"`),
  hidden: t('the stats page does not show the HAProxy version', '统计页面没有显示 HAProxy 版本'),

  noMetrics: (w: string, s: Text) => t(`${w}: expected 200 with metrics, saw ${s.en}`, `${w}：应返回 200 和指标，实际为 ${s.zh}`),
  noPrefix: (w: string, prefix: string) => t(`${w}: answered 200 but no metric starts with ${prefix}`, `${w}：返回 200，但没有以 ${prefix} 开头的指标`),
  metricsOk: (w: string, prefix: string, n: number) => t(`${w} serves ${prefix}* Prometheus metrics (${n} lines)`, `${w} 输出 ${prefix}* Prometheus 指标（${n} 行）`),
};
