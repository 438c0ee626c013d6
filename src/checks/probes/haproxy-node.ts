// Probes that need the HAProxy nodes themselves: `haproxy -c` (plus servers UP, from HAProxy's counters,
// which --target reads from the stats page), the runtime socket at admin level, and the log reaching
// the container's stdout (what `lab logs` shows).
import { randomBytes } from 'node:crypto';
import { haproxyValidator } from '../../apply/services.js';
import type { ProbeOf } from '../schema.js';
import type { LabHandle, Outcome, StatsSnapshot, Text } from '../types.js';
import { defineProbe, early } from './define.js';
import { M } from './haproxy-node.messages.js';
import { runtimeSockets, socketCommand } from './node-ops.js';
import { brief, fail, listSome, pass, perNode, seen, skip, type Brief } from './util.js';
import { sleep } from '../../util/sleep.js';

function lab(l: LabHandle | undefined): LabHandle {
  if (!l) throw new Error('this probe needs a running lab');
  return l;
}

interface ConfigObs {
  /** haproxy -c in the first HAProxy node; null with --target (no container). */
  check: { exitCode: number; output: string } | null;
  /** Servers per node (backend, server, status), when backendsUp asks for them. */
  servers: { node: string; backend: string; server: string; status: string }[] | null;
  where?: string;
}

export function decideConfigValid(o: ConfigObs, p: Pick<ProbeOf<'haproxy-config-valid'>, 'backendsUp'>): Outcome {
  if (o.check && o.check.exitCode !== 0) {
    const out = o.check.output;
    const lines = out.split('\n');
    const first = lines.find((x) => /\[ALERT\]/.test(x)) ?? lines.find((x) => /will not start|error/i.test(x)) ?? out.trim().split('\n')[0] ?? '';
    const line = first.replace(/^\[[A-Z]+\]\s*\(\d+\)\s*:\s*/, '').trim().replace(/\.+$/, '');
    return fail(M.rejected(o.check.exitCode, line), /'block' directive/.test(out) ? M.blockHint : undefined);
  }
  const checked = o.check ? M.passes : M.notRun(o.where ?? '?');
  if (!p.backendsUp || !o.servers) return pass(checked);
  // UP on every node that reports the server: "no check" is not UP (nothing looked at the server).
  const nodes = new Set(o.servers.map((s) => s.node));
  const byServer = new Map<string, string[]>();
  for (const s of o.servers) byServer.set(`${s.backend}/${s.server}`, [...(byServer.get(`${s.backend}/${s.server}`) ?? []), s.status]);
  const up = new Set<string>();
  const unchecked = new Set<string>();
  for (const [k, st] of byServer) {
    const backend = k.slice(0, k.lastIndexOf('/'));
    if (st.length === nodes.size && st.every((x) => /^UP/.test(x))) up.add(backend);
    if (st.some((x) => /^no check/.test(x))) unchecked.add(backend);
  }
  if (up.size < p.backendsUp) return fail(M.fewUp(checked, [...up], p.backendsUp, [...unchecked].filter((b) => !up.has(b))));
  return pass(M.upOk(checked, up.size));
}

function serversOf(snaps: StatsSnapshot[]): NonNullable<ConfigObs['servers']> {
  return snaps.flatMap((s) =>
    s.rows.filter((r) => r.pxname && r.svname && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND').map((r) => ({ node: s.node, backend: r.pxname!, server: r.svname!, status: r.status ?? '' })),
  );
}

export const haproxyConfigValid = defineProbe<ProbeOf<'haproxy-config-valid'>, ConfigObs>({
  kind: 'haproxy-config-valid',
  needs: 'any',
  traffic: 'quiet',
  async observe(ctx, p) {
    if (ctx.mode === 'target') {
      // No container for haproxy -c; what the running HAProxy reports is still there to grade.
      if (!p.backendsUp) return early(skip(M.needsContainers));
      if (!ctx.stats) return early(skip(ctx.statsMissing ?? M.needsContainers));
      return { check: null, servers: serversOf(await ctx.stats.read()), where: ctx.stats.where };
    }
    const l = lab(ctx.lab);
    const node = l.haproxy[0]!;
    const [r, snaps] = await Promise.all([
      l.runtime.exec(node.container, haproxyValidator.cmd, { timeoutMs: 15_000 }),
      p.backendsUp && ctx.stats ? ctx.stats.read() : Promise.resolve(undefined),
    ]);
    return { check: { exitCode: r.exitCode, output: `${r.stdout}\n${r.stderr}`.trim().slice(0, 4000) }, servers: snaps ? serversOf(snaps) : null };
  },
  decide: decideConfigValid,
});

interface SocketObs {
  nodes: {
    node: string;
    candidates: string[];
    /** Per candidate that was asked: its `show info` said HAProxy (and which version), and its answer to an admin-only command. */
    asked: { socket: string; haproxy: boolean; version: string | null; admin: string }[];
  }[];
}

/** `disable server` on a backend that does not exist: "No such backend." at level admin, "Permission denied" below. */
export const ADMIN_PROBE = 'disable server lab-check-none/lab-check';

export function decideRuntimeSocket(o: SocketObs): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const answered: string[] = [];
  for (const n of o.nodes) {
    if (!n.candidates.length) {
      problems.push({ node: n.node, msg: M.noSocket });
      continue;
    }
    const info = n.asked.filter((a) => a.haproxy);
    const admin = info.find((a) => /no such backend/i.test(a.admin));
    if (admin) answered.push(`${n.node}: ${admin.socket}${admin.version ? ` (HAProxy ${admin.version})` : ''}`);
    else if (info.length) problems.push({ node: n.node, msg: M.notAdmin(info[0]!.socket, info[0]!.admin.trim() || '(nothing)') });
    else problems.push({ node: n.node, msg: M.noAnswer(n.candidates) });
  }
  if (problems.length) return fail(listSome(perNode(problems)));
  return pass(M.socketOk(answered));
}

export const runtimeSocket = defineProbe<ProbeOf<'runtime-socket'>, SocketObs>({
  kind: 'runtime-socket',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: M.needsContainers,
  async observe(ctx, p) {
    const l = lab(ctx.lab);
    const cfg = ctx.haproxyConfig ? await ctx.haproxyConfig() : '';
    const nodes = await Promise.all(
      l.haproxy.map(async (h) => {
        const candidates = await runtimeSockets(l, h.container, cfg, p.path);
        const asked: SocketObs['nodes'][number]['asked'] = [];
        for (const c of candidates) {
          const info = await socketCommand(l, h.container, c, 'show info');
          const haproxy = /^Name:\s*HAProxy/m.test(info);
          const admin = haproxy ? (await socketCommand(l, h.container, c, ADMIN_PROBE)).trim().slice(0, 200) : '';
          asked.push({ socket: c, haproxy, version: /^Version:\s*(\S+)/m.exec(info)?.[1] ?? null, admin });
          if (/no such backend/i.test(admin)) break;
        }
        return { node: h.node, candidates, asked };
      }),
    );
    return { nodes };
  },
  decide: decideRuntimeSocket,
});

async function logText(l: LabHandle, container: string, sinceSec: number): Promise<string> {
  const stream = await l.runtime.logs(container, { follow: false, since: sinceSec });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

interface LogObs {
  port: number;
  nodes: { node: string; address: string; answer: Brief; logged: boolean }[];
}

export function decideLogs(o: LogObs): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  for (const n of o.nodes) {
    if (!n.answer.ok) problems.push({ node: n.node, msg: M.markerFailed(o.port, seen(n.answer)) });
    else if (!n.logged) problems.push({ node: n.node, msg: M.noLogLine(n.answer.status) });
  }
  if (problems.length) return fail(listSome(perNode(problems)));
  return pass(M.logsOk(o.nodes.map((n) => n.node)));
}

export const logReachesStdout = defineProbe<ProbeOf<'log-reaches-stdout'>, LogObs>({
  kind: 'log-reaches-stdout',
  needs: 'lab',
  traffic: 'traffic',
  skipReason: M.needsContainers,
  async observe(ctx, p) {
    const l = lab(ctx.lab);
    const since = Math.floor(Date.now() / 1000) - 1;
    const nodes = await Promise.all(
      ctx.haproxy.map(async (e) => {
        const container = l.haproxy.find((h) => h.node === e.name)!.container;
        const marker = `/lab-check-log-${randomBytes(4).toString('hex')}`;
        let answer: Brief | undefined;
        let address = e.address;
        for (const a of e.addresses) {
          const [r] = await e.http.batch([{ scheme: 'http', host: a, port: p.port, path: marker, timeoutMs: 3000, connectTo: a }]);
          answer ??= brief(r!);
          if (r!.ok) {
            answer = brief(r!);
            address = a;
            break;
          }
        }
        let logged = false;
        // HAProxy writes the line when the request ends; give the log a moment to arrive.
        for (let i = 0; answer!.ok && i < 8 && !logged; i++) {
          logged = (await logText(l, container, since)).includes(marker);
          if (!logged) await sleep(150);
        }
        return { node: e.name, address, answer: answer!, logged };
      }),
    );
    return { port: p.port, nodes };
  },
  decide: decideLogs,
});
