// What a client of the seven domains sees through the VIP (or --target): answers from the app, the
// certificate per SNI (and that HAProxy itself terminated TLS), redirects, and the headers the app receives.
import type { ProbeOf } from '../schema.js';
import { certFacts, nameMatches, type CertFacts } from '../tls.js';
import { frontendSslSessions } from '../stats.js';
import type { Outcome, ProbeContext, Text } from '../types.js';
import { defineProbe, early } from './define.js';
import { M } from './edge.messages.js';
import { domainsOf, fail, listSome, pass, seen, skip, sweep, type SweepItem } from './util.js';
import { sleep } from '../../util/sleep.js';

interface SweepObs {
  items: SweepItem[];
}

export function decideDomainsAnswer(o: SweepObs, p: Pick<ProbeOf<'domains-answer'>, 'schemes'>): Outcome {
  const items = o.items.filter((i) => p.schemes.includes(i.scheme));
  const problems: Text[] = [];
  for (const i of items) {
    const a = i.res.app;
    if (!a) problems.push(M.notApp(i.url, seen(i.res)));
    else if ((a.host ?? '').toLowerCase().replace(/:\d+$/, '') !== i.domain) problems.push(M.wrongHost(i.url, a.host, i.domain));
  }
  if (problems.length) return fail(M.someWrong(problems.length, items.length, listSome(problems)));
  return pass(M.allAnswer(p.schemes, new Set(items.map((i) => i.domain)).size));
}

export const domainsAnswer = defineProbe<ProbeOf<'domains-answer'>, SweepObs>({
  kind: 'domains-answer',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    return { items: (await sweep(ctx, domainsOf(ctx, p), p.path)).filter((i) => p.schemes.includes(i.scheme)) };
  },
  decide: decideDomainsAnswer,
});

/** A page: an HTTP answer with a 2xx status at the end of the redirects (a 503 is not a page). */
export function decideNoRedirectLoop(o: SweepObs, p: Pick<ProbeOf<'no-redirect-loop'>, 'schemes' | 'maxRedirects'>): Outcome {
  const items = o.items.filter((i) => p.schemes.includes(i.scheme));
  const problems: Text[] = [];
  for (const i of items) {
    const r = i.res;
    if (r.errorCode === 'too-many-redirects' || r.redirects > p.maxRedirects) problems.push(M.loop(i.url, r.redirects, r.finalUrl ?? '?'));
    else if (!r.ok || r.status < 200 || r.status > 299) problems.push(M.noPage(i.url, p.maxRedirects, seen(r)));
  }
  if (problems.length) return fail(listSome(problems));
  return pass(M.noLoop(Math.max(0, ...items.map((i) => i.res.redirects))));
}

export const noRedirectLoop = defineProbe<ProbeOf<'no-redirect-loop'>, SweepObs>({
  kind: 'no-redirect-loop',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    return { items: (await sweep(ctx, domainsOf(ctx, p), p.path)).filter((i) => p.schemes.includes(i.scheme)) };
  },
  decide: decideNoRedirectLoop,
});

interface TlsObs {
  /** When the certificates were seen (validity is judged at this time). */
  at: string;
  certs: ({ sni: string; error: string } | ({ sni: string } & CertFacts))[];
  /** TLS sessions HAProxy's frontends counted before and after the handshakes; null when unknown. */
  ssl: { before: number; after: number; where: string } | null;
  /** Why `ssl` is null. */
  sslMissing?: Text;
  /** In a lab, with nginxTlsPort: per Nginx node, whether it still answered a TLS handshake on that port. */
  nginx?: { node: string; tls: boolean; seen: string }[];
}

export function decideTlsSni(o: TlsObs, p: Pick<ProbeOf<'tls-sni'>, 'nginxTlsPort'>): Outcome {
  const problems: Text[] = [];
  const still = (o.nginx ?? []).filter((n) => n.tls);
  if (still.length) problems.push(M.nginxTls(still.map((n) => n.node), p.nginxTlsPort ?? 0));
  const certProblems: Text[] = [];
  let good = 0;
  for (const c of o.certs) {
    if ('error' in c) {
      certProblems.push(M.noCert(c.sni, c.error));
      continue;
    }
    const names = c.names.join(', ') || '(none)';
    if (!nameMatches(c.names, c.sni)) certProblems.push(M.otherCert(c.sni, names));
    else if (!c.chainsToCa) certProblems.push(M.notLabCa(c.sni, c.issuer));
    else if (o.at < c.validFrom || o.at > c.validTo) certProblems.push(M.expired(c.sni, c.validFrom, c.validTo));
    else good++;
  }
  const sessions = o.ssl ? o.ssl.after - o.ssl.before : 0;
  // Who terminates TLS is the lesson: said before the per-SNI findings, which only three of are shown.
  if (o.ssl && sessions >= 0 && sessions < good) problems.push(M.notTerminated(good, sessions));
  problems.push(...certProblems);
  if (problems.length) return fail(listSome(problems));
  if (!o.ssl) return skip(M.cannotProve(o.sslMissing ?? t0));
  if (sessions < 0) return fail(M.countersReset);
  return pass(M.certsOk(o.certs.length, sessions));
}

const t0: Text = { en: 'no counters', zh: '没有计数器' };

export const tlsSni = defineProbe<ProbeOf<'tls-sni'>, TlsObs>({
  kind: 'tls-sni',
  needs: 'any',
  // Handshakes only: no HTTP request, so on a config that terminates TLS no backend counter moves. On a
  // `mode tcp` pass-through each handshake is a backend session, so the handshakes wait for the
  // exclusive (counter-reading) probes; the rest runs alongside them.
  traffic: 'quiet',
  async observe(ctx, p) {
    const ca = await ctx.ca();
    if (!ca) return early(skip(M.caUnknown));
    const domains = domainsOf(ctx, p);
    // Independent of the handshakes: asked meanwhile.
    const nginxP = p.nginxTlsPort && ctx.lab ? nginxTls(ctx, p.nginxTlsPort) : Promise.resolve(undefined);
    await ctx.exclusiveDone;
    const before = ctx.stats ? frontendSslSessions(await ctx.stats.read()) : undefined;
    const chains = await ctx.tls.chains(domains, ctx.ports.https);
    let after = ctx.stats ? frontendSslSessions(await ctx.stats.read()) : undefined;
    const shook = chains.filter((c) => c.chain.length).length;
    if (ctx.stats && before !== undefined && after! - before < shook) {
      // The last handshakes' closing may still be on its way: look once more.
      await sleep(500);
      after = frontendSslSessions(await ctx.stats.read());
    }
    const certs = domains.map((sni, i) => {
      const c = chains[i]!;
      if (!c.chain.length) return { sni, error: c.error ?? 'handshake failed' };
      try {
        return { sni, ...certFacts(c.chain, ca) };
      } catch (e) {
        return { sni, error: `unreadable certificate (${(e as Error).message})` };
      }
    });
    const ssl = before !== undefined && after !== undefined ? { before, after, where: ctx.stats!.where } : null;
    const nginx = await nginxP;
    return { at: new Date().toISOString(), certs, ssl, ...(ssl ? {} : { sslMissing: ctx.statsMissing }), ...(nginx ? { nginx } : {}) };
  },
  decide: decideTlsSni,
});

/** From the first HAProxy node (the path HAProxy's own traffic takes): does each Nginx still answer TLS on `port`? */
async function nginxTls(ctx: ProbeContext, port: number): Promise<NonNullable<TlsObs['nginx']>> {
  const lab = ctx.lab!;
  const one = (node: string) => `( curl -sk -o /dev/null -m 3 -w '%{http_code}' https://${node}:${port}/ 2>/dev/null; echo " ${node} exit=$?" ) > "$d/${node}" &`;
  const script = ['d=$(mktemp -d)', ...lab.nginx.map((n) => one(n.node)), 'wait', 'cat "$d"/*', 'rm -rf "$d"'].join('\n');
  const r = await lab.runtime.exec(lab.haproxy[0]!.container, ['sh', '-c', script], { timeoutMs: 8000 });
  return lab.nginx.map((n) => {
    const line = r.stdout.split('\n').find((l) => l.includes(` ${n.node} exit=`)) ?? '';
    // An HTTP status after a TLS handshake means TLS is still served there; 000 means no TLS (refused, or not TLS).
    return { node: n.node, tls: /^[1-5]\d\d /.test(line), seen: line.trim().slice(0, 80) };
  });
}

export function decideForwardedProto(o: SweepObs): Outcome {
  const problems: Text[] = [];
  let https = 0;
  for (const i of o.items) {
    const a = i.res.app;
    if (i.scheme === 'https') {
      if (!a) problems.push(M.noAppAnswer(i.url, seen(i.res)));
      else if (a.proto !== 'https') problems.push(M.wrongProto(i.url, a.proto));
      else https++;
    } else if (a && i.res.redirects === 0 && a.proto === 'https') problems.push(M.plainAsHttps(i.url));
  }
  if (problems.length) return fail(listSome(problems));
  return pass(M.protoOk(https));
}

export const forwardedProto = defineProbe<ProbeOf<'forwarded-proto'>, SweepObs>({
  kind: 'forwarded-proto',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    return { items: await sweep(ctx, domainsOf(ctx, p), p.path) };
  },
  decide: decideForwardedProto,
});

interface XffObs extends SweepObs {
  /** The client's address as HAProxy should see it; undefined: take the connection's own. */
  client?: string;
}

export function decideForwardedFor(o: XffObs): Outcome {
  const problems: Text[] = [];
  let ok = 0;
  let client = o.client;
  o.items.forEach((i) => {
    const a = i.res.app;
    const expected = client ?? i.res.local;
    if (!a) {
      problems.push(M.noAppAnswer(i.url, seen(i.res)));
      return;
    }
    if (!expected) return;
    client = expected;
    const first = (a.xff ?? '').split(',')[0]!.trim();
    if (first !== expected) problems.push(M.wrongXff(i.url, a.xff, expected));
    else ok++;
  });
  if (problems.length) return fail(listSome(problems));
  return pass(M.xffOk(client, ok));
}

export const forwardedFor = defineProbe<ProbeOf<'forwarded-for'>, XffObs>({
  kind: 'forwarded-for',
  needs: 'any',
  traffic: 'traffic',
  async observe(ctx, p) {
    return { items: await sweep(ctx, domainsOf(ctx, p), p.path), client: ctx.clientAddress };
  },
  decide: decideForwardedFor,
});
