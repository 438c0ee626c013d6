// The stats page and the Prometheus exporter on every HAProxy node (lab: curl inside each node against
// its own address, since the directors forward only 80/443; --target: HOST:8404 from here).
import type { ProbeOf } from '../schema.js';
import type { HaproxyEndpoint, Text, Outcome, ProbeContext, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { fail, listSome, pass, perNode, seen } from './util.js';

type StatsParams = Omit<ProbeOf<'stats-auth'>, 'kind'>;

async function perEndpoint(ctx: ProbeContext, fn: (e: HaproxyEndpoint) => Promise<Text | undefined>, ok: Text): Promise<Outcome> {
  const found = await Promise.all(ctx.haproxy.map(async (e) => ({ node: e.name, msg: await fn(e) })));
  const problems = found.filter((p): p is { node: string; msg: Text } => !!p.msg);
  return problems.length ? fail(listSome(perNode(problems, ''))) : pass(ok);
}

export const statsAuth: ProbeImpl<StatsParams> = {
  kind: 'stats-auth',
  needs: 'any',
  traffic: 'traffic',
  run(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const w = `:${port}${p.uri}`;
    const { user, password } = p.credentials;
    return perEndpoint(
      ctx,
      async (e) => {
        const base = { scheme: 'http' as const, host: e.address, port, path: p.uri, timeoutMs: 3000 };
        const [anon, authed] = await e.http.batch([base, { ...base, auth: { user, password } }]);
        if (!anon!.ok) return t(`${w}: expected the stats page, saw ${seen(anon!).en}`, `${w}：应有统计页面，实际为${seen(anon!).zh}`);
        if (anon!.status !== 401) return t(`${w} without a login: expected 401, saw ${seen(anon!).en}`, `${w} 不带账号密码：应返回 401，实际为 ${seen(anon!).zh}`);
        if (authed!.status !== 200) return t(`${w} with ${user}:${password}: expected 200, saw ${seen(authed!).en}`, `${w} 使用 ${user}:${password}：应返回 200，实际为 ${seen(authed!).zh}`);
        return undefined;
      },
      t(`:${port}${p.uri} answers 401 without a login and 200 with ${user}:${password} on ${ctx.haproxy.map((e) => e.name).join(' and ')}`, `${ctx.haproxy.map((e) => e.name).join(' 和 ')} 的 :${port}${p.uri} 不带登录返回 401，使用 ${user}:${password} 返回 200`),
    );
  },
};

export const statsAdmin: ProbeImpl<StatsParams> = {
  kind: 'stats-admin',
  needs: 'any',
  traffic: 'traffic',
  run(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const w = `:${port}${p.uri}`;
    const { user, password } = p.credentials;
    return perEndpoint(
      ctx,
      async (e) => {
        // An admin action on a backend that does not exist: harmless, and HAProxy says DENY only when admin is off.
        const [r] = await e.http.batch([
          { scheme: 'http', host: e.address, port, path: p.uri, method: 'POST', data: 's=lab-check&action=ready&b=%23lab-check', auth: { user, password }, timeoutMs: 3000 },
        ]);
        const loc = r!.headers.location ?? '';
        if (r!.status === 303 || r!.status === 302) {
          if (/st=DENY/.test(loc)) return t(`${w}: an admin action was refused (${loc}): admin actions are off`, `${w}：管理操作被拒绝（${loc}），管理功能未启用`);
          return undefined;
        }
        return t(`${w}: posting an admin action with ${user}:${password} should be answered by the stats page, saw ${seen(r!).en}`, `${w}：使用 ${user}:${password} 提交管理操作，应由统计页面处理，实际为${seen(r!).zh}`);
      },
      t('the stats page accepts admin actions (it did not answer DENY)', '统计页面接受管理操作（未返回 DENY）'),
    );
  },
};

export const statsHideVersion: ProbeImpl<StatsParams> = {
  kind: 'stats-hide-version',
  needs: 'any',
  traffic: 'traffic',
  run(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const w = `:${port}${p.uri}`;
    const { user, password } = p.credentials;
    return perEndpoint(
      ctx,
      async (e) => {
        const [r] = await e.http.batch([{ scheme: 'http', host: e.address, port, path: p.uri, auth: { user, password }, timeoutMs: 3000 }]);
        if (r!.status !== 200 || !/Statistics Report/i.test(r!.body)) return t(`${w}: could not load the stats page with ${user}:${password} (${seen(r!).en})`, `${w}：使用 ${user}:${password} 无法打开统计页面（${seen(r!).zh}）`);
        const v = /HAProxy version [0-9][^,<]*/i.exec(r!.body);
        if (v) return t(`${w}: the page shows "${v[0]}"`, `${w}：页面显示了 "${v[0]}"`);
        return undefined;
      },
      t('the stats page does not show the HAProxy version', '统计页面没有显示 HAProxy 版本'),
    );
  },
};

export const prometheus: ProbeImpl<ProbeOf<'prometheus'>> = {
  kind: 'prometheus',
  needs: 'any',
  traffic: 'traffic',
  run(ctx, p) {
    const port = ctx.statsPort ?? p.port;
    const w = `:${port}${p.path}`;
    return perEndpoint(
      ctx,
      async (e) => {
        const base = { scheme: 'http' as const, host: e.address, port, path: p.path, timeoutMs: 3000 };
        let [r] = await e.http.batch([base]);
        if (r!.status === 401 && p.credentials) [r] = await e.http.batch([{ ...base, auth: { user: p.credentials.user, password: String(p.credentials.password) } }]);
        if (r!.status !== 200) return t(`${w}: expected 200 with metrics, saw ${seen(r!).en}`, `${w}：应返回 200 和指标，实际为 ${seen(r!).zh}`);
        const n = r!.body.split('\n').filter((l) => l.startsWith(p.prefix)).length;
        if (n === 0) return t(`${w}: answered 200 but no metric starts with ${p.prefix}`, `${w}：返回 200，但没有以 ${p.prefix} 开头的指标`);
        return undefined;
      },
      t(`:${port}${p.path} serves ${p.prefix}* Prometheus metrics`, `:${port}${p.path} 输出 ${p.prefix}* Prometheus 指标`),
    );
  },
};
