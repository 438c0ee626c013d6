// exp5 (tutorial 5.3.2): an ACL denies a path to the client. N GETs of the denied path from the client
// must all answer 403 (HAProxy's deny), and, as a precondition, an allowed path must still reach the
// app: a frontend that denies everything, or answers 403 for every path, does not pass.
import type { ProbeOf } from '../schema.js';
import type { ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { freshRequests } from './lb-distribution.js';
import { appAnswer, fail, pass, seen } from './util.js';

export const aclDeny: ProbeImpl<ProbeOf<'acl-deny'>> = {
  kind: 'acl-deny',
  needs: 'any',
  traffic: 'traffic',
  async run(ctx, p) {
    const host = p.host ?? ctx.domains[0]!;
    const reqs = freshRequests(host, ctx.ports.http, [p.allowedPath, ...Array.from({ length: p.requests }, () => p.path)]);
    const [allowed, ...denied] = await ctx.edge.batch(reqs);
    if (!appAnswer(allowed!)) {
      return fail(
        t(`GET ${p.allowedPath} should still reach the app, saw ${seen(allowed!).en}`, `GET ${p.allowedPath} 应仍由应用应答，实际为${seen(allowed!).zh}`),
        t('Deny only the protected path; every other path must keep working.', '只拒绝受保护的路径，其他路径必须照常工作。'),
      );
    }
    const wrong = denied.filter((r) => !r.ok || r.status !== p.status);
    if (wrong.length) {
      const first = wrong[0]!;
      const leaked = appAnswer(first) ? t(' (the app answered: the request was let through)', '（应用应答了：请求被放行了）') : t('', '');
      return fail(
        t(`GET ${p.path} from ${ctx.edge.origin}: ${wrong.length} of ${denied.length} requests were not answered ${p.status}; saw ${seen(first).en}${leaked.en}`,
          `从 ${ctx.edge.origin} 发出的 GET ${p.path}：${denied.length} 个请求中有 ${wrong.length} 个没有得到 ${p.status}，实际为${seen(first).zh}${leaked.zh}`),
      );
    }
    return pass(
      t(`GET ${p.path} from ${ctx.edge.origin}: all ${denied.length} requests answered ${p.status}; ${p.allowedPath} still reaches the app`,
        `从 ${ctx.edge.origin} 发出的 GET ${p.path}：${denied.length} 个请求都得到 ${p.status}；${p.allowedPath} 仍由应用应答`),
    );
  },
};
