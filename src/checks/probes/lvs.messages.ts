// Messages of the exp7 probes (probes/lvs.ts): the LVS tier.
import type { Text } from '../types.js';
import { t } from '../types.js';
import type { MasterDown } from '../../forwarding/keepalived-config.js';

const s1 = (ms: number) => (ms / 1000).toFixed(1);

export const M = {
  splitBrain: (who: string[], vip: string) => t(`${who.join(' and ')} both hold the VIP ${vip}: a split brain`, `${who.join(' 和 ')} 同时持有 VIP ${vip}：脑裂`),
  nobody: (vip: string) => t(`no director holds the VIP ${vip}`, `没有任何 director 持有 VIP ${vip}`),
  flaps: (who: string[], vip: string) =>
    t(`the VIP ${vip} moved between ${who.join(' and ')} with nothing failing`, `VIP ${vip} 在没有故障时在 ${who.join(' 和 ')} 之间来回移动`),
  oneHolder: (who: string, vip: string) => t(`${who} alone holds the VIP ${vip}, steadily`, `只有 ${who} 持有 VIP ${vip}，且保持稳定`),
  notOneBefore: (who: string[], vip: string) =>
    t(
      `before the fault ${who.length ? `${who.join(' and ')} hold` : 'nobody holds'} the VIP ${vip}; one director must`,
      `故障之前 ${who.length ? `${who.join(' 和 ')} 同时持有` : '没有人持有'} VIP ${vip}；应恰好一台 director 持有`,
    ),
  nothingBefore: (vip: string) => t(`before the fault no request through the VIP ${vip} succeeded`, `故障之前，经 VIP ${vip} 的请求没有一个成功`),
  noTakeover: (stopped: string, other: string, ms: number, moved?: number, lateMs?: number) => {
    const late =
      lateMs === undefined
        ? t('', '')
        : t(
            ` (lab's watcher in ${other} started ${s1(lateMs)} s after the fault, so it may have been sooner: run the check again)`,
            `（lab 在 ${other} 里的观察进程在故障 ${s1(lateMs)} 秒后才开始，实际接管可能更早：请再运行一次检查）`,
          );
    const said =
      moved === undefined
        ? t(`killed ${stopped}, which held the VIP: ${other} did not take it within ${ms / 1000} s`, `杀掉了持有 VIP 的 ${stopped}：${other} 在 ${ms / 1000} 秒内没有接管`)
        : t(
            `killed ${stopped}, which held the VIP: ${other} took it only ${s1(moved)} s later, over ${ms / 1000} s`,
            `杀掉了持有 VIP 的 ${stopped}：${other} 过了 ${s1(moved)} 秒才接管，超过 ${ms / 1000} 秒`,
          );
    return t(said.en + late.en, said.zh + late.zh);
  },
  heldBefore: (stopped: string, other: string, ms: number) =>
    t(
      `${other} already held the VIP ${s1(ms)} s before ${stopped} was killed: no takeover to time ` +
        '(the VIP moved with nothing failing: a split brain, a preemption still settling, or a VIP that moves by itself)',
      `在杀掉 ${stopped} 之前 ${s1(ms)} 秒，${other} 已经持有 VIP：没有可计时的接管（没有故障时 VIP 就移动了：脑裂、抢占尚未稳定，或 VIP 自己在漂移）`,
    ),
  slowByConfig: (stopped: string, other: string, moved: number, w: MasterDown, ms: number) => {
    const group = w.viaGroup ? t(`, in sync group ${w.viaGroup} with the VIP's instance`, `，与 VIP 的实例同在同步组 ${w.viaGroup}`) : t('', '');
    // What brings it under the limit: advert_int where it is over 1 s, else fewer missed adverts.
    const fix =
      w.advertInt <= 1 && w.adverts > 3
        ? t('lower down_timer_adverts (3 by default)', '请调小 down_timer_adverts（默认 3）')
        : t(`make ${w.instance}'s advert_int smaller`, `请调小 ${w.instance} 的 advert_int`);
    return t(
      `${other} took the VIP ${s1(moved)} s after ${stopped} died this time, but your configs let a takeover take up to ${s1(w.seconds * 1000)} s ` +
        `(${w.instance}${group.en}: ${w.adverts} missed adverts × advert_int ${w.advertInt} s + skew ${w.skew.toFixed(2)} s), over ${ms / 1000} s: ${fix.en}`,
      `这次 ${other} 在 ${stopped} 停止 ${s1(moved)} 秒后接管了 VIP，但按你的配置，接管最长可能要 ${s1(w.seconds * 1000)} 秒` +
        `（${w.instance}${group.zh}：${w.adverts} 个未收到的通告 × advert_int ${w.advertInt} 秒 + skew ${w.skew.toFixed(2)} 秒），超过 ${ms / 1000} 秒：${fix.zh}`,
    );
  },
  stillFailing: (other: string, moved: number, at: number, failed: number) =>
    t(
      `the VIP moved to ${other} after ${s1(moved)} s, but requests still failed ${s1(at)} s after the fault (${failed} failed)`,
      `VIP 在 ${s1(moved)} 秒后移到 ${other}，但故障 ${s1(at)} 秒后请求仍失败（失败 ${failed} 个）`,
    ),
  tiedPriority: (stopped: string, other: string, prio: number) =>
    t(
      `${stopped} and ${other} both give the VIP priority ${prio}: after a failover VRRP breaks the tie by address, so who holds the VIP ` +
        'is not what your configs say; give the BACKUP a lower priority (the MASTER is the one with the higher priority)',
      `${stopped} 和 ${other} 给 VIP 的 priority 都是 ${prio}：故障切换后 VRRP 按地址大小打破平局，VIP 归谁不由你的配置决定；` +
        '请让 BACKUP 的 priority 更低（priority 高的才是 MASTER）',
    ),
  wrongReturn: (stopped: string, other: string, now: string, back: boolean, why: string) =>
    t(
      `after ${stopped} came back the VIP is held by ${now}; your configs say it should ${back ? `return to ${stopped}` : `stay on ${other}`} (${why})`,
      `${stopped} 恢复后 VIP 由 ${now} 持有；按你的配置它应该${back ? `回到 ${stopped}` : `留在 ${other}`}（${why}）`,
    ),
  failoverOk: (stopped: string, other: string, moved: number, failed: number, at: number, back: boolean) =>
    t(
      `${other} took the VIP ${s1(moved)} s after ${stopped} died; ${failed} request(s) failed, all succeeded again ${s1(at)} s after the fault; ` +
        `on return the VIP ${back ? `went back to ${stopped}` : `stayed on ${other}`}, as configured`,
      `${stopped} 故障 ${s1(moved)} 秒后 ${other} 接管 VIP；失败 ${failed} 个请求，故障 ${s1(at)} 秒后全部恢复；` +
        `恢复后 VIP ${back ? `回到 ${stopped}` : `留在 ${other}`}，与配置一致`,
    ),
  noVirtualServer: (port: number) => t(`no virtual_server for VIP:${port}`, `没有 VIP:${port} 的 virtual_server`),
  missingReal: (port: number, who: string[]) =>
    t(`VIP:${port} does not forward to ${who.join(' and ')}: both HAProxy nodes belong behind the VIP`, `VIP:${port} 没有转发到 ${who.join(' 和 ')}：两台 HAProxy 都应在 VIP 之后`),
  fewArrived: (port: number, sent: number, got: number) =>
    t(`of ${sent} requests to VIP:${port}, only ${got} reached HAProxy`, `发往 VIP:${port} 的 ${sent} 个请求中只有 ${got} 个到达 HAProxy`),
  wrongSpread: (port: number, algo: string, got: string, want: string) =>
    t(`VIP:${port} (${algo}): ${got}; your weights say ${want}`, `VIP:${port}（${algo}）：${got}；按你的权重应为 ${want}`),
  wrongTurns: (port: number, got: string, want: string) =>
    t(`VIP:${port} (rr, which takes turns whatever the weights): ${got}; expected ${want}`, `VIP:${port}（rr 轮流分配，不看权重）：${got}；应为 ${want}`),
  standbyNoVs: (node: string, port: number) =>
    t(
      `${node}'s config has no virtual_server for VIP:${port}: after a failover to ${node}, VIP:${port} stops answering`,
      `${node} 的配置里没有 VIP:${port} 的 virtual_server：切换到 ${node} 之后，VIP:${port} 就不再应答`,
    ),
  standbyMissing: (node: string, port: number, who: string[]) =>
    t(
      `${node}'s virtual_server for VIP:${port} does not forward to ${who.join(' and ')}: after a failover to ${node}, only part of HAProxy is used`,
      `${node} 的 VIP:${port} virtual_server 没有转发到 ${who.join(' 和 ')}：切换到 ${node} 之后只用到部分 HAProxy`,
    ),
  spreadOk: (text: string) => t(`both HAProxy nodes share the traffic as configured: ${text}`, `两台 HAProxy 按配置分担流量：${text}`),
  noNode: (node: string) => t(`the lab has no running ${node}`, `实验环境中没有运行中的 ${node}`),
  notTakenOut: (node: string, ms: number, ports: number[]) =>
    t(
      `stopped ${node}: after ${ms / 1000} s the directors still sent it new connections (requests${ports.length ? ` to ${ports.map((x) => `VIP:${x}`).join(' and ')}` : ''} kept failing)`,
      `停止了 ${node}：${ms / 1000} 秒后 director 仍把新连接发给它（${ports.length ? `发往 ${ports.map((x) => `VIP:${x}`).join(' 和 ')} 的` : ''}请求持续失败）`,
    ),
  notBack: (node: string) => t(`${node} was taken out, but after it came back it got no traffic again`, `${node} 被摘除后恢复运行，却再也没有收到流量`),
  healthOk: (node: string, ms: number, served: number) =>
    t(
      `stopped ${node}: the directors took it out within ${s1(ms)} s; back, it served ${served} request(s) again`,
      `停止 ${node} 后 ${s1(ms)} 秒内被摘除；恢复后又处理了 ${served} 个请求`,
    ),
  noIpvs: t(
    'skip: kernel lacks ip_vs (lab forwards with nftables from your virtual_server blocks instead)',
    '跳过：内核没有 ip_vs（lab 改用 nftables 按你的 virtual_server 转发）',
  ),
  ipvsFailed: (line: string) => t(`ipvsadm -Ln failed: ${line}`, `ipvsadm -Ln 失败：${line}`),
  ipvsLacks: (what: string[]) => t(`the IPVS table lacks ${what.join(', ')}`, `IPVS 表中缺少 ${what.join('、')}`),
  ipvsOk: (what: string) => t(`IPVS forwards ${what} to both HAProxy nodes`, `IPVS 把 ${what} 转发到两台 HAProxy`),
  needsLab: t("needs the lab's directors; with --target this is graded on the lab only", '需要实验环境中的 director；使用 --target 时无法评判'),
} satisfies Record<string, Text | ((...args: never[]) => Text)>;
