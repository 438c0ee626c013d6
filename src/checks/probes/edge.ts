// What a client of the seven domains sees through the VIP (or --target): answers from the app, the
// certificate per SNI, redirects, and the headers the app receives.
import type { ProbeOf } from '../schema.js';
import { judgeChain } from '../tls.js';
import type { Text, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { appAnswer, domainsOf, fail, listSome, pass, seen, skip, sweep } from './util.js';

export const domainsAnswer: ProbeImpl<ProbeOf<'domains-answer'>> = {
  kind: 'domains-answer',
  needs: 'any',
  traffic: 'traffic',
  async run(ctx, p) {
    const domains = domainsOf(ctx, p);
    const items = (await sweep(ctx, domains, p.path)).filter((i) => p.schemes.includes(i.scheme));
    const problems: Text[] = [];
    for (const i of items) {
      const a = appAnswer(i.res);
      if (!a) problems.push(t(`${i.url}: expected the app's answer, saw ${seen(i.res).en}`, `${i.url}：应由应用应答，实际为${seen(i.res).zh}`));
      else if ((a.host ?? '').toLowerCase().replace(/:\d+$/, '') !== i.domain) {
        problems.push(t(`${i.url}: the app was asked for Host "${a.host}", expected "${i.domain}"`, `${i.url}：应用收到的 Host 是 "${a.host}"，应为 "${i.domain}"`));
      }
    }
    if (problems.length) return fail(t(`${problems.length} of ${items.length} requests went wrong: ${listSome(problems).en}`, `${items.length} 个请求中有 ${problems.length} 个不对：${listSome(problems).zh}`));
    return pass(t(`${p.schemes.map((x) => x.toUpperCase()).join(' and ')} for all ${domains.length} domains answer from the app with the right Host`, `${domains.length} 个域名的 ${p.schemes.map((x) => x.toUpperCase()).join(' 和 ')} 请求都由应用应答，Host 正确`));
  },
};

export const noRedirectLoop: ProbeImpl<ProbeOf<'no-redirect-loop'>> = {
  kind: 'no-redirect-loop',
  needs: 'any',
  traffic: 'traffic',
  async run(ctx, p) {
    const domains = domainsOf(ctx, p);
    const items = (await sweep(ctx, domains, p.path)).filter((i) => p.schemes.includes(i.scheme));
    const problems: Text[] = [];
    for (const i of items) {
      const r = i.res;
      if (r.errorCode === 'too-many-redirects' || r.redirects > p.maxRedirects) {
        problems.push(t(`${i.url}: ${r.redirects}+ redirects and still no page, last ${r.finalUrl}`, `${i.url}：跳转 ${r.redirects} 次以上仍没有页面，最后到 ${r.finalUrl}`));
      } else if (!r.ok || (r.status >= 300 && r.status < 400)) {
        problems.push(t(`${i.url}: expected a page after at most ${p.maxRedirects} redirects, saw ${seen(r).en}`, `${i.url}：应在 ${p.maxRedirects} 次跳转内得到页面，实际为${seen(r).zh}`));
      }
    }
    if (problems.length) return fail(listSome(problems));
    const most = Math.max(...items.map((i) => i.res.redirects));
    return pass(t(`every domain ends at a page (at most ${most} redirect${most === 1 ? '' : 's'})`, `每个域名都能到达页面（最多跳转 ${most} 次）`));
  },
};

export const tlsSni: ProbeImpl<ProbeOf<'tls-sni'>> = {
  kind: 'tls-sni',
  needs: 'any',
  // Handshakes only: no HTTP request, so no backend counter moves.
  traffic: 'quiet',
  async run(ctx, p) {
    const ca = await ctx.ca();
    if (!ca) return skip(t('the lab CA is unknown, so the chain cannot be checked (give --ca FILE)', '不知道实验 CA，无法校验证书链（请用 --ca FILE 指定）'));
    const domains = domainsOf(ctx, p);
    const chains = await ctx.tls.chains(domains, ctx.ports.https);
    const problems: Text[] = [];
    domains.forEach((d, i) => {
      const c = chains[i]!;
      if (!c.chain.length) {
        problems.push(t(`${d}: no certificate (${c.error ?? 'handshake failed'})`, `${d}：没有拿到证书（${c.error ?? '握手失败'}）`));
        return;
      }
      const v = judgeChain(c.chain, d, ca);
      const names = v.names.join(', ') || '(none)';
      if (!v.matchesHost) problems.push(t(`SNI ${d}: got the certificate for ${names}`, `SNI ${d}：拿到的是 ${names} 的证书`));
      else if (!v.chainsToCa) problems.push(t(`SNI ${d}: the certificate does not chain to the lab CA`, `SNI ${d}：证书不是由实验 CA 签发的`));
      else if (v.expired) problems.push(t(`SNI ${d}: the certificate is not valid now`, `SNI ${d}：证书不在有效期内`));
    });
    if (problems.length) return fail(listSome(problems));
    return pass(t(`each of the ${domains.length} SNIs gets its own certificate, signed by the lab CA`, `${domains.length} 个 SNI 都拿到各自的证书，并由实验 CA 签发`));
  },
};

export const forwardedProto: ProbeImpl<ProbeOf<'forwarded-proto'>> = {
  kind: 'forwarded-proto',
  needs: 'any',
  traffic: 'traffic',
  async run(ctx, p) {
    const items = await sweep(ctx, domainsOf(ctx, p), p.path);
    const problems: Text[] = [];
    let https = 0;
    for (const i of items) {
      const a = appAnswer(i.res);
      if (i.scheme === 'https') {
        if (!a) problems.push(t(`${i.url}: no answer from the app (${seen(i.res).en})`, `${i.url}：应用没有应答（${seen(i.res).zh}）`));
        else if (a.proto !== 'https') problems.push(t(`${i.url}: the app was told proto "${a.proto ?? '(none)'}", expected "https"`, `${i.url}：应用收到的 proto 是 "${a.proto ?? '(无)'}"，应为 "https"`));
        else https++;
      } else if (a && i.res.redirects === 0 && a.proto === 'https') {
        problems.push(t(`${i.url}: a plain HTTP request reached the app as proto "https"`, `${i.url}：明文 HTTP 请求到达应用时 proto 却是 "https"`));
      }
    }
    if (problems.length) return fail(listSome(problems));
    return pass(t(`the app sees proto "https" for all ${https} HTTPS requests`, `${https} 个 HTTPS 请求在应用处的 proto 都是 "https"`));
  },
};

export const forwardedFor: ProbeImpl<ProbeOf<'forwarded-for'>> = {
  kind: 'forwarded-for',
  needs: 'any',
  traffic: 'traffic',
  async run(ctx, p) {
    const items = await sweep(ctx, domainsOf(ctx, p), p.path);
    const problems: Text[] = [];
    let ok = 0;
    let client = ctx.clientAddress;
    for (const i of items) {
      const a = appAnswer(i.res);
      const expected = client ?? i.res.localAddress;
      if (!a) {
        problems.push(t(`${i.url}: no answer from the app (${seen(i.res).en})`, `${i.url}：应用没有应答（${seen(i.res).zh}）`));
        continue;
      }
      const first = (a.xff ?? '').split(',')[0]!.trim();
      if (!expected) continue;
      client = expected;
      if (first !== expected) {
        problems.push(
          t(
            `${i.url}: the app saw X-Forwarded-For "${a.xff ?? ''}"; expected it to start with the client's ${expected}`,
            `${i.url}：应用看到的 X-Forwarded-For 是 "${a.xff ?? ''}"，应以客户端地址 ${expected} 开头`,
          ),
        );
      } else ok++;
    }
    if (problems.length) return fail(listSome(problems));
    return pass(t(`the client's address ${client} reaches the app first in X-Forwarded-For (${ok} requests)`, `客户端地址 ${client} 作为 X-Forwarded-For 的第一项到达应用（${ok} 个请求）`));
  },
};
