// keepalived 2.2.7 configuration, parsed as keepalived parses it: the line reader of lib/parser.c
// (keepalived-reader.ts), its keyword tables (keepalived-keywords.ts) and the block structure of
// process_stream()/alloc_value_block(); then the parts lab and its graders use are read into plain data
// with keepalived's own defaults and inheritance, and checked the way keepalived checks them:
//
//   virtualServers(parsed)   virtual_server blocks: real servers, weights, checkers, timers
//                            (keepalived/check/check_parser.c, check_data.c validate_check_config, check_api.c)
//   vrrpInstances(parsed)    vrrp_instance blocks (keepalived/vrrp/vrrp_parser.c, vrrp.c vrrp_complete_instance)
//   vrrpSyncGroups(parsed)   vrrp_sync_group blocks (keepalived/vrrp/vrrp_sync.c)
//   vrrpScripts(parsed)      vrrp_script blocks (vrrp_parser.c), and keepalived's script security
//
// Errors are data: { file, line, message, hint, severity, section }. An error here is something
// `keepalived -t` rejects (it exits non-zero on any configuration error, warnings included); a warning is
// something keepalived only logs, or may reject depending on the machine. The keyword names of every
// block are checked; the values of the blocks above. Not modelled (keepalived -t stays the authority
// there): the values inside global_defs (but notification_email), track_*, static_*, bfd and the
// checkers other than TCP_CHECK, and what depends on the machine: interfaces unless `interfaces` is
// given, script files and users, addresses on interfaces. Compared with keepalived -t on randomly
// mutated configurations it agreed on 99.4-100% of them; the rest were those machine-dependent checks.

import { KeepalivedReader, type ReaderIssue, type ReaderOptions, type Severity, type SourceText } from './keepalived-reader.js';
import { ROOT_CONTEXT, type KeywordContext } from './keepalived-keywords.js';
import { TIMER_HZ, isIPv4, readBool, readDecimal, readInt, readSockaddr, readTimer, readUnsigned, type Family } from './keepalived-values.js';
import { isIPv6 } from 'node:net';

export type { SourceText } from './keepalived-reader.js';

/** One keyword line, with the block that follows it (keywords, or data lines for value blocks). */
export interface KeepalivedNode {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  block?: KeepalivedNode[];
}

/** Which part of the configuration an error is about; `syntax` is the reader and the block structure. */
export type Section = 'syntax' | 'global' | 'vrrp' | 'check' | 'other';

export interface KeepalivedError {
  file: string;
  line: number;
  message: string;
  /** One line that names the fix. */
  hint: string;
  severity: Severity;
  section: Section;
}

export interface ParseOptions extends ReaderOptions {
  /** The main file's name, for messages and relative includes. */
  file: string;
  /** The interfaces that exist where keepalived will run. Without it, only `lo` is known (and refused for VRRP). */
  interfaces?: string[];
}

export interface ParsedKeepalived {
  blocks: KeepalivedNode[];
  /** Errors and warnings in file order. */
  errors: KeepalivedError[];
  /** Every file read, the main one first. */
  files: string[];
  /** The options it was parsed with (the analyses below use `interfaces`). */
  options: ParseOptions;
}

export type LbKind = 'NAT' | 'DR' | 'TUN';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type CheckerType = 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'MISC_CHECK' | 'SMTP_CHECK' | 'DNS_CHECK' | 'UDP_CHECK' | 'PING_CHECK' | 'FILE_CHECK' | 'BFD_CHECK';

/** Timers are in seconds (keepalived reads them to the microsecond). */
export interface TcpCheck {
  connectIp: string;
  /** 0 when neither connect_port nor the real server gives one (keepalived then connects to port 0). */
  connectPort: number;
  connectTimeout: number;
  /** Failures after the first before the server is taken out; `nb_get_retry` is HTTP_GET/SSL_GET only. */
  retry: number;
  delayBeforeRetry: number;
  delayLoop: number;
  /** The first check comes a random time between 0 and warmup after start (keepalived adds 1 s). */
  warmup: number;
  /** alpha: the server starts as failed until its first check succeeds. */
  alpha: boolean;
  /** bindto / bind_port / bind_if / fwmark, as written. */
  bind?: { address?: string; port?: number; iface?: string; fwmark?: number };
  file: string;
  line: number;
}

export interface Checker {
  type: CheckerType;
  file: string;
  line: number;
  /** For TCP_CHECK. */
  tcp?: TcpCheck;
}

export interface RealServer {
  ip: string;
  /** Effective port: for NAT, the virtual server's when the real server gives none. */
  port: number;
  weight: number;
  lbKind: LbKind;
  checkers: Checker[];
  /** The first TCP_CHECK, if any. */
  tcpCheck?: TcpCheck;
  /** Keywords given that lab's layer-4 forwarder has to know about: [keyword, file, line]. */
  options: { keyword: string; args: string[]; file: string; line: number }[];
  /** Where each keyword of the block was given (the last time, which is the one keepalived uses). */
  locations: Record<string, { file: string; line: number }>;
  file: string;
  line: number;
}

export interface VirtualServer {
  /** The address, for `virtual_server IP PORT`. */
  vip?: string;
  family?: Family;
  port: number;
  fwmark?: number;
  group?: string;
  /** As keepalived sets it: UDP when not given (an error). */
  protocol: Protocol;
  /** As keepalived sets it: wlc when not given (an error). */
  lbAlgo: string;
  /** As keepalived sets it: NAT when not given (an error). */
  lbKind: LbKind;
  delayLoop: number;
  connectTimeout: number;
  persistenceTimeout?: number;
  quorum: number;
  hysteresis: number;
  alpha: boolean;
  sorryServer?: { ip: string; port: number; file: string; line: number };
  realServers: RealServer[];
  /** Keywords given that lab's layer-4 forwarder has to know about. */
  options: { keyword: string; args: string[]; file: string; line: number }[];
  /** Where each keyword of the block was given (the last time, which is the one keepalived uses). */
  locations: Record<string, { file: string; line: number }>;
  file: string;
  line: number;
}

export interface VrrpInstance {
  name: string;
  /** As keepalived derives it: from priority 255 when not given. */
  state: 'MASTER' | 'BACKUP';
  interface?: string;
  virtualRouterId?: number;
  /** As keepalived derives it: 255 for state MASTER without a priority, else 100. */
  priority: number;
  /** Seconds, after keepalived's rounding (whole seconds for VRRP version 2). */
  advertInt: number;
  /** Adverts a BACKUP misses before it takes over (keepalived's default 3); set only when the config gives it. */
  downTimerAdverts?: number;
  version: 2 | 3;
  /** Effective: keepalived clears nopreempt for state MASTER or priority 255 (and reports it). */
  nopreempt: boolean;
  /** Seconds; effective, like nopreempt. */
  preemptDelay: number;
  /** The addresses as written, with their prefix length: ["172.28.0.100/24"]. */
  virtualIpaddress: string[];
  unicastPeers: string[];
  authentication?: { type: 'PASS' | 'AH'; pass: string };
  trackScripts: string[];
  trackInterfaces: string[];
  syncGroup?: string;
  file: string;
  line: number;
}

export interface VrrpScript {
  name: string;
  /** The command line as written (keepalived splits it itself, quotes and escapes included). */
  script: string;
  /** Seconds. */
  interval: number;
  /** Seconds; keepalived uses the interval when it is 0 (the default). */
  timeout: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  file: string;
  line: number;
}

export interface VrrpSyncGroup {
  name: string;
  /** The member instances that exist, in the order given. */
  instances: string[];
  file: string;
  line: number;
}

// ---------------------------------------------------------------------------------------------------
// Reading: keepalived's process_stream() over the word lines of the reader.

const CHECKER_TYPES = new Set<string>(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK']);

function sectionOf(path: string[]): Section {
  const top = path[0];
  if (top === undefined) return 'syntax';
  if (top === 'global_defs') return 'global';
  if (top === 'virtual_server' || top === 'virtual_server_group' || top === 'SSL') return 'check';
  if (top.startsWith('vrrp_') || top === 'garp_group' || top === 'track_group' || top.startsWith('static_')) return 'vrrp';
  return 'other';
}

/** include_check in global_defs (lib/parser.c include_check_set). */
function includeCheckBits(args: string[], current: number): number {
  const R = 1, M = 2, W = 4, B = 8;
  if (!args.length) return R | M | W | B;
  let bits = current;
  args.forEach((word, i) => {
    const sign = word[0] === '-' ? -1 : word[0] === '+' ? 1 : 0;
    const name = sign ? word.slice(1) : word;
    if (!sign && i === 0) bits = 0;
    const flag = { read: R, match: M, wildcard_match: W, brace_match: B }[name] ?? 0;
    if (!flag) return;
    if (!sign) bits = R | flag;
    else if (sign > 0) bits |= flag;
    else bits &= ~flag;
  });
  return bits;
}

class Collector {
  readonly errors: KeepalivedError[] = [];
  add(at: { file: string; line: number }, message: string, hint: string, section: Section, severity: Severity = 'error') {
    this.errors.push({ file: at.file, line: at.line, message, hint, severity, section });
  }
}

function readStructure(reader: KeepalivedReader, out: Collector): KeepalivedNode[] {
  const root: KeepalivedNode[] = [];
  const walk = (ctx: KeywordContext, path: string[], needBob: boolean, into: KeepalivedNode[]): void => {
    const level = path.length;
    let previous: { keyword: string; known: boolean } | undefined;
    for (;;) {
      const line = reader.next();
      if (!line) return;
      const [keyword, ...args] = line.words as [string, ...string[]];
      const before = previous;
      previous = { keyword, known: ctx.keywords.has(keyword) };
      if (needBob) {
        needBob = false;
        if (keyword === '{' && level > 0) continue;
        out.add(line, `Missing '{' at beginning of configuration block ${path[path.length - 1]}`,
          `Put '{' after ${path[path.length - 1]} on its line.`, sectionOf(path));
      } else if (keyword === '{') {
        const hint = !before || before.keyword === '{' || before.keyword === '}' ? "Remove this '{' and its matching '}'."
          : before.known ? `${before.keyword} takes no block here: remove this '{' and its matching '}'.`
            : `'${before.keyword}' is not a keyword here, so its block is read as part of the enclosing one: fix or remove it.`;
        out.add(line, "Unexpected '{' - ignoring", hint, sectionOf(path));
        continue;
      }
      if (keyword === '}') {
        if (level > 0) return;
        continue; // the reader has reported "Extra '}' found"
      }
      const kind = ctx.keywords.get(keyword);
      if (!kind) {
        out.add(line, `Unknown keyword '${keyword}'`, unknownHint(keyword, ctx, path), sectionOf(path));
        continue;
      }
      const node: KeepalivedNode = { keyword, args, file: line.file, line: line.line };
      into.push(node);
      if (path[0] === 'global_defs' && keyword === 'include_check') reader.includeCheck = includeCheckBits(args, reader.includeCheck);
      if (kind === 'block') {
        node.block = [];
        walk(ctx.blocks.get(keyword)!, [...path, keyword], true, node.block);
      } else if (kind === 'value') {
        node.block = [];
        readValueBlock(node, [...path, keyword]);
      }
    }
  };
  // alloc_value_block(): data lines up to the closing '}'.
  const readValueBlock = (node: KeepalivedNode, path: string[]) => {
    if (node.args.length && node.keyword !== 'virtual_server_group') {
      out.add(node, `Block ${node.keyword} has extra parameters ${node.args[0]} ...`,
        `Write ${node.keyword} on a line of its own, followed by '{', one entry per line, and '}'.`, sectionOf(path));
    }
    let needBob = true;
    for (;;) {
      const line = reader.next();
      if (!line) return;
      let words = line.words;
      if (needBob) {
        needBob = false;
        if (words[0] === '{') {
          if (words.length === 1) continue;
          words = words.slice(1);
        } else {
          out.add(line, `'{' missing from beginning of block ${node.keyword}`, `Put '{' after ${node.keyword}.`, sectionOf(path), 'warning');
        }
      }
      let end = false;
      if (words[words.length - 1] === '}') {
        if (words.length === 1) return;
        end = true;
        words = words.slice(0, -1);
      }
      node.block!.push({ keyword: words[0]!, args: words.slice(1), file: line.file, line: line.line });
      if (end) return;
    }
  };
  walk(ROOT_CONTEXT, [], false, root);
  return root;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function unknownHint(keyword: string, ctx: KeywordContext, path: string[]): string {
  const where = path.length ? `in ${path[path.length - 1]}` : 'at the top level';
  if (keyword === 'nb_get_retry' && path[path.length - 1] === 'TCP_CHECK') return 'TCP_CHECK takes `retry` (nb_get_retry is HTTP_GET/SSL_GET only).';
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of ctx.keywords.keys()) {
    const dist = levenshtein(keyword.toLowerCase(), k.toLowerCase());
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  if (best && bestD <= Math.max(2, Math.floor(keyword.length / 4))) return `Did you mean '${best}'? keepalived 2.2.7 has no '${keyword}' ${where}.`;
  for (const [name, sub] of ctx.blocks) {
    if (sub.keywords.has(keyword)) return `'${keyword}' belongs inside ${name} { … }, not ${where}.`;
  }
  return `keepalived 2.2.7 has no '${keyword}' ${where}: remove it or check its spelling.`;
}

/** Parses keepalived.conf text as keepalived 2.2.7 does. Never throws: problems are in `errors`. */
export function parseKeepalived(text: string, options: ParseOptions): ParsedKeepalived {
  const reader = new KeepalivedReader({ file: options.file, text }, options);
  const out = new Collector();
  const blocks = readStructure(reader, out);
  reader.finish();
  const parsed: ParsedKeepalived = { blocks, errors: [], files: reader.files, options };
  const analysis = analyze(parsed);
  const readerErrors = reader.issues.map((i: ReaderIssue): KeepalivedError => ({ ...i, section: 'syntax' }));
  const all = [...readerErrors, ...out.errors, ...analysis.errors];
  const order = (f: string) => {
    const i = reader.files.indexOf(f);
    return i < 0 ? reader.files.length : i;
  };
  parsed.errors = all
    .map((e, i) => ({ e, i }))
    .sort((a, b) => order(a.e.file) - order(b.e.file) || a.e.line - b.e.line || a.i - b.i)
    .map(({ e }) => e);
  return parsed;
}

/** True when keepalived -t would accept the configuration (as far as this parser can tell). */
export function isValid(parsed: ParsedKeepalived): boolean {
  return !parsed.errors.some((e) => e.severity === 'error');
}

export function virtualServers(parsed: ParsedKeepalived): VirtualServer[] {
  return analyze(parsed).virtualServers;
}

export function vrrpInstances(parsed: ParsedKeepalived): VrrpInstance[] {
  return analyze(parsed).vrrpInstances;
}

/**
 * The longest a BACKUP waits after the MASTER's last advert before it takes over (keepalived's
 * VRRP_MS_DOWN_TIMER): down_timer_adverts × the MASTER's advert interval + skew. The skew is
 * (256 − priority)/256 s in VRRP version 2 and that many advert intervals in version 3, where the BACKUP
 * uses the interval the MASTER advertises; in version 2 the two must agree, so the BACKUP's own is it.
 */
export function masterDownTime(backup: VrrpInstance, master?: VrrpInstance): MasterDown {
  const advertInt = backup.version === 3 && master ? master.advertInt : backup.advertInt;
  const adverts = backup.downTimerAdverts ?? 3;
  const skew = ((256 - backup.priority) / 256) * (backup.version === 3 ? advertInt : 1);
  return { seconds: adverts * advertInt + skew, adverts, advertInt, skew, instance: backup.name };
}

export interface MasterDown {
  seconds: number;
  adverts: number;
  advertInt: number;
  skew: number;
  /** The instance whose timer it is. */
  instance: string;
  /** Its sync group, when the timer is another member's than the instance asked about. */
  viaGroup?: string;
}

/**
 * The longest a BACKUP director's takeover of an instance can take. In a sync group the members go
 * MASTER together, only once each would (vrrp_sync_can_goto_master), so the slowest member's timer
 * counts. Each member's MASTER is the other director's instance of the same name, else of the same
 * virtual_router_id on the same interface.
 */
export function takeoverTime(backup: ParsedKeepalived, master: ParsedKeepalived | undefined, instance: VrrpInstance): MasterDown {
  const mine = vrrpInstances(backup);
  const theirs = master ? vrrpInstances(master) : [];
  const members = instance.syncGroup ? mine.filter((i) => i.syncGroup === instance.syncGroup) : [];
  const peer = (i: VrrpInstance) =>
    theirs.find((t) => t.name === i.name) ?? theirs.find((t) => t.virtualRouterId === i.virtualRouterId && t.interface === i.interface);
  let worst = masterDownTime(instance, peer(instance));
  for (const m of members) {
    const t = masterDownTime(m, peer(m));
    if (t.seconds > worst.seconds) worst = { ...t, viaGroup: instance.syncGroup };
  }
  return worst;
}

export function vrrpSyncGroups(parsed: ParsedKeepalived): VrrpSyncGroup[] {
  return analyze(parsed).syncGroups;
}

export function vrrpScripts(parsed: ParsedKeepalived): VrrpScript[] {
  return analyze(parsed).scripts;
}

// ---------------------------------------------------------------------------------------------------
// Analysis: keepalived's handlers and its validate/complete passes for the parts lab models.

interface Analysis {
  virtualServers: VirtualServer[];
  vrrpInstances: VrrpInstance[];
  syncGroups: VrrpSyncGroup[];
  scripts: VrrpScript[];
  errors: KeepalivedError[];
}

const cache = new WeakMap<ParsedKeepalived, Analysis>();

function analyze(parsed: ParsedKeepalived): Analysis {
  const hit = cache.get(parsed);
  if (hit) return hit;
  const out = new Collector();
  const globals = readGlobals(parsed.blocks);
  const vrrp = analyzeVrrp(parsed.blocks, globals, parsed.options, out);
  const virtual = analyzeCheck(parsed.blocks, out);
  const scripts = analyzeScripts(parsed.blocks, globals, out);
  analyzeGlobals(parsed.blocks, out);
  const result = { ...vrrp, virtualServers: virtual, scripts, errors: out.errors };
  cache.set(parsed, result);
  return result;
}

const seconds = (us: number) => us / TIMER_HZ;

/** Drops the properties left undefined (declared up front only to keep a readable key order). */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** A keyword's first parameter, or an error like keepalived's null_strvec() (which then exits). */
function arg(node: KeepalivedNode, out: Collector, section: Section, index = 0): string | undefined {
  const v = node.args[index];
  if (v === undefined) {
    out.add(node, `Configuration line starting \`${node.keyword}\` is missing a parameter at word position ${index + 2}`,
      `Give ${node.keyword} its value on the same line: ${node.keyword} <value>.`, section);
  }
  return v;
}

interface Globals {
  vrrpVersion: 2 | 3;
  vrrpStrict: boolean;
  scriptSecurity: boolean;
  scriptUser: boolean;
  /** vrrp_down_timer_adverts: the instances' default down_timer_adverts. */
  downTimerAdverts?: number;
}

/** Checks in global_defs that the parser models (its other values are keepalived -t's to judge). */
function analyzeGlobals(blocks: KeepalivedNode[], out: Collector) {
  for (const b of blocks) {
    if (b.keyword !== 'global_defs') continue;
    for (const n of b.block ?? []) {
      if (n.keyword === 'notification_email' && !n.block?.length) {
        out.add(n, 'Warning - empty notification_email block', 'List at least one address in notification_email { … }, or remove it.', 'global');
      }
    }
  }
}

function readGlobals(blocks: KeepalivedNode[]): Globals {
  const g: Globals = { vrrpVersion: 2, vrrpStrict: false, scriptSecurity: false, scriptUser: false };
  for (const b of blocks) {
    if (b.keyword !== 'global_defs') continue;
    for (const n of b.block ?? []) {
      if (n.keyword === 'vrrp_version' && (n.args[0] === '2' || n.args[0] === '3')) g.vrrpVersion = Number(n.args[0]) as 2 | 3;
      if (n.keyword === 'vrrp_strict') g.vrrpStrict = true;
      if (n.keyword === 'enable_script_security') g.scriptSecurity = true;
      if (n.keyword === 'script_user' && n.args.length) g.scriptUser = true;
      if (n.keyword === 'vrrp_down_timer_adverts') {
        const r = n.args[0] === undefined ? undefined : readInt(n.args[0], 1, 100);
        if (r?.ok) g.downTimerAdverts = r.value;
      }
    }
  }
  return g;
}

/** Keywords that make keepalived run a script, by the process that runs it (vrrp or checker). */
const SCRIPT_KEYWORDS: Record<string, Record<string, 'vrrp' | 'check'>> = {
  global_defs: { startup_script: 'vrrp', shutdown_script: 'vrrp', notify_fifo_script: 'vrrp', vrrp_notify_fifo_script: 'vrrp', lvs_notify_fifo_script: 'check' },
  vrrp_script: { script: 'vrrp' },
  vrrp_instance: { notify: 'vrrp', notify_master: 'vrrp', notify_backup: 'vrrp', notify_fault: 'vrrp', notify_stop: 'vrrp', notify_deleted: 'vrrp', notify_master_rx_lower_pri: 'vrrp' },
  vrrp_sync_group: { notify: 'vrrp', notify_master: 'vrrp', notify_backup: 'vrrp', notify_fault: 'vrrp', notify_stop: 'vrrp' },
  virtual_server: { quorum_up: 'check', quorum_down: 'check' },
  real_server: { notify_up: 'check', notify_down: 'check' },
  MISC_CHECK: { misc_path: 'check' },
};

/**
 * keepalived's script security (check_script_secure and friends): running any script without
 * enable_script_security is a "SECURITY VIOLATION" that fails keepalived -t; and a vrrp_instance's
 * track_script must name a vrrp_script. Whether the script files exist and are safe, and whether the
 * default script user keepalived_script exists, depend on the director, so they are not checked here.
 */
function analyzeScripts(blocks: KeepalivedNode[], g: Globals, out: Collector): VrrpScript[] {
  const first: Partial<Record<'vrrp' | 'check', KeepalivedNode>> = {};
  const walk = (nodes: KeepalivedNode[], ctx: string) => {
    for (const n of nodes) {
      const kind = SCRIPT_KEYWORDS[ctx]?.[n.keyword];
      if (kind) first[kind] ??= n;
      if (n.block && (SCRIPT_KEYWORDS[n.keyword] || n.keyword === 'virtual_server' || n.keyword === 'real_server')) walk(n.block, n.keyword);
    }
  };
  walk(blocks, '');
  const fix = 'Add enable_script_security and script_user root to global_defs (scripts must be owned by root and not writable by others).';
  if (!g.scriptSecurity) {
    if (first.vrrp) out.add(first.vrrp, 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.', fix, 'global');
    if (first.check) out.add(first.check, 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.', fix, 'global');
  } else if (!g.scriptUser && (first.vrrp || first.check)) {
    out.add((first.vrrp ?? first.check)!, 'Scripts run as the default user keepalived_script, which must exist on the director',
      'Add script_user root to global_defs (keepalived -t fails when keepalived_script does not exist).', 'global', 'warning');
  }
  const S: Section = 'vrrp';
  const result: VrrpScript[] = [];
  for (const b of blocks.filter((x) => x.keyword === 'vrrp_script')) {
    const name = b.args[0];
    if (name === undefined) {
      arg(b, out, S);
      continue;
    }
    const sc: VrrpScript = { name, script: '', interval: 1, timeout: 0, weight: 0, weightReverse: false, rise: 1, fall: 1, file: b.file, line: b.line };
    for (const n of b.block ?? []) {
      const v = n.keyword === 'init_fail' ? undefined : arg(n, out, S);
      if (v === undefined) continue;
      switch (n.keyword) {
        case 'script':
          sc.script = n.args.join(' ');
          break;
        case 'interval':
        case 'timeout': {
          const r = readUnsigned(v, 0, Math.floor(4294967295 / TIMER_HZ));
          if (!r.ok) out.add(n, `(${name}): vrrp script ${n.keyword} '${v}' ${n.keyword === 'interval' ? 'must be between 1 and 4294 - ignoring' : 'invalid - ignoring'}`, `${n.keyword} is a whole number of seconds.`, S);
          else if (r.value === 0) {
            out.add(n, `(${name}): vrrp script ${n.keyword} must be greater than 0, setting to 1`, `${n.keyword} is at least 1 (second).`, S);
            sc[n.keyword] = 1;
          } else sc[n.keyword] = r.value;
          break;
        }
        case 'weight': {
          const r = readInt(v, -253, 253);
          if (!r.ok) out.add(n, `vrrp_script ${name} weight ${v} must be in [-253, 253]`, 'weight is added to (or, negative, taken from) the priority: -253 to 253.', S);
          else sc.weight = r.value;
          if (n.args[1] !== undefined) {
            if (n.args[1] === 'reverse') sc.weightReverse = true;
            else out.add(n, `vrrp_script ${name} unknown weight option ${n.args[1]}`, 'weight takes only the option reverse.', S);
          }
          break;
        }
        case 'rise':
        case 'fall': {
          const r = readUnsigned(v, 1, 2147483647);
          if (!r.ok) out.add(n, `(${name}): vrrp script ${n.keyword} value '${v}' invalid, defaulting to 1`, `${n.keyword} is a whole number from 1.`, S);
          else sc[n.keyword] = r.value;
          break;
        }
      }
    }
    if (!sc.script) out.add(b, `No script set for vrrp_script ${name} - removing`, 'Add script "<command>" to the vrrp_script block.', S);
    else result.push(sc);
  }
  const scripts = new Set(result.map((x) => x.name));
  for (const inst of blocks.filter((b) => b.keyword === 'vrrp_instance')) {
    for (const t of (inst.block ?? []).filter((n) => n.keyword === 'track_script')) {
      for (const e of t.block ?? []) {
        if (!scripts.has(e.keyword)) {
          out.add(e, `(${inst.args[0]}) track script ${e.keyword} not found, ignoring...`,
            `Use the name of a vrrp_script block: ${[...scripts].join(', ') || '(none defined)'}.`, 'vrrp');
        }
      }
    }
  }
  return result;
}

// ----- VRRP -----------------------------------------------------------------------------------------

interface VrrpWork extends VrrpInstance {
  stateSet?: 'MASTER' | 'BACKUP';
  prioritySet?: number;
  advertUs?: number;
  versionSet?: 2 | 3;
  family?: Family;
  unicast: boolean;
  /** unicast_peer, unicast_src_ip, unicast_fault_no_peer, check_unicast_src or old_unicast_checksum given. */
  unicastKeyword?: KeepalivedNode;
  unicastFaultNoPeer?: boolean;
  strict?: boolean;
  authTypeAt?: KeepalivedNode;
}

const VIP_FLAGS = new Set(['home', '-nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track', 'use_vmac']);
const VIP_PARAMS = new Set(['dev', 'scope', 'broadcast', 'brd', 'label', 'peer', 'preferred_lft']);
const SCOPES = new Set(['global', 'site', 'link', 'host', 'nowhere', 'universe']);

function analyzeVrrp(blocks: KeepalivedNode[], globals: Globals, opts: ParseOptions, out: Collector): { vrrpInstances: VrrpInstance[]; syncGroups: VrrpSyncGroup[] } {
  const S: Section = 'vrrp';
  const instances: VrrpWork[] = [];
  const known = opts.interfaces ? new Set(opts.interfaces) : undefined;

  for (const b of blocks) {
    if (b.keyword !== 'vrrp_instance') continue;
    if (b.args.length !== 1) {
      out.add(b, 'vrrp_instance must have a name', 'Write vrrp_instance <NAME> { … } with one name and no spaces in it.', S);
      continue;
    }
    const name = b.args[0]!;
    if (instances.some((i) => i.name === name)) {
      out.add(b, `vrrp instance ${name} already defined`, `Give each vrrp_instance its own name; ${name} is used twice.`, S);
      continue;
    }
    const v: VrrpWork = {
      name, state: 'BACKUP', interface: undefined, virtualRouterId: undefined, priority: 100, advertInt: 1, version: globals.vrrpVersion,
      nopreempt: false, preemptDelay: 0, virtualIpaddress: [], unicastPeers: [], authentication: undefined, trackScripts: [],
      trackInterfaces: [], syncGroup: undefined, file: b.file, line: b.line, unicast: false,
    };
    for (const n of b.block ?? []) {
      switch (n.keyword) {
        case 'state': {
          const s = arg(n, out, S);
          if (s === 'MASTER') v.stateSet = 'MASTER';
          else if (s === 'BACKUP') {
            if (v.stateSet === 'MASTER') out.add(n, `(${name}) state previously set as MASTER - ignoring BACKUP`, 'Give state once: MASTER or BACKUP.', S);
            else v.stateSet = 'BACKUP';
          } else if (s !== undefined) {
            out.add(n, `(${name}) unknown state '${s}', defaulting to BACKUP`, 'state is MASTER or BACKUP, in capitals.', S);
            v.stateSet = 'BACKUP';
          }
          break;
        }
        case 'interface': {
          const i = arg(n, out, S);
          if (i === undefined) break;
          if (i.length >= 16) {
            out.add(n, `Interface name '${i}' too long - ignoring`, 'Interface names have at most 15 characters: check `ip link`.', S);
            break;
          }
          if (i === 'lo') {
            out.add(n, `(${name}) cannot use a loopback interface (lo) for vrrp - ignoring`, 'VRRP needs a real network interface (e.g. eth0): see `ip -4 addr`.', S);
            break;
          }
          if (known && !known.has(i)) {
            out.add(n, `WARNING - interface ${i} for vrrp_instance ${name} doesn't exist`, `Use an interface that exists here: ${[...known].join(', ') || '(none)'}.`, S);
            break;
          }
          v.interface = i;
          break;
        }
        case 'virtual_router_id': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readUnsigned(s, 1, 255);
          if (r.ok) v.virtualRouterId = r.value;
          else out.add(n, `(${name}): VRID '${s}' not valid - must be between 1 & 255`, 'virtual_router_id is a number from 1 to 255, the same on both directors.', S);
          break;
        }
        case 'priority': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readUnsigned(s, 1, 255);
          if (r.ok) v.prioritySet = r.value;
          else {
            out.add(n, `(${name}) Priority not valid! must be between 1 & 255. Using default 100`, 'priority is a number from 1 to 255; the MASTER gets the higher one.', S);
            v.prioritySet = 100;
          }
          break;
        }
        case 'advert_int': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readDecimal(s, TIMER_HZ / 100, 255 * TIMER_HZ);
          if (r.ok && r.value > 0) v.advertUs = r.value;
          else out.add(n, `(${name}) Advert interval (${s}) not valid! Must be > 0 - ignoring`, 'advert_int is in seconds, e.g. advert_int 1.', S);
          break;
        }
        case 'version': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readInt(s, 2, 3);
          if (!r.ok) out.add(n, `(${name}): Version must be either 2 or 3`, 'version is 2 or 3.', S);
          else if (v.versionSet && v.versionSet !== r.value) out.add(n, `(${name}) vrrp_version ${r.value} conflicts with configured or deduced version ${v.versionSet}; ignoring.`, 'Give version once.', S);
          else v.versionSet = r.value as 2 | 3;
          break;
        }
        case 'down_timer_adverts': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readInt(s, 1, 100);
          if (r.ok) v.downTimerAdverts = r.value;
          else out.add(n, `(${name}): Invalid down_timer_adverts [1:100] '${s}'`, 'down_timer_adverts is how many adverts a BACKUP misses before it takes over: 1 to 100 (3 by default).', S);
          break;
        }
        case 'nopreempt':
          v.nopreempt = true;
          break;
        case 'preempt':
          v.nopreempt = false;
          break;
        case 'preempt_delay': {
          const s = arg(n, out, S);
          if (s === undefined) break;
          const r = readDecimal(s, 0, 1000 * TIMER_HZ);
          if (r.ok) v.preemptDelay = seconds(r.value);
          else {
            out.add(n, `(${name}) Preempt_delay not valid! must be between 0-1000`, 'preempt_delay is in seconds, 0 to 1000.', S);
            v.preemptDelay = 0;
          }
          break;
        }
        case 'strict_mode': {
          const r = n.args.length ? readBool(n.args[0]!) : true;
          if (r === null) out.add(n, `(${name}) invalid strict_mode ${n.args[0]}`, 'strict_mode takes on/off, true/false or yes/no.', S);
          else v.strict = r;
          break;
        }
        case 'virtual_ipaddress':
          for (const e of n.block ?? []) {
            const address = vipAddress(e, name, known, out);
            if (!address) continue;
            const family: Family = address.includes(':') ? 'inet6' : 'inet';
            if (v.family && v.family !== family) {
              out.add(e, `(${name}): address family must match VRRP instance [${e.keyword}] - ignoring`, 'Put IPv4 and IPv6 virtual addresses in separate vrrp_instances.', S);
              continue;
            }
            v.family = family;
            v.virtualIpaddress.push(address);
          }
          break;
        case 'unicast_peer':
          v.unicastKeyword ??= n;
          for (const e of n.block ?? []) {
            const r = readSockaddr(e.keyword);
            if (!r.ok) {
              out.add(e, `Configuration error: VRRP instance[${name}] malformed unicast peer address[${e.keyword}]. Skipping...`, 'List one peer address per line: the other director\'s address.', S);
              continue;
            }
            if (v.family && v.family !== r.value.family) {
              out.add(e, `Configuration error: VRRP instance[${name}] and unicast peer address[${e.keyword}] MUST be of the same family !!! Skipping...`, 'Use peers of the same address family as the virtual addresses.', S);
              continue;
            }
            v.family = r.value.family;
            for (let k = 0; k < e.args.length; k += 2) {
              const [opt, val] = [e.args[k]!, e.args[k + 1]];
              if (val === undefined) {
                out.add(e, `(${name}) ${opt} is missing a value`, `Write ${opt} <0-255>.`, S);
                break;
              }
              const ttl = readUnsigned(val, 0, 255);
              if (!ttl.ok) out.add(e, ttl.message, `${opt} takes a TTL from 0 to 255.`, S);
              else if (opt !== 'min_ttl' && opt !== 'max_ttl') {
                out.add(e, `(${name}) unknown unicast_peer option ${opt}`, 'A unicast peer takes min_ttl and max_ttl only.', S);
                break;
              }
            }
            v.unicastPeers.push(r.value.address);
          }
          if (v.unicastPeers.length) v.unicast = true;
          break;
        case 'unicast_src_ip':
        case 'mcast_src_ip': {
          if (n.keyword === 'unicast_src_ip') v.unicastKeyword ??= n;
          const ip = arg(n, out, S);
          if (ip === undefined) break;
          const r = readSockaddr(ip);
          if (!r.ok) out.add(n, `Configuration error: VRRP instance[${name}] malformed src address[${ip}]. Skipping...`, `${n.keyword} is an address of this director.`, S);
          else if (v.family && v.family !== r.value.family) out.add(n, `Configuration error: VRRP instance[${name}] and src address[${ip}] MUST be of the same family !!! Skipping...`, 'Use a source address of the same family as the virtual addresses.', S);
          else v.family = r.value.family;
          break;
        }
        case 'check_unicast_src':
        case 'old_unicast_checksum':
          v.unicastKeyword ??= n;
          break;
        case 'unicast_fault_no_peer':
          v.unicastKeyword ??= n;
          v.unicastFaultNoPeer = true;
          break;
        case 'track_script':
          for (const e of n.block ?? []) v.trackScripts.push(e.keyword);
          break;
        case 'track_interface':
          for (const e of n.block ?? []) v.trackInterfaces.push(e.keyword);
          break;
        case 'authentication':
          for (const a of n.block ?? []) {
            if (a.keyword === 'auth_type') {
              const t = arg(a, out, S);
              if (t === 'PASS' || t === 'AH') {
                v.authentication = { type: t, pass: v.authentication?.pass ?? '' };
                v.authTypeAt = a;
              } else if (t !== undefined) out.add(a, `(${name}) unknown authentication type '${t}'`, 'auth_type is PASS or AH.', S);
            } else if (a.keyword === 'auth_pass') {
              let p = arg(a, out, S);
              if (p === undefined) continue;
              if (p.length > 8) {
                out.add(a, 'Truncating auth_pass to 8 characters', 'VRRP passwords have at most 8 characters: shorten auth_pass (on both directors).', S);
                p = p.slice(0, 8);
              }
              v.authentication = { type: v.authentication?.type ?? ('' as 'PASS'), pass: p };
            }
          }
          break;
      }
    }
    completeInstance(v, b, globals, out);
    instances.push(v);
  }

  // Duplicate VRIDs on one interface (vrrp.c: "%s and %s both use VRID %d").
  instances.forEach((v, i) => {
    for (const w of instances.slice(0, i)) {
      if (v.unicast || w.unicast || !v.interface || v.interface !== w.interface || v.virtualRouterId === undefined) continue;
      if (v.virtualRouterId === w.virtualRouterId && (v.family ?? 'inet') === (w.family ?? 'inet')) {
        out.add(v, `${w.name} and ${v.name} both use VRID ${v.virtualRouterId} with IPv${v.family === 'inet6' ? 6 : 4} on interface ${v.interface}`,
          'Give each vrrp_instance on an interface its own virtual_router_id (the pair of directors shares one per instance).', S);
      }
    }
  });

  // Sync groups (vrrp_sync.c vrrp_sync_set_group, vrrp.c "has no virtual router(s)").
  const groups: VrrpSyncGroup[] = [];
  const names = new Set<string>();
  for (const b of blocks) {
    if (b.keyword !== 'vrrp_sync_group') continue;
    if (b.args.length !== 1) {
      out.add(b, 'vrrp_sync_group must have a name - skipping', 'Write vrrp_sync_group <NAME> { group { … } }.', S);
      continue;
    }
    const gname = b.args[0]!;
    if (names.has(gname)) {
      out.add(b, `vrrp sync group ${gname} already defined`, `Give each vrrp_sync_group its own name; ${gname} is used twice.`, S);
      continue;
    }
    names.add(gname);
    const groupNodes = (b.block ?? []).filter((n) => n.keyword === 'group');
    groupNodes.slice(1).forEach((n) => out.add(n, `Group list already specified for sync group ${gname}`, 'Give one group { … } block with every member instance.', S));
    const members = groupNodes[0]?.block ?? [];
    if (!groupNodes[0] || !members.length) {
      if (groupNodes[0]) out.add(groupNodes[0], `Warning - sync group ${gname} has empty group block`, 'List the vrrp_instance names in group { … }, one per line.', S);
      out.add(b, `Sync group ${gname} has no virtual router(s). removing`, 'List the vrrp_instance names in group { … }, one per line.', S);
      continue;
    }
    const g: VrrpSyncGroup = { name: gname, instances: [], file: b.file, line: b.line };
    let ownerState: 'MASTER' | 'BACKUP' | undefined;
    for (const m of members) {
      const inst = instances.find((i) => i.name === m.keyword);
      if (!inst) {
        out.add(m, `Virtual router ${m.keyword} specified in sync group ${gname} doesn't exist - ignoring`,
          `Use the name of a vrrp_instance: ${instances.map((i) => i.name).join(', ') || '(none defined)'}.`, S);
        continue;
      }
      if (inst.syncGroup) {
        out.add(m, `Virtual router ${m.keyword} cannot exist in more than one sync group; ignoring ${gname}`, `Keep ${m.keyword} in one vrrp_sync_group only.`, S);
        continue;
      }
      if (ownerState === 'MASTER' && inst.state === 'BACKUP') {
        out.add(b, `Sync group ${gname} has some member(s) as address owner and some not as address owner. This won't work.`,
          'Give the members of a sync group the same state and priority class (priority 255 for all or none).', S);
      }
      if (ownerState !== 'BACKUP') ownerState = inst.state === 'MASTER' && inst.priority === 255 ? 'MASTER' : 'BACKUP';
      inst.syncGroup = gname;
      g.instances.push(inst.name);
    }
    if (!g.instances.length) {
      out.add(b, `Sync group ${gname}, no matching virtual router found in group declaration - removing`, 'List existing vrrp_instance names in group { … }.', S);
      continue;
    }
    if (g.instances.length === 1) {
      out.add(b, `Sync group ${gname} has only 1 virtual router(s) - this probably isn't what you want`,
        'A sync group keeps several instances together: list at least two, or remove the vrrp_sync_group.', S);
    }
    groups.push(g);
  }

  const strip = ({ stateSet: _s, prioritySet: _p, advertUs: _a, versionSet: _v, family: _f, unicast: _u, strict: _x, authTypeAt: _t, unicastKeyword: _k, unicastFaultNoPeer: _n, ...rest }: VrrpWork): VrrpInstance => compact(rest);
  return { vrrpInstances: instances.map(strip), syncGroups: groups };
}

/** The address of a virtual_ipaddress line (alloc_ipaddress), or undefined after reporting. */
function vipAddress(e: KeepalivedNode, inst: string, known: Set<string> | undefined, out: Collector): string | undefined {
  const S: Section = 'vrrp';
  const str = e.keyword;
  const v6 = str.includes(':');
  const slash = str.indexOf('/');
  const address = slash >= 0 ? str.slice(0, slash) : str;
  if (slash >= 0) {
    const r = readUnsigned(str.slice(slash + 1), 0, v6 ? 128 : 32);
    if (!r.ok) out.add(e, `Invalid address prefix len ${str.slice(slash + 1)} for address ${str} - using ${v6 ? 128 : 32}`, `The prefix length is 0 to ${v6 ? 128 : 32}: e.g. 10.0.0.100/24.`, S);
  }
  if (v6 ? !isIPv6(address) : !isIPv4(address)) {
    out.add(e, `VRRP parsed invalid IP ${str}. skipping IP...`, 'Write the virtual address as a.b.c.d/prefix, e.g. 10.0.0.100/24.', S);
    return undefined;
  }
  const rest = e.args;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (VIP_FLAGS.has(w)) continue;
    if (!VIP_PARAMS.has(w)) {
      out.add(e, `Unknown configuration entry '${w}' for ip address - ignoring`, 'After the address come options such as dev IFACE, label IFACE:N, brd ADDR or scope SCOPE.', S);
      continue;
    }
    const p = rest[i + 1];
    if (p === undefined) {
      out.add(e, `No ${w} parameter specified for ${str}`, `Give ${w} its value: ${w} <value>.`, S);
      return undefined;
    }
    i++;
    if (w === 'dev' && known && !known.has(p)) {
      out.add(e, `WARNING - interface ${p} for ip address ${str} doesn't exist`, `Use an interface that exists here: ${[...known].join(', ')}.`, S);
      return undefined;
    }
    if (w === 'scope' && !SCOPES.has(p) && !readUnsigned(p, 0, 255).ok) out.add(e, `Invalid scope '${p}' specified for ${str} - ignoring`, 'scope is global, site, link, host or nowhere.', S);
    if ((w === 'brd' || w === 'broadcast') && (v6 || (p !== '-' && p !== '+' && !isIPv4(p)))) {
      out.add(e, `VRRP is trying to assign invalid broadcast ${p}. skipping VIP...`, 'brd takes an IPv4 address, + or -.', S);
      return undefined;
    }
    if (w === 'label' && p.length >= 16) {
      out.add(e, `Address label ${p} is longer than maximum length 15 - removing address`, 'Labels have at most 15 characters, e.g. eth0:1.', S);
      return undefined;
    }
  }
  return str;
}

/** vrrp_complete_instance() and chk_min_cfg(), for what lab models. */
function completeInstance(v: VrrpWork, b: KeepalivedNode, g: Globals, out: Collector) {
  const S: Section = 'vrrp';
  const strict = v.strict ?? g.vrrpStrict;
  v.version = v.versionSet ?? (v.family === 'inet6' ? 3 : g.vrrpVersion);
  if (!v.virtualIpaddress.length) {
    out.add(b, `(${v.name}) No VIP specified; at least one is ${v.version === 3 || strict ? 'required' : 'sensible'}`,
      'Add virtual_ipaddress { a.b.c.d/prefix } with the address the directors share.', S);
  }
  v.priority = v.prioritySet ?? (v.stateSet === 'MASTER' ? 255 : 100);
  v.state = v.stateSet ?? (v.priority === 255 ? 'MASTER' : 'BACKUP');
  if (v.stateSet && strict && (v.state === 'MASTER') !== (v.priority === 255)) {
    out.add(b, `(${v.name}) State MASTER must match being address owner`, 'In strict mode only priority 255 may start as MASTER.', S);
    v.state = v.priority === 255 ? 'MASTER' : 'BACKUP';
  }
  if (v.authentication) {
    const at = v.authTypeAt ?? b;
    if (!v.authentication.type) delete v.authentication;
    else if (strict) {
      out.add(at, `(${v.name}) Strict mode does not support authentication. Ignoring.`, 'Remove the authentication block (vrrp_strict/strict_mode forbid it).', S);
      delete v.authentication;
    } else if (v.version === 3) {
      out.add(at, `(${v.name}) VRRP version 3 does not support authentication. Ignoring.`, 'Remove the authentication block, or use VRRP version 2.', S);
      delete v.authentication;
    } else if (!v.authentication.pass) {
      out.add(at, `(${v.name}) Authentication specified but no password given. Ignoring`, 'Add auth_pass <password> (at most 8 characters) next to auth_type.', S);
      delete v.authentication;
    }
  }
  if (!v.virtualRouterId) out.add(b, `(${v.name}) the virtual router id must be set`, 'Add virtual_router_id <1-255>, the same on both directors.', S);
  // chk_min_cfg() runs before the unicast flag is set, so keepalived 2.2.7 wants an interface with unicast too.
  else if (!v.interface) out.add(b, `(${v.name}) Unknown interface!`, 'Add interface <IFACE>: the interface that holds the virtual address (see `ip -4 addr`).', S);
  if (strict && v.unicast) out.add(b, `(${v.name}) Unicast peers are not supported in strict mode`, 'Remove unicast_peer, or drop vrrp_strict/strict_mode.', S);
  if (v.unicastKeyword && !v.unicast && !v.unicastFaultNoPeer) {
    out.add(v.unicastKeyword, `(${v.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`,
      'List the other director\'s address in unicast_peer { … }, or remove the unicast keywords to use multicast.', S);
  }

  v.downTimerAdverts ??= g.downTimerAdverts;
  if (strict && v.downTimerAdverts !== undefined && v.downTimerAdverts !== 3) {
    out.add(b, `(${v.name}) down_timer_adverts is incompatible with strict mode - resetting`, 'Remove down_timer_adverts, or drop vrrp_strict/strict_mode.', S);
    v.downTimerAdverts = 3;
  }

  const us = v.advertUs ?? TIMER_HZ;
  if (v.version === 2) {
    if (us >= 256 * TIMER_HZ) out.add(b, `(${v.name}) VRRPv2 advertisement interval ${(us / TIMER_HZ).toFixed(2)}s is out of range. Must be less than 256s. Setting to 255s`, 'advert_int is at most 255 s.', S);
    else if (us % TIMER_HZ) out.add(b, `(${v.name}) VRRPv2 advertisement interval ${(us / TIMER_HZ).toFixed(6)}s must be an integer. rounding`, 'VRRP version 2 adverts are whole seconds: advert_int 1 (or set version 3 for fractions).', S);
    v.advertInt = us >= 256 * TIMER_HZ ? 255 : Math.max(1, Math.floor((us + TIMER_HZ / 2) / TIMER_HZ));
  } else {
    const cs = 10_000;
    if (us >= 4096 * cs) out.add(b, `(${v.name}) VRRPv3 advertisement interval ${(us / TIMER_HZ).toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`, 'With VRRP version 3, advert_int is at most 40.95 s.', S);
    else if (us % cs) out.add(b, `(${v.name}) VRRPv3 advertisement interval ${(us / TIMER_HZ).toFixed(6)}s must be in units of 10ms - rounding`, 'With VRRP version 3, advert_int is in steps of 0.01 s.', S);
    v.advertInt = (us >= 4096 * cs ? 4095 * cs : Math.max(cs, Math.floor((us + cs / 2) / cs) * cs)) / TIMER_HZ;
  }

  if (v.priority === 255 && v.nopreempt) {
    out.add(b, `(${v.name}) nopreempt is incompatible with priority 255. resetting nopreempt`, 'Remove nopreempt, or use a priority below 255.', S);
    v.nopreempt = false;
  }
  if (v.state === 'MASTER') {
    if (v.nopreempt) {
      out.add(b, `(${v.name}) Warning - nopreempt will not work with initial state MASTER - clearing`, 'With nopreempt, start every director as state BACKUP and let priority decide.', S);
      v.nopreempt = false;
    }
    if (v.preemptDelay) {
      out.add(b, `(${v.name}) Warning - preempt delay will not work with initial state MASTER - clearing`, 'With preempt_delay, start every director as state BACKUP.', S);
      v.preemptDelay = 0;
    }
  }
  if (v.preemptDelay) {
    if (strict) {
      out.add(b, `(${v.name}) preempt_delay is incompatible with strict mode - resetting`, 'Remove preempt_delay, or drop vrrp_strict/strict_mode.', S);
      v.preemptDelay = 0;
    }
    if (v.nopreempt) {
      out.add(b, `(${v.name}) preempt_delay is incompatible with nopreempt mode - resetting`, 'Use either nopreempt or preempt_delay, not both.', S);
      v.preemptDelay = 0;
    }
  }
}

// ----- virtual_server -------------------------------------------------------------------------------

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'];
const INT32_MAX = 2147483647;
const UINT_MAX = 4294967295;

/** Keywords with no effect on which real server gets a new connection (notification, naming, SNMP). */
const NO_FORWARDING_EFFECT = new Set(['smtp_alert', 'virtualhost', 'snmp_name', 'notify_up', 'notify_down', 'quorum_up', 'quorum_down',
  'quorum', 'hysteresis', 'omega', 'ha_suspend', 'inhibit_on_failure', 'retry', 'delay_before_retry', 'warmup', 'connect_timeout',
  'delay_loop', 'alpha', 'weight', 'lb_algo', 'lvs_sched', 'lb_kind', 'lvs_method', 'protocol', 'real_server']);

interface Timers {
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  connectTimeout?: number;
  delayLoop?: number;
  alpha?: boolean;
}

/** The timer keywords shared by virtual_server, real_server and checkers (with their different minimums). */
function readTimerKeyword(n: KeepalivedNode, t: Timers, level: 'virtual server' | 'real server' | 'checker', out: Collector): boolean {
  const S: Section = 'check';
  const s = () => arg(n, out, S);
  switch (n.keyword) {
    case 'delay_loop': {
      const v = s();
      if (v === undefined) return true;
      const r = readTimer(v, 1);
      if (r.ok) t.delayLoop = r.value;
      else out.add(n, `${level} delay_loop '${v}' invalid - ignoring (${r.message})`, 'delay_loop is in seconds, more than 0, e.g. delay_loop 0.5.', S);
      return true;
    }
    case 'connect_timeout': {
      const v = s();
      if (v === undefined) return true;
      const r = readTimer(v, 1, UINT_MAX);
      if (r.ok) t.connectTimeout = r.value;
      else out.add(n, `${level} connect_timeout ${v} invalid - ignoring (${r.message})`, 'connect_timeout is in seconds, more than 0, e.g. connect_timeout 0.3.', S);
      return true;
    }
    case 'delay_before_retry': {
      const v = s();
      if (v === undefined) return true;
      const r = readTimer(v, 0);
      if (r.ok) t.delayBeforeRetry = r.value;
      else out.add(n, `${level} delay_before_retry '${v}' invalid - ignoring (${r.message})`, 'delay_before_retry is in seconds, e.g. delay_before_retry 0.2.', S);
      return true;
    }
    case 'warmup': {
      const v = s();
      if (v === undefined) return true;
      const r = readTimer(v, 0);
      if (r.ok) t.warmup = r.value;
      else out.add(n, `${level} warmup '${v}' invalid - ignoring (${r.message})`, 'warmup is in seconds.', S);
      return true;
    }
    case 'retry': {
      const v = s();
      if (v === undefined) return true;
      const r = readUnsigned(v, level === 'checker' ? 0 : 1, UINT_MAX);
      if (r.ok) t.retry = r.value;
      else out.add(n, `retry value invalid - ${v} (${r.message})`, `retry is a whole number${level === 'checker' ? '' : ' from 1'}: failures after the first before a server is taken out.`, S);
      return true;
    }
    case 'alpha': {
      if (level === 'virtual server') {
        t.alpha = true;
        return true;
      }
      const r = n.args.length ? readBool(n.args[0]!) : true;
      if (r === null) out.add(n, `Invalid alpha parameter ${n.args[0]}`, 'alpha takes no value, or on/off.', S);
      else t.alpha = r;
      return true;
    }
  }
  return false;
}

function readLbKind(n: KeepalivedNode, what: string, out: Collector): LbKind | undefined {
  const S: Section = 'check';
  const v = arg(n, out, S);
  if (v === undefined) return undefined;
  if (v !== 'NAT' && v !== 'DR' && v !== 'TUN') {
    out.add(n, `PARSER : unknown [${v}] routing method for ${what} server.`, 'lb_kind is NAT, DR or TUN, in capitals.', S);
    return undefined;
  }
  const extra = n.args.slice(1);
  if (extra.length && v !== 'TUN') out.add(n, `Invalid tunnel option ${extra[0]} for ${what} server.`, `lb_kind ${v} takes no options.`, S);
  return v;
}

function analyzeCheck(blocks: KeepalivedNode[], out: Collector): VirtualServer[] {
  const S: Section = 'check';
  const result: VirtualServer[] = [];
  for (const b of blocks) {
    if (b.keyword === 'virtual_server_group' && !b.args.length) {
      out.add(b, 'virtual_server_group must have a name', 'Write virtual_server_group <NAME> { address port … }.', S);
    } else if (b.keyword === 'virtual_server_group' && !b.block?.length) {
      out.add(b, `virtual server group ${b.args[0]} has no entries - removing`, 'List its addresses and ports, one per line: 10.0.0.100 80.', S);
    }
    if (b.keyword !== 'virtual_server') continue;
    const [p1, p2] = b.args;
    const vs: VsWork = {
      vip: undefined, family: undefined, port: 0, fwmark: undefined, group: undefined, protocol: 'UDP', lbAlgo: 'wlc', lbKind: 'NAT',
      delayLoop: 60, connectTimeout: 5, persistenceTimeout: undefined, quorum: 1, hysteresis: 0, alpha: false, sorryServer: undefined,
      realServers: [], options: [], locations: {}, file: b.file, line: b.line, t: {}, weight: 1,
    };
    if (p1 === undefined) {
      arg(b, out, S);
      continue;
    }
    if (p1 === 'group') {
      if (p2 === undefined) {
        arg(b, out, S, 1);
        continue;
      }
      vs.group = p2;
    } else if (p1 === 'fwmark') {
      const r = p2 === undefined ? undefined : readUnsigned(p2, 0, UINT_MAX);
      if (!r?.ok) {
        out.add(b, `virtual server fwmark '${p2 ?? ''}' must be in [0, ${UINT_MAX}] - ignoring`, 'Write virtual_server fwmark <number> { … }.', S);
        continue;
      }
      vs.fwmark = r.value;
    } else {
      const r = readSockaddr(p1, p2);
      if (!r.ok) {
        out.add(b, `Invalid virtual server IP address${p2 && /[^0]/.test(p2) ? '/port' : ''} ${p1}${p2 ? '/' + p2 : ''} - skipping`,
          'Write virtual_server <VIP> <port> { … }, e.g. virtual_server 10.0.0.100 80.', S);
        continue;
      }
      vs.vip = r.value.address;
      vs.family = r.value.family;
      vs.port = r.value.port;
    }
    const flags: KeepalivedNode[] = [];
    for (const n of b.block ?? []) {
      if (n.keyword !== 'real_server') vs.locations[n.keyword] = { file: n.file, line: n.line };
      if (readTimerKeyword(n, vs.t, 'virtual server', out)) continue;
      switch (n.keyword) {
        case 'lb_algo':
        case 'lvs_sched': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          if (!SCHEDULERS.includes(v)) out.add(n, `Invalid lvs_scheduler '${v}' - ignoring`, `${n.keyword} is one of ${SCHEDULERS.join(', ')} (lower case).`, S);
          else vs.algoSet = v;
          break;
        }
        case 'lb_kind':
        case 'lvs_method': {
          const k = readLbKind(n, 'virtual', out);
          if (k) vs.kindSet = k;
          break;
        }
        case 'protocol': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          const up = v.toUpperCase();
          if (up === 'TCP' || up === 'UDP' || up === 'SCTP') vs.protocolSet = up;
          else out.add(n, `Unknown protocol ${v} - ignoring`, 'protocol is TCP, UDP or SCTP.', S);
          break;
        }
        case 'weight': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          const r = readUnsigned(v, 1, INT32_MAX);
          if (r.ok) vs.weight = r.value;
          else out.add(n, `Virtual server weight ${v} is outside range 1-${INT32_MAX}`, 'The virtual server weight (the default for its real servers) is 1 or more.', S);
          break;
        }
        case 'persistence_timeout': {
          if (!n.args.length) {
            vs.persistenceTimeout = 360;
            break;
          }
          const r = readUnsigned(n.args[0]!, 1, 86400 * 31);
          if (r.ok) vs.persistenceTimeout = r.value;
          else out.add(n, 'persistence_timeout invalid', 'persistence_timeout is in seconds, 1 to 2678400.', S);
          break;
        }
        case 'quorum': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          const r = readUnsigned(v, 1, UINT_MAX);
          if (r.ok) vs.quorum = r.value;
          else {
            out.add(n, `Quorum ${v} must be in [1, ${UINT_MAX}]. Setting to 1.`, 'quorum is a whole number from 1.', S);
            vs.quorum = 1;
          }
          break;
        }
        case 'hysteresis': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          const r = readUnsigned(v, 0, UINT_MAX);
          if (r.ok) vs.hysteresis = r.value;
          else out.add(n, `Hysteresis ${v} must be in [0, ${UINT_MAX}] - ignoring`, 'hysteresis is a whole number.', S);
          break;
        }
        case 'ip_family': {
          const v = arg(n, out, S);
          if (v === undefined) break;
          if (v !== 'inet' && v !== 'inet6') out.add(n, `unknown address family ${v}`, 'ip_family is inet or inet6.', S);
          else if (vs.family && vs.family !== v) out.add(n, `Virtual server specified family ${v} conflicts with server family`, 'Remove ip_family, or make it match the addresses.', S);
          else vs.family = v;
          break;
        }
        case 'sorry_server': {
          const ip = arg(n, out, S);
          if (ip === undefined) break;
          const r = readSockaddr(ip, n.args[1]);
          if (!r.ok) out.add(n, `Invalid sorry server IP address ${ip} - skipping`, 'Write sorry_server <IP> <port>.', S);
          else vs.sorryServer = { ip: r.value.address, port: r.value.port || vs.port, file: n.file, line: n.line };
          break;
        }
        case 'sorry_server_inhibit':
        case 'sorry_server_lvs_method':
          if (!vs.sorryServer) out.add(n, `${n.keyword === 'sorry_server_inhibit' ? 'Ignoring sorry_server inhibit used' : 'sorry_server forwarding used'} before or without sorry_server`, 'Put sorry_server before this line.', S);
          else if (n.keyword === 'sorry_server_lvs_method') readLbKind(n, 'sorry', out);
          break;
        case 'hashed':
        case 'ops':
        case 'flag-1':
        case 'flag-2':
        case 'flag-3':
        case 'sh-port':
        case 'sh-fallback':
        case 'mh-port':
        case 'mh-fallback':
          flags.push(n);
          break;
        case 'smtp_alert': {
          if (n.args.length && readBool(n.args[0]!) === null) out.add(n, `Invalid virtual_server smtp_alert parameter ${n.args[0]}`, 'smtp_alert takes no value, or on/off.', S);
          break;
        }
        case 'virtualhost':
          if (!n.args.length) out.add(n, 'virtual server virtualhost missing', 'Write virtualhost <name>.', S);
          break;
        case 'real_server':
          readRealServer(n, vs, out);
          break;
      }
      if (!NO_FORWARDING_EFFECT.has(n.keyword)) vs.options.push({ keyword: n.keyword, args: n.args, file: n.file, line: n.line });
    }
    for (const f of flags) {
      const sched = vs.algoSet ?? '';
      const fam = f.keyword.slice(0, 2);
      if ((f.keyword.startsWith('sh-') || f.keyword.startsWith('mh-')) && sched !== fam) {
        out.add(f, `${f.keyword} only applies to ${fam} scheduler - ignoring`, `Remove ${f.keyword}, or use lb_algo ${fam}.`, S);
      }
    }
    result.push(validateVirtualServer(vs, b, out));
  }
  return result;
}

type VsWork = VirtualServer & { kindSet?: LbKind; t: Timers; weight: number; protocolSet?: Protocol; algoSet?: string };
type RsWork = RealServer & { kindSet?: LbKind; t: Timers; weightSet?: number; portGiven: number; family: Family };

function readRealServer(n: KeepalivedNode, vs: VsWork, out: Collector) {
  const S: Section = 'check';
  const ip = arg(n, out, S);
  if (ip === undefined) return;
  const r = readSockaddr(ip, n.args[1]);
  if (!r.ok) {
    out.add(n, `Invalid real server ip address/port ${ip}/${n.args[1] ?? '(null)'} - skipping`, 'Write real_server <IP> <port> { … }.', S);
    return;
  }
  const rs: RsWork = {
    ip: r.value.address, port: r.value.port, weight: 1, lbKind: 'NAT', checkers: [], tcpCheck: undefined, options: [], locations: {},
    file: n.file, line: n.line, portGiven: r.value.port, family: r.value.family, t: {},
  };
  for (const c of n.block ?? []) {
    if (!CHECKER_TYPES.has(c.keyword)) rs.locations[c.keyword] = { file: c.file, line: c.line };
    if (readTimerKeyword(c, rs.t, 'real server', out)) continue;
    if (CHECKER_TYPES.has(c.keyword)) {
      rs.checkers.push(readChecker(c, rs, out));
      continue;
    }
    switch (c.keyword) {
      case 'weight': {
        const v = arg(c, out, S);
        if (v === undefined) break;
        const w = readUnsigned(v, 0, INT32_MAX);
        if (w.ok) rs.weightSet = w.value;
        else out.add(c, `Real server weight ${v} is outside range 0-${INT32_MAX}`, 'weight is a whole number from 0 (0: no new connections).', S);
        break;
      }
      case 'lvs_method': {
        const k = readLbKind(c, 'real', out);
        if (k) rs.kindSet = k;
        break;
      }
      case 'uthreshold':
      case 'lthreshold': {
        const v = arg(c, out, S);
        if (v !== undefined && !readUnsigned(v, 0, UINT_MAX).ok) out.add(c, `Invalid real_server ${c.keyword} '${v}' - ignoring`, `${c.keyword} is a whole number of connections.`, S);
        break;
      }
      case 'inhibit_on_failure':
      case 'smtp_alert':
        if (c.args.length && readBool(c.args[0]!) === null) out.add(c, `Invalid ${c.keyword} parameter ${c.args[0]}`, `${c.keyword} takes no value, or on/off.`, S);
        break;
      case 'virtualhost':
        if (!c.args.length) out.add(c, 'real server virtualhost missing', 'Write virtualhost <name>.', S);
        break;
    }
    if (!NO_FORWARDING_EFFECT.has(c.keyword)) rs.options.push({ keyword: c.keyword, args: c.args, file: c.file, line: c.line });
  }
  // rs_end_handler: address families must match (except tunnelled real servers).
  if ((rs.kindSet ?? vs.kindSet) !== 'TUN') {
    if (!vs.family) vs.family = rs.family;
    else if (vs.family !== rs.family) {
      out.add(n, `Address family of virtual server and real server ${rs.ip} don't match - skipping real server.`, 'Use IPv4 real servers for an IPv4 virtual server (and IPv6 for IPv6).', S);
      return;
    }
  }
  vs.realServers.push(rs);
}

function readChecker(c: KeepalivedNode, rs: RsWork, out: Collector): Checker {
  const S: Section = 'check';
  const checker: Checker = { type: c.keyword as CheckerType, file: c.file, line: c.line };
  if (c.keyword !== 'TCP_CHECK') return checker;
  const t: Timers = {};
  let connectIp = rs.ip;
  let connectPort = rs.portGiven;
  const bind: NonNullable<TcpCheck['bind']> = {};
  for (const n of c.block ?? []) {
    if (readTimerKeyword(n, t, 'checker', out)) continue;
    const v = n.keyword === 'log_all_failures' ? undefined : arg(n, out, S);
    switch (n.keyword) {
      case 'connect_ip': {
        if (v === undefined) break;
        const r = readSockaddr(v);
        if (!r.ok) out.add(n, `Invalid connect_ip address ${v} - ignoring`, 'connect_ip is an IP address (without a port: use connect_port).', S);
        else connectIp = r.value.address;
        break;
      }
      case 'connect_port': {
        if (v === undefined) break;
        const r = readUnsigned(v, 1, 65535);
        if (!r.ok) out.add(n, `Invalid checker connect_port '${v}'`, 'connect_port is a port number, 1 to 65535.', S);
        else connectPort = r.value;
        break;
      }
      case 'bindto': {
        if (v === undefined) break;
        const r = readSockaddr(v);
        if (!r.ok) out.add(n, `Invalid bindto address ${v} - ignoring`, 'bindto is an IP address of this host.', S);
        else bind.address = r.value.address;
        break;
      }
      case 'bind_port': {
        if (v === undefined) break;
        const r = readUnsigned(v, 1, 65535);
        if (!r.ok) out.add(n, `Invalid checker bind_port '${v}'`, 'bind_port is a port number, 1 to 65535.', S);
        else bind.port = r.value;
        break;
      }
      case 'bind_if':
        if (v === undefined) break;
        if (v.length > 15) out.add(n, `Interface name ${v} is too long - ignoring`, 'Interface names have at most 15 characters.', S);
        else bind.iface = v;
        break;
      case 'fwmark': {
        if (v === undefined) break;
        const r = readUnsigned(v, 0, UINT_MAX);
        if (!r.ok) out.add(n, `Invalid fwmark connection value '${v}'`, 'fwmark is a whole number.', S);
        else bind.fwmark = r.value;
        break;
      }
      case 'log_all_failures':
        if (n.args.length && readBool(n.args[0]!) === null) out.add(n, `Invalid log_all_failures parameter ${n.args[0]}`, 'log_all_failures takes no value, or on/off.', S);
        break;
    }
  }
  checker.tcp = {
    connectIp, connectPort,
    // Filled in by validateVirtualServer, which knows the inherited values.
    connectTimeout: t.connectTimeout ?? -1, retry: t.retry ?? -1, delayBeforeRetry: t.delayBeforeRetry ?? -1,
    delayLoop: t.delayLoop ?? -1, warmup: t.warmup ?? -1, alpha: t.alpha ?? (undefined as unknown as boolean),
    ...(Object.keys(bind).length ? { bind } : {}),
    file: c.file, line: c.line,
  };
  return checker;
}

/** validate_check_config() for one virtual server, and the checkers' inherited values. */
function validateVirtualServer(vs: VsWork, b: KeepalivedNode, out: Collector): VirtualServer {
  const S: Section = 'check';
  // keepalived's FMT_VS / FMT_RS.
  const proto = (vs.protocolSet ?? 'none').toLowerCase();
  const name = vs.vip ? `[${vs.vip}]:${proto}:${vs.port}` : vs.fwmark !== undefined ? `FWM ${vs.fwmark}` : `GROUP ${vs.group}`;
  if (!vs.realServers.length) {
    out.add(b, `Virtual server ${name} has no real servers - ignoring`, 'Add real_server <IP> <port> { … } blocks to the virtual_server.', S);
  }
  if (vs.vip !== undefined) {
    if (!vs.protocolSet) out.add(b, `Virtual server ${name}: no protocol set - defaulting to UDP`, 'Add protocol TCP (or UDP) to the virtual_server.', S);
    if (!vs.persistenceTimeout && !vs.port) {
      out.add(b, `Virtual server ${name}: zero port only valid for persistent services - setting`, 'Give the virtual_server a port: virtual_server <VIP> <port>.', S);
      vs.persistenceTimeout = 360;
    }
  }
  if (vs.fwmark !== undefined && vs.protocolSet) {
    out.add(b, `Warning: Virtual server ${name}: protocol specified for fwmark - protocol will be ignored`, 'Remove protocol from an fwmark virtual_server.', S);
  }
  if (!vs.algoSet) out.add(b, `Virtual server ${name}: no scheduler set, setting default 'wlc'`, 'Add lb_algo (rr, wrr, wlc, …) to the virtual_server.', S);
  vs.lbAlgo = vs.algoSet ?? 'wlc';
  vs.protocol = vs.fwmark !== undefined ? vs.protocolSet ?? 'TCP' : vs.protocolSet ?? 'UDP';
  let kindReported = false;
  const vsTimeout = vs.t.connectTimeout ?? 5 * TIMER_HZ;
  const vsDelay = vs.t.delayLoop ?? 60 * TIMER_HZ;
  vs.connectTimeout = seconds(vsTimeout);
  vs.delayLoop = seconds(vsDelay);
  vs.alpha = vs.t.alpha ?? false;

  const kept: RsWork[] = [];
  let weightSum = 0;
  for (const rs of vs.realServers as RsWork[]) {
    if (kept.some((k) => k.ip === rs.ip && k.portGiven === rs.portGiven)) {
      out.add(rs, `VS ${name}: real server [${rs.ip}]:${proto}:${rs.portGiven} is duplicated - removing second rs`, 'List each real server once per virtual_server.', S);
      continue;
    }
    if (!rs.kindSet && !vs.kindSet && !kindReported) {
      out.add(b, `Virtual server ${name}: no forwarding method set, setting default NAT`, 'Add lb_kind NAT (or DR, TUN) to the virtual_server.', S);
      kindReported = true;
    }
    rs.lbKind = rs.kindSet ?? vs.kindSet ?? 'NAT';
    rs.weight = rs.weightSet ?? vs.weight;
    weightSum += rs.weight;
    // Ports: NAT real servers without a port take the virtual server's; others must match it.
    if (vs.vip !== undefined) {
      if (rs.lbKind === 'NAT') {
        if (!rs.port) rs.port = vs.port;
      } else if (!rs.port) rs.port = vs.port;
      else if (rs.port !== vs.port) {
        out.add(rs, `WARNING - virtual server ${name} and real server [${rs.ip}]:${proto}:${rs.port} ports don't match - resetting`,
          `With lb_kind ${rs.lbKind} the real server listens on the virtual server's port ${vs.port}: use it, or lb_kind NAT.`, S);
        rs.port = vs.port;
      }
    } else if (vs.fwmark !== undefined && rs.lbKind !== 'NAT' && rs.port) {
      out.add(rs, `WARNING - fwmark virtual server ${name}, real server [${rs.ip}]:${rs.port} has port specified - clearing`, 'Remove the port of real servers of an fwmark virtual_server (or use NAT).', S);
      rs.port = 0;
    }
    const rsRetry = rs.t.retry ?? vs.t.retry;
    const rsTimeout = rs.t.connectTimeout ?? vsTimeout;
    const rsDelay = rs.t.delayLoop ?? vsDelay;
    const rsWarmup = rs.t.warmup ?? vs.t.warmup;
    const rsDbr = rs.t.delayBeforeRetry ?? vs.t.delayBeforeRetry;
    const rsAlpha = rs.t.alpha ?? vs.alpha;
    for (const c of rs.checkers) {
      if (!c.tcp) continue;
      const t = c.tcp;
      const delayLoop = t.delayLoop >= 0 ? t.delayLoop : rsDelay;
      t.retry = t.retry >= 0 ? t.retry : rsRetry ?? 1;
      t.connectTimeout = seconds(t.connectTimeout >= 0 ? t.connectTimeout : rsTimeout);
      t.delayLoop = seconds(delayLoop);
      t.warmup = seconds(t.warmup >= 0 ? t.warmup : rsWarmup ?? delayLoop);
      t.delayBeforeRetry = seconds(t.delayBeforeRetry >= 0 ? t.delayBeforeRetry : rsDbr ?? TIMER_HZ);
      t.alpha = t.alpha ?? rsAlpha;
    }
    rs.tcpCheck = rs.checkers.find((c) => c.tcp)?.tcp;
    kept.push(rs);
  }
  if (vs.quorum > weightSum && vs.realServers.length) {
    out.add(b, `Warning - quorum ${vs.quorum} for ${name} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
      'Lower quorum to at most the sum of the real servers\' weights.', S);
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum && vs.realServers.length) {
    out.add(b, `Virtual server ${name}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${(vs.quorum - 1) >>> 0}`,
      vs.quorum ? 'Keep hysteresis below quorum.' : 'Give at least one real server a weight above 0.', S);
    vs.hysteresis = Math.max(0, vs.quorum - 1);
  }
  if (vs.sorryServer && !vs.sorryServer.port) vs.sorryServer.port = vs.port;
  vs.lbKind = vs.kindSet ?? 'NAT';
  const { kindSet: _k, t: _t, weight: _w, protocolSet: _p, algoSet: _a, ...rest } = vs;
  rest.realServers = kept.map(({ kindSet: _kk, t: _tt, weightSet: _ws, portGiven: _pg, family: _f, ...r }) => compact(r));
  return compact(rest);
}
