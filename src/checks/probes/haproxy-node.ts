// Probes that need the HAProxy containers themselves: `haproxy -c`, the runtime socket, and the log
// reaching the container's stdout (what `lab logs` shows). Skipped with --target.
import { randomBytes } from 'node:crypto';
import { haproxyValidator } from '../../apply/services.js';
import { statsSockets } from '../haproxy-config.js';
import type { ProbeOf } from '../schema.js';
import { MASTER_SOCKET, showStat } from '../stats.js';
import type { Text, LabHandle, ProbeImpl } from '../types.js';
import { t } from '../types.js';
import { fail, listSome, pass, perNode, seen } from './util.js';
import { sleep } from '../../util/sleep.js';

const NEEDS_CONTAINERS = t(
  "needs the lab's HAProxy containers; with --target this is graded on the lab only",
  '需要实验环境中的 HAProxy 容器；使用 --target 时无法评判',
);

function lab(l: LabHandle | undefined): LabHandle {
  if (!l) throw new Error('this probe needs a running lab');
  return l;
}

export const haproxyConfigValid: ProbeImpl<ProbeOf<'haproxy-config-valid'>> = {
  kind: 'haproxy-config-valid',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: NEEDS_CONTAINERS,
  async run(ctx, p) {
    const l = lab(ctx.lab);
    const node = l.haproxy[0]!;
    const v = haproxyValidator;
    const [r, rows] = await Promise.all([l.runtime.exec(node.container, v.cmd, { timeoutMs: 15_000 }), p.backendsUp ? showStat(l, node.container) : Promise.resolve([])]);
    if (r.exitCode !== 0) {
      const out = `${r.stdout}\n${r.stderr}`;
      const first =
        out.split('\n').find((x) => /\[ALERT\]/.test(x)) ?? out.split('\n').find((x) => /will not start|error/i.test(x)) ?? out.trim().split('\n')[0] ?? '';
      const line = first.replace(/^\[[A-Z]+\]\s*\(\d+\)\s*:\s*/, '').trim().replace(/\.+$/, '');
      const block = /'block' directive/.test(out);
      return fail(
        t(
          `haproxy -c rejects the config (exit ${r.exitCode}): ${line}. HAProxy keeps running its last good config; the other checks grade that.`,
          `haproxy -c 未通过（退出码 ${r.exitCode}）：${line}。HAProxy 仍在运行上一份有效配置，其他检查评判的是它。`,
        ),
        block ? t('Errata 1: `block` is gone since HAProxy 2.1; the same condition works with `http-request deny`.', '勘误 1：`block` 自 HAProxy 2.1 起已移除，同样的条件可用于 `http-request deny`。') : undefined,
      );
    }
    if (p.backendsUp) {
      const servers = rows.filter((x) => x.svname !== 'FRONTEND' && x.svname !== 'BACKEND');
      const up = new Set(servers.filter((x) => /^UP|^no check/.test(x.status)).map((x) => x.pxname));
      if (up.size < p.backendsUp) {
        return fail(
          t(
            `haproxy -c passes, but the running HAProxy has ${up.size} backend(s) with a server up${up.size ? ` (${[...up].join(', ')})` : ''}; expected at least ${p.backendsUp}`,
            `haproxy -c 通过，但运行中的 HAProxy 只有 ${up.size} 个 backend 有可用 server${up.size ? `（${[...up].join('、')}）` : ''}，应至少 ${p.backendsUp} 个`,
          ),
        );
      }
      return pass(t(`haproxy -c passes; ${up.size} backends have a server up`, `haproxy -c 通过；${up.size} 个 backend 有可用 server`));
    }
    return pass(t('haproxy -c passes', 'haproxy -c 通过'));
  },
};

/** Listening unix sockets in the container (paths HAProxy bound, minus the `.<pid>.tmp` it binds first). */
function listeningUnix(procNetUnix: string): string[] {
  const paths = new Set<string>();
  for (const l of procNetUnix.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    // Flags 00010000 = __SO_ACCEPTCON (listening); the path is the 8th column.
    if (f.length >= 8 && f[3] === '00010000' && f[7]!.startsWith('/')) paths.add(f[7]!.replace(/\.\d+\.tmp$/, ''));
  }
  return [...paths].filter((x) => !x.startsWith(MASTER_SOCKET));
}

export const runtimeSocket: ProbeImpl<ProbeOf<'runtime-socket'>> = {
  kind: 'runtime-socket',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: NEEDS_CONTAINERS,
  async run(ctx, p) {
    const l = lab(ctx.lab);
    const cfg = ctx.haproxyConfig ? await ctx.haproxyConfig() : '';
    const declared = statsSockets(cfg);
    const problems: { node: string; msg: Text }[] = [];
    const answered: string[] = [];
    await Promise.all(
      l.haproxy.map(async (h) => {
        const unix = await l.runtime.exec(h.container, ['cat', '/proc/net/unix'], { timeoutMs: 5000 });
        const candidates = [...new Set([...(p.path ? [p.path] : []), ...declared, ...listeningUnix(unix.stdout)])];
        if (candidates.length === 0) {
          problems.push({ node: h.node, msg: t('HAProxy listens on no runtime socket (no `stats socket` in global)', 'HAProxy 没有监听任何运行时 socket（global 中没有 `stats socket`）') });
          return;
        }
        for (const c of candidates) {
          const m = /^(?:ipv4@|ipv6@)?([^/].*):(\d+)$/.exec(c);
          const addr = m ? `TCP:${m[1] === '' || m[1] === '*' ? '127.0.0.1' : m[1]}:${m[2]}` : `UNIX-CONNECT:${c.replace(/^unix@/, '')}`;
          const r = await l.runtime.exec(h.container, ['sh', '-c', `echo "show info" | socat -t2 - ${addr}`], { timeoutMs: 5000 });
          const ver = /^Version:\s*(\S+)/m.exec(r.stdout);
          if (/^Name:\s*HAProxy/m.test(r.stdout)) {
            answered.push(`${h.node}: ${c}${ver ? ` (HAProxy ${ver[1]})` : ''}`);
            return;
          }
        }
        problems.push({ node: h.node, msg: t(`\`show info\` got no answer on ${candidates.join(', ')}`, `在 ${candidates.join('、')} 上执行 \`show info\` 没有应答`) });
      }),
    );
    if (problems.length) return fail(listSome(perNode(problems)));
    return pass(t(`\`show info\` answers on ${answered.join('; ')}`, `\`show info\` 有应答：${answered.join('；')}`));
  },
};

async function logText(l: LabHandle, container: string, sinceSec: number): Promise<string> {
  const stream = await l.runtime.logs(container, { follow: false, since: sinceSec });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}


export const logReachesStdout: ProbeImpl<ProbeOf<'log-reaches-stdout'>> = {
  kind: 'log-reaches-stdout',
  needs: 'lab',
  traffic: 'traffic',
  skipReason: NEEDS_CONTAINERS,
  async run(ctx, p) {
    const l = lab(ctx.lab);
    const since = Math.floor(Date.now() / 1000) - 1;
    const marker = `/lab-check-log-${randomBytes(4).toString('hex')}`;
    const problems: { node: string; msg: Text }[] = [];
    await Promise.all(
      ctx.haproxy.map(async (e) => {
        const container = l.haproxy.find((h) => h.node === e.name)!.container;
        const [r] = await e.http.batch([{ scheme: 'http', host: e.address, port: p.port, path: marker, timeoutMs: 3000 }]);
        if (!r!.ok) {
          problems.push({ node: e.name, msg: t(`sent GET /lab-check-log-… to port ${p.port} but saw ${seen(r!).en}`, `向 ${p.port} 端口发送 GET /lab-check-log-…，结果为${seen(r!).zh}`) });
          return;
        }
        // HAProxy writes the line when the request ends; give the log a moment to arrive.
        for (let i = 0; i < 8; i++) {
          if ((await logText(l, container, since)).includes(marker)) return;
          await sleep(150);
        }
        problems.push({
          node: e.name,
          msg: t(`GET /lab-check-log-… was answered (${r!.status}), but no log line with it reached \`lab logs\``, `GET /lab-check-log-… 已得到应答（${r!.status}），但 \`lab logs\` 中没有出现对应的日志行`),
        });
      }),
    );
    if (problems.length) return fail(listSome(perNode(problems)));
    return pass(t(`an HTTP request shows up in \`lab logs\` of ${ctx.haproxy.map((e) => e.name).join(' and ')}`, `HTTP 请求出现在 ${ctx.haproxy.map((e) => e.name).join(' 和 ')} 的 \`lab logs\` 中`));
  },
};
