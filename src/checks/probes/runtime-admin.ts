// exp6 (the tutorial's runtime socket section): the student's stats socket accepts admin commands
// (`level admin`), on every HAProxy node: `disable server`, `set server … state …` and `enable server`
// are refused at levels user and operator. Asked with `show cli level`; where that says nothing, an
// admin command on a backend that does not exist (`No such backend.` at admin, `Permission denied` below).
import { defineProbe } from './define.js';
import type { ProbeOf } from '../schema.js';
import type { Outcome, ProbeImpl, Text } from '../types.js';
import { t } from '../types.js';
import { runtimeSockets, socketCommand } from './node-ops.js';
import { fail, listSome, pass, perNode } from './util.js';

type Params = ProbeOf<'runtime-admin'>;

export interface AdminObservations {
  nodes: { node: string; sockets: { socket: string; info: boolean; level: string; probe: string }[] }[];
}

export const MESSAGES = {
  noSocket: () => t('HAProxy listens on no runtime socket (no `stats socket` in global)', 'HAProxy 没有监听任何运行时 socket（global 中没有 `stats socket`）'),
  noAnswer: (list: string) => t(`\`show info\` got no answer on ${list}`, `在 ${list} 上执行 \`show info\` 没有应答`),
  level: (socket: string, level: string) =>
    t(`${socket} answers at level ${level}: \`disable server\`, \`set server\` and \`enable server\` are refused ("Permission denied")`,
      `${socket} 的权限级别是 ${level}：\`disable server\`、\`set server\` 和 \`enable server\` 都会被拒绝（"Permission denied"）`),
  passed: (list: string) => t(`the runtime socket accepts admin commands: ${list}`, `运行时 socket 接受管理命令：${list}`),
};

/** The level a socket grants, from `show cli level` or, failing that, the answer to an admin command. */
export function levelOf(s: { level: string; probe: string }): string {
  const l = s.level.trim();
  if (/^(admin|operator|user)$/.test(l)) return l;
  if (/No such (backend|server)/i.test(s.probe)) return 'admin';
  if (/Permission denied/i.test(s.probe)) return 'user or operator';
  return 'unknown';
}

export function decide(obs: AdminObservations): Outcome {
  const problems: { node: string; msg: Text }[] = [];
  const ok: string[] = [];
  for (const n of obs.nodes) {
    if (n.sockets.length === 0) {
      problems.push({ node: n.node, msg: MESSAGES.noSocket() });
      continue;
    }
    const answering = n.sockets.filter((s) => s.info);
    if (answering.length === 0) {
      problems.push({ node: n.node, msg: MESSAGES.noAnswer(n.sockets.map((s) => s.socket).join(', ')) });
      continue;
    }
    const admin = answering.find((s) => levelOf(s) === 'admin');
    if (admin) ok.push(`${n.node}: ${admin.socket}`);
    else problems.push({ node: n.node, msg: MESSAGES.level(answering[0]!.socket, levelOf(answering[0]!)) });
  }
  const out = problems.length || ok.length === 0 ? fail(problems.length ? listSome(perNode(problems)) : MESSAGES.noSocket()) : pass(MESSAGES.passed(ok.join('; ')));
  return { ...out, observed: obs };
}

export const runtimeAdmin = defineProbe<Params, AdminObservations>({
  kind: 'runtime-admin',
  needs: 'lab',
  traffic: 'quiet',
  skipReason: t("needs the lab's HAProxy containers; with --target this is graded on the lab only", '需要实验环境中的 HAProxy 容器；使用 --target 时无法评判'),
  async observe(ctx, p) {
    const lab = ctx.lab!;
    const cfg = ctx.haproxyConfig ? await ctx.haproxyConfig() : '';
    const nodes = await Promise.all(
      lab.haproxy.map(async (h) => {
        const sockets: AdminObservations['nodes'][number]['sockets'] = [];
        for (const socket of await runtimeSockets(lab, h.container, cfg, p.path)) {
          const info = /^Name:\s*HAProxy/m.test(await socketCommand(lab, h.container, socket, 'show info'));
          const level = info ? await socketCommand(lab, h.container, socket, 'show cli level') : '';
          const probe = info && !/^(admin|operator|user)\s*$/.test(level.trim()) ? await socketCommand(lab, h.container, socket, 'disable server lab-check-none/none') : '';
          sockets.push({ socket, info, level: level.trim(), probe: probe.trim() });
        }
        return { node: h.node, sockets };
      }),
    );
    return { nodes };
  },
  decide: (o) => decide(o),
});
