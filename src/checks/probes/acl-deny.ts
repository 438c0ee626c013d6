// exp5 (tutorial 5.3.2): an ACL denies a path to everyone outside the allowed network. Graded from three
// vantage points: N GETs of the path from the client must all answer `status` (403), GETs of it from the
// office network (the allowed one, LAB_OFFICE_NET; from the office's own and extra addresses) must reach
// the app, a GET of it from a third network (an HAProxy node's own proxy-network address, asking that
// node directly) must be denied too, and an allowed path must still reach the app from the client. A deny
// without the `src` exception, a deny of everything, an allowed network that is not the office's, or a
// deny of the client's network only (a blocklist, not an allowlist) fail.
import type { HttpRequest } from '../http.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome } from '../types.js';
import { defineProbe, early } from './define.js';
import { M } from './acl.messages.js';
import { freshRequests } from './server-counters.js';
import { brief, fail, pass, seen, type Brief } from './util.js';

export interface AclObs {
  /** The client's GET of the allowed path, then its GETs of the denied path. */
  client: { origin: string; allowed: Brief; denied: Brief[] };
  /** GETs of the denied path from office addresses. */
  office: { source: string; res: Brief }[];
  /** A GET of the denied path from a third network (neither the client's nor the office's); null when not tried. */
  outsider: { source: string; res: Brief } | null;
}

export function decideAcl(o: AclObs, p: Pick<ProbeOf<'acl-deny'>, 'path' | 'allowedPath' | 'status'>): Outcome {
  if (!o.client.allowed.app) return fail(M.allowedBroken(p.allowedPath, seen(o.client.allowed)), M.allowedHint);
  const wrong = o.client.denied.filter((r) => !r.ok || r.status !== p.status || r.app);
  if (wrong.length) {
    const first = wrong[0]!;
    const leak = first.app ? M.leaked : { en: '', zh: '' };
    return fail(M.notDenied(p.path, o.client.origin, wrong.length, o.client.denied.length, p.status, seen(first), leak));
  }
  const blocked = o.office.find((x) => !x.res.app);
  if (blocked) return fail(M.officeBlocked(p.path, blocked.source, seen(blocked.res)), M.officeHint);
  if (o.outsider && (!o.outsider.res.ok || o.outsider.res.status !== p.status || o.outsider.res.app)) {
    return fail(M.outsiderIn(p.path, o.outsider.source, p.status, seen(o.outsider.res)), M.allowlistHint);
  }
  return pass(M.denyOk(p.path, o.client.denied.length, p.status, p.allowedPath, o.office.length));
}

export const aclDeny = defineProbe<ProbeOf<'acl-deny'>, AclObs>({
  kind: 'acl-deny',
  needs: 'lab',
  traffic: 'traffic',
  skipReason: M.needsOffice,
  async observe(ctx, p) {
    if (!ctx.office || !ctx.officeSources?.length) return early(fail(M.noOffice));
    const host = p.host ?? ctx.domains[0]!;
    const sources = ctx.officeSources.slice(0, p.officeSources);
    const officeReqs: HttpRequest[] = sources.map((source) => ({ ...freshRequests(host, ctx.ports.http, [p.path])[0]!, source }));
    // The third network: haproxy1 asks its own proxy-network address, so HAProxy sees that address as the source.
    const node = ctx.lab?.haproxy[0];
    const inside = ctx.haproxy.find((e) => e.name === node?.node);
    const [[allowed, ...denied], office, outsider] = await Promise.all([
      ctx.edge.batch(freshRequests(host, ctx.ports.http, [p.allowedPath, ...Array.from({ length: p.requests }, () => p.path)])),
      ctx.office.batch(officeReqs),
      node && inside ? inside.http.batch([{ ...freshRequests(host, ctx.ports.http, [p.path])[0]!, connectTo: node.address }]) : Promise.resolve([]),
    ]);
    return {
      client: { origin: ctx.edge.origin, allowed: brief(allowed!), denied: denied.map(brief) },
      office: sources.map((source, i) => ({ source, res: brief(office[i]!) })),
      outsider: node && outsider[0] ? { source: `${node.node} ${node.address}`, res: brief(outsider[0]) } : null,
    };
  },
  decide: decideAcl,
});
