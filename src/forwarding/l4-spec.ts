// From keepalived's virtual_server blocks to the spec lab's layer-4 forwarder reads on kernels without
// IPVS (templates/images/director/l4-forward.pl, which documents the format at its top), so that the
// same keepalived.conf means the same with IPVS and without it.
//
// Emulated: protocol TCP, lb_kind NAT, lb_algo rr and wrr (weights; weight 0 takes no new connections),
// TCP_CHECK with connect_ip, connect_port, connect_timeout, retry, delay_before_retry, delay_loop,
// warmup and alpha, inherited from real_server and virtual_server as keepalived does. A real server
// without a checker is always alive; with several TCP_CHECKs it is alive when all of them are.
// Everything else that changes where a connection goes is refused with its file:line and the fix.

import path from 'node:path';
import { FileError } from '../util/errors.js';
import { isValid, virtualServers, type ParsedKeepalived, type VirtualServer } from './keepalived-config.js';

export const L4_SPEC_VERSION = 1;
export const EMULATED_ALGOS = ['rr', 'wrr'] as const;

export interface L4Problem {
  file: string;
  line: number;
  message: string;
  hint: string;
}

/** The configuration cannot be forwarded by lab's nftables fallback (or does not parse). */
export class L4SpecError extends FileError {
  readonly problems: L4Problem[];
  constructor(problems: L4Problem[]) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(first.file, first.line, `${first.message}${more}`, { hint: first.hint });
    this.problems = problems;
  }
}

const IPVS_ONLY = 'This kernel has no IPVS, so lab forwards with nftables';

/** Keywords that change forwarding and are not emulated, with the fix. */
const REFUSED_OPTIONS: Record<string, string> = {
  persistence_timeout: 'remove persistence_timeout (the nftables fallback has no persistence; with IPVS it works)',
  persistence_granularity: 'remove persistence_granularity (no persistence on the nftables fallback)',
  persistence_engine: 'remove persistence_engine (no persistence on the nftables fallback)',
  sorry_server: 'remove sorry_server (not emulated on the nftables fallback)',
  sorry_server_inhibit: 'remove sorry_server_inhibit (not emulated on the nftables fallback)',
  sorry_server_lvs_method: 'remove sorry_server_lvs_method (not emulated on the nftables fallback)',
  ops: 'remove ops (one-packet scheduling is UDP only)',
  hashed: 'remove hashed', 'flag-1': 'remove flag-1', 'flag-2': 'remove flag-2', 'flag-3': 'remove flag-3',
  'sh-port': 'remove sh-port', 'sh-fallback': 'remove sh-fallback', 'mh-port': 'remove mh-port', 'mh-fallback': 'remove mh-fallback',
  uthreshold: 'remove uthreshold (connection thresholds are not emulated)',
  lthreshold: 'remove lthreshold (connection thresholds are not emulated)',
  ip_family: 'remove ip_family (the nftables fallback forwards IPv4 only)',
};

/** Everything in the configuration that the nftables fallback cannot do as IPVS would. */
export function l4SpecProblems(parsed: ParsedKeepalived): L4Problem[] {
  const problems: L4Problem[] = [];
  if (!isValid(parsed)) {
    for (const e of parsed.errors) {
      if (e.severity === 'error' && (e.section === 'syntax' || e.section === 'check')) problems.push({ file: e.file, line: e.line, message: e.message, hint: e.hint });
    }
  }
  for (const vs of virtualServers(parsed)) problems.push(...vsProblems(vs));
  const order = (f: string) => (parsed.files.includes(f) ? parsed.files.indexOf(f) : parsed.files.length);
  return problems.map((p, i) => ({ p, i })).sort((a, b) => order(a.p.file) - order(b.p.file) || a.p.line - b.p.line || a.i - b.i).map(({ p }) => p);
}

function vsProblems(vs: VirtualServer): L4Problem[] {
  const out: L4Problem[] = [];
  const at = (o: { file: string; line: number }, message: string, hint: string) => out.push({ file: o.file, line: o.line, message, hint });
  if (vs.group !== undefined) at(vs, `virtual_server group ${vs.group}: ${IPVS_ONLY}, which forwards one address and port per virtual_server`, 'Write one virtual_server <VIP> <port> block per address instead of a virtual_server_group.');
  if (vs.fwmark !== undefined) at(vs, `virtual_server fwmark ${vs.fwmark}: ${IPVS_ONLY}, which does not forward by firewall mark`, 'Write virtual_server <VIP> <port> blocks instead of fwmark.');
  if (vs.family === 'inet6') at(vs, `virtual_server ${vs.vip}: ${IPVS_ONLY}, which forwards IPv4 only`, 'Use an IPv4 virtual address.');
  if (vs.vip !== undefined && vs.protocol !== 'TCP') at(vs.locations.protocol ?? vs, `virtual_server ${vs.vip} ${vs.port}: protocol ${vs.protocol} is not forwarded: ${IPVS_ONLY}, which forwards TCP only`, 'Use protocol TCP.');
  if (!(EMULATED_ALGOS as readonly string[]).includes(vs.lbAlgo)) {
    at(vs.locations.lb_algo ?? vs.locations.lvs_sched ?? vs, `lb_algo ${vs.lbAlgo}: ${IPVS_ONLY}, which emulates lb_algo rr and wrr only`, `Use lb_algo rr or wrr (${vs.lbAlgo} needs IPVS).`);
  }
  for (const o of vs.options) {
    const fix = REFUSED_OPTIONS[o.keyword];
    if (fix) at(o, `${o.keyword}: not emulated: ${IPVS_ONLY}`, `${fix[0]!.toUpperCase()}${fix.slice(1)}.`);
  }
  const kindFix = (k: string) => `Use lb_kind NAT: the real servers route replies through the director (${k} needs IPVS${k === 'DR' ? ' and the VIP on every real server' : ''}).`;
  if (vs.lbKind !== 'NAT') {
    at(vs.locations.lb_kind ?? vs.locations.lvs_method ?? vs, `lb_kind ${vs.lbKind}: ${IPVS_ONLY}, which emulates lb_kind NAT only`, kindFix(vs.lbKind));
  }
  for (const rs of vs.realServers) {
    if (rs.lbKind !== 'NAT' && rs.locations.lvs_method) {
      at(rs.locations.lvs_method, `lvs_method ${rs.lbKind} (real server ${rs.ip}): ${IPVS_ONLY}, which emulates lb_kind NAT only`, kindFix(rs.lbKind));
    }
    for (const o of rs.options) {
      const fix = REFUSED_OPTIONS[o.keyword];
      if (fix) at(o, `${o.keyword}: not emulated: ${IPVS_ONLY}`, `${fix[0]!.toUpperCase()}${fix.slice(1)}.`);
    }
    for (const c of rs.checkers) {
      if (c.type !== 'TCP_CHECK') {
        at(c, `${c.type} (real server ${rs.ip}): ${IPVS_ONLY}, whose health checks are TCP_CHECK only`, `Use TCP_CHECK { connect_port … } instead of ${c.type}.`);
        continue;
      }
      const t = c.tcp!;
      if (!t.connectPort) at(c, `TCP_CHECK of real server ${rs.ip} has no port to connect to`, 'Give the real_server a port, or add connect_port to the TCP_CHECK.');
      if (t.connectIp.includes(':')) at(c, `TCP_CHECK connect_ip ${t.connectIp}: IPv6 checks are not emulated`, 'Use an IPv4 connect_ip.');
      if (t.bind) at(c, `TCP_CHECK bindto/bind_port/bind_if/fwmark: not emulated: ${IPVS_ONLY}`, 'Remove bindto, bind_port, bind_if and fwmark from the TCP_CHECK.');
    }
  }
  return out;
}

const num = (s: number) => {
  const t = s.toFixed(6).replace(/\.?0+$/, '');
  return t === '' ? '0' : t;
};

/**
 * The forwarder's spec for a parsed keepalived.conf. Throws L4SpecError (with every problem, the first
 * in its message) when the configuration does not parse or asks for something not emulated.
 */
export function l4Spec(parsed: ParsedKeepalived): string {
  const problems = l4SpecProblems(parsed);
  if (problems.length) throw new L4SpecError(problems);
  const lines = [
    `lab-l4 ${L4_SPEC_VERSION}`,
    `# Generated by lab from ${path.basename(parsed.options.file)}; read by lab-l4-forward (templates/images/director/l4-forward.pl).`,
  ];
  for (const vs of virtualServers(parsed)) {
    lines.push(`# ${path.basename(vs.file)}:${vs.line} virtual_server ${vs.vip} ${vs.port}`);
    lines.push(`vs ${vs.vip} ${vs.port} ${vs.lbAlgo}`);
    for (const rs of vs.realServers) {
      lines.push(`rs ${rs.ip} ${rs.port} ${rs.weight}`);
      for (const c of rs.checkers) {
        const t = c.tcp!;
        lines.push(`check ${t.connectIp} ${t.connectPort} ${num(t.connectTimeout)} ${t.retry} ${num(t.delayBeforeRetry)} ${num(t.delayLoop)} ${num(t.warmup)} ${t.alpha ? 1 : 0}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
