// What parseKeepalived reads from keepalived.conf: the line reader's grammar (comments, definitions,
// includes, braces, quotes), the data of virtual_server and vrrp_instance blocks with keepalived's
// defaults and inheritance, and its errors. No keepalived needed (forwarding-keepalived-host.test.ts
// compares with the real one).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValid, masterDownTime, parseKeepalived, takeoverTime, virtualServers, vrrpInstances, vrrpScripts, vrrpSyncGroups, type ParseOptions } from '../../src/forwarding/keepalived-config.js';
import { globFiles, parseKeepalivedFile } from '../../src/forwarding/keepalived-files.js';

const FIX = path.resolve('test/fixtures/keepalived');
const fixture = (name: string) => parseKeepalivedFile(path.join(FIX, name), { interfaces: ['eth0'] });
const parse = (text: string, opts: Partial<ParseOptions> = {}) => parseKeepalived(text, { file: 'k.conf', ...opts });
const errorsOf = (text: string, opts: Partial<ParseOptions> = {}) => parse(text, opts).errors.map((e) => `${e.line} ${e.message}`);
const VS = (body: string) => `virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n${body}\n}\n`;

describe('the line reader', () => {
  it('drops ! and # comments outside double quotes, keeps \\! and \\#, and a quoted string is one word', () => {
    const p = parse('global_defs { # comment\n  router_id "lvs one # not a comment" ! comment\n  notification_email_from a\\#b\\!c # x\n}\n');
    expect(p.errors).toEqual([]);
    expect(p.blocks[0]!.block).toMatchObject([
      { keyword: 'router_id', args: ['lvs one # not a comment'], line: 2 },
      { keyword: 'notification_email_from', args: ['a#b!c'], line: 3 },
    ]);
  });

  it('splits braces off a line, also several on one line, and keeps each line number', () => {
    const p = parse('virtual_server 10.0.0.1 80 { lb_algo rr\nlb_kind NAT\n protocol TCP\n real_server 10.0.0.2 80 { TCP_CHECK { connect_timeout 1 } } }\n');
    expect(p.errors).toEqual([]);
    const vs = p.blocks[0]!;
    expect(vs.block!.map((n) => `${n.line}:${n.keyword}`)).toEqual(['1:lb_algo', '2:lb_kind', '3:protocol', '4:real_server']);
    expect(vs.block![3]!.block![0]).toMatchObject({ keyword: 'TCP_CHECK', line: 4, block: [{ keyword: 'connect_timeout', args: ['1'], line: 4 }] });
  });

  it('expands $NAME and ${NAME} recursively, leaves undefined names, and needs a blank, comma, ) or end after $NAME', () => {
    const p = parse('$PORT=80\n$ADDR=10.0.0.1 $PORT\nglobal_defs {\n router_id ${ADDR} $NOPE $PORTx ${PORT}x $PORT,\n}\n');
    expect(p.blocks[0]!.block![0]).toMatchObject({ keyword: 'router_id', args: ['10.0.0.1', '80', '$NOPE', '$PORTx', '80x', '80,'] });
    // ${ADDR}x expands to "10.0.0.1 $PORTx", and $PORTx is not a reference.
    expect(parse('$PORT=80\n$ADDR=10.0.0.1 $PORT\nglobal_defs {\n router_id ${ADDR}x\n}\n').blocks[0]!.block![0]!.args).toEqual(['10.0.0.1', '$PORTx']);
  });

  it('reads multi-line definitions ending in \\ and expands them line by line', () => {
    const text = '$RS=real_server ${IP} 80 { \\\n  weight ${W} \\\n}\n' + VS('$IP=10.0.0.2\n$W=3\n$RS\n$IP=10.0.0.3\n$W=1\n$RS');
    const p = parse(text);
    expect(p.errors).toEqual([]);
    expect(virtualServers(p)[0]!.realServers.map((r) => `${r.ip}:${r.weight}:${r.line}`)).toEqual(['10.0.0.2:3:10', '10.0.0.3:1:13']);
  });

  it('has keepalived\'s built-in definitions and the given vars', () => {
    const p = parse('global_defs {\n router_id "${_HASH}${_BANG}" ${_RANDOM 7 9} $_INSTANCE $SITE\n}\n', { vars: { SITE: 'bj' }, configId: 'lvs1' });
    expect(p.blocks[0]!.block![0]!.args).toEqual(['#!', '7', 'lvs1', 'bj']);
  });

  it('keeps @id lines for the configuration id only, and @^id lines for every other', () => {
    const text = 'global_defs {\n@lvs1 router_id one\n@^lvs1 router_id other\n}\n';
    expect(parse(text, { configId: 'lvs1' }).blocks[0]!.block!.map((n) => n.args[0])).toEqual(['one']);
    expect(parse(text, { configId: 'lvs2' }).blocks[0]!.block!.map((n) => n.args[0])).toEqual(['other']);
  });

  it('repeats ~SEQ and ~LST lines', () => {
    const seq = fixture('valid/seq.conf');
    expect(seq.errors).toEqual([]);
    expect(virtualServers(seq)[0]!.realServers.map((r) => r.ip)).toEqual(['10.0.1.11', '10.0.1.12', '10.0.1.13']);
    const lst = parse(VS('~LST({IP, W}, {10.0.0.5, 2}, {10.0.0.6, 5}) real_server $IP 80 { weight $W }'));
    expect(lst.errors).toEqual([]);
    expect(virtualServers(lst)[0]!.realServers.map((r) => `${r.ip}/${r.weight}`)).toEqual(['10.0.0.5/2', '10.0.0.6/5']);
    expect(errorsOf(VS('~SEQx(i, 3, -1)'))).toContain("5 ~SEQx is only valid for positive numbers '~SEQx(i, 3, -1)'");
  });

  it('reads includes relative to the including file, globs sorted, and says when a file is missing', () => {
    const files: Record<string, string> = {
      '/etc/k/main.conf': 'include conf.d/*.conf\nincludem missing.conf\n',
      '/etc/k/conf.d/b.conf': 'global_defs {\n router_id b\n}\n',
      '/etc/k/conf.d/a.conf': 'include ../vs.inc\n',
      '/etc/k/vs.inc': VS(' real_server 10.0.0.2 80 {\n }'),
    };
    const readInclude = (pattern: string, from: string) => {
      const dir = path.posix.dirname(from);
      const re = new RegExp(`^${path.posix.join(dir, pattern).replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(files).filter((f) => re.test(f)).sort().map((file) => ({ file, text: files[file]! }));
    };
    const p = parseKeepalived(files['/etc/k/main.conf']!, { file: '/etc/k/main.conf', readInclude });
    expect(p.files).toEqual(['/etc/k/main.conf', '/etc/k/conf.d/a.conf', '/etc/k/vs.inc', '/etc/k/conf.d/b.conf']);
    expect(virtualServers(p)[0]).toMatchObject({ vip: '10.0.0.1', file: '/etc/k/vs.inc', line: 1 });
    expect(p.errors).toEqual([expect.objectContaining({ file: '/etc/k/main.conf', line: 2, severity: 'error', message: "Config files missing 'missing.conf'." })]);
    // Plain include: keepalived only logs it.
    expect(parseKeepalived('include nothing.conf\n', { file: 'm.conf', readInclude }).errors.map((e) => e.severity)).toEqual(['warning']);
    // Without a way to read files, an include is an error that says so.
    expect(errorsOf('include x.conf\n')).toEqual(['1 include x.conf: this check cannot read other files']);
  });

  it('reads the include fixture from disk', () => {
    const p = fixture('valid/include.conf');
    expect(p.errors).toEqual([]);
    expect(p.files.map((f) => path.relative(FIX, f))).toEqual(['valid/include.conf', 'valid/include.d/10-vs.part', 'valid/include.d/rs.inc']);
    expect(virtualServers(p)[0]!.realServers[0]).toMatchObject({ ip: '10.0.1.11', file: path.join(FIX, 'valid/include.d/rs.inc'), line: 1 });
    expect(globFiles('include.d/*.{part,inc}', path.join(FIX, 'valid'))).toEqual(['include.d/10-vs.part', 'include.d/rs.inc']);
  });

  it('stops a definition that refers to itself', () => {
    expect(errorsOf('$A=x $A\nglobal_defs {\n router_id $A\n}\n')[0]).toMatch(/^3 Definition \$A expands without end/);
  });

  it('reports brace and quote mistakes where they are', () => {
    expect(errorsOf('global_defs {\n router_id a\n}\n}\n')).toEqual(["4 Extra '}' found"]);
    expect(errorsOf('global_defs {\n router_id a\n')).toEqual(["2 There are 1 missing '}'s or extra '{'s"]);
    expect(errorsOf('global_defs {\n router_id "a\n}\n')).toEqual(["2 Unterminated quote 'router_id \"a'", "2 Unmatched quote: 'router_id \"a'"]);
    expect(errorsOf('vrrp_instance V\n state MASTER\n}\n')).toContain("2 Missing '{' at beginning of configuration block vrrp_instance");
  });
});

describe('virtualServers', () => {
  it('reads the lab\'s own configuration', () => {
    const p = fixture('valid/lab-default.conf');
    expect(p.errors).toEqual([]);
    const [http] = virtualServers(p);
    const check = { connectIp: '172.28.1.11', connectPort: 80, connectTimeout: 0.3, retry: 1, delayBeforeRetry: 0.2, delayLoop: 0.5, warmup: 0.5, alpha: false };
    expect(http).toMatchObject({
      vip: '172.28.0.100', port: 80, protocol: 'TCP', lbAlgo: 'rr', lbKind: 'NAT', delayLoop: 0.5, connectTimeout: 5, line: 45,
      realServers: [
        { ip: '172.28.1.11', port: 80, weight: 1, lbKind: 'NAT', line: 50, tcpCheck: { ...check, line: 52 } },
        { ip: '172.28.1.12', port: 80, weight: 1, tcpCheck: { ...check, connectIp: '172.28.1.12', line: 61 } },
      ],
    });
    expect(http!.realServers[0]!.checkers).toEqual([{ type: 'TCP_CHECK', file: p.files[0], line: 52, tcp: http!.realServers[0]!.tcpCheck }]);
  });

  it('applies keepalived\'s defaults and inheritance: virtual_server → real_server → checker', () => {
    const p = fixture('valid/lvs-wrr.conf');
    expect(p.errors).toEqual([]);
    const [https, http] = virtualServers(p);
    expect(https).toMatchObject({ vip: '10.0.0.100', port: 443, protocol: 'TCP', lbAlgo: 'wrr', lbKind: 'NAT', delayLoop: 0.25, connectTimeout: 2 });
    const [a, b, c, d] = https!.realServers;
    // connect_ip/connect_port; retry and connect_timeout from the virtual server; delay_before_retry 1 s by default.
    expect(a).toMatchObject({ weight: 3, tcpCheck: { connectIp: '10.0.2.11', connectPort: 8404, connectTimeout: 2, retry: 2, delayBeforeRetry: 1, delayLoop: 0.25, warmup: 0.25, alpha: false } });
    // delay_before_retry from the real server, connect_timeout and retry 0 from the checker.
    expect(b).toMatchObject({ weight: 1, tcpCheck: { connectIp: '10.0.1.12', connectPort: 443, connectTimeout: 0.5, retry: 0, delayBeforeRetry: 0.1 } });
    expect(c).toMatchObject({ weight: 0, tcpCheck: { delayLoop: 3, warmup: 0, alpha: true, retry: 2 } });
    // A NAT real server without a port takes the virtual server's; without a checker it has none.
    expect(d).toMatchObject({ ip: '10.0.1.14', port: 443, weight: 1, checkers: [] });
    expect(d!.tcpCheck).toBeUndefined();
    // Defaults: delay_loop 60, connect_timeout 5, retry 1, delay_before_retry 1, warmup = delay_loop; several checkers.
    expect(http!.realServers[0]!.checkers.map((k) => k.tcp)).toMatchObject([
      { connectPort: 80, connectTimeout: 5, retry: 1, delayBeforeRetry: 1, delayLoop: 60, warmup: 60 },
      { connectPort: 8080 },
    ]);
  });

  it('reads definitions, comments and quotes as keepalived does', () => {
    const p = fixture('valid/definitions.conf');
    expect(p.errors).toEqual([]);
    expect(p.blocks[0]!.block!.map((n) => n.args)).toEqual([['lvs one'], ['a#b@liujun.com']]);
    expect(virtualServers(p)[0]).toMatchObject({
      vip: '10.0.0.100', port: 80, delayLoop: 1.5,
      realServers: [{ ip: '10.0.1.11', weight: 2, tcpCheck: { connectTimeout: 0.3 } }, { ip: '10.0.1.12', weight: 1 }],
    });
  });

  it('takes keepalived\'s defaults when lb_algo, lb_kind or protocol are missing, and says so', () => {
    const p = parse('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n');
    expect(virtualServers(p)[0]).toMatchObject({ lbAlgo: 'wlc', lbKind: 'NAT', protocol: 'UDP' });
    expect(p.errors.map((e) => e.message)).toEqual([
      'Virtual server [10.0.0.1]:none:80: no protocol set - defaulting to UDP',
      "Virtual server [10.0.0.1]:none:80: no scheduler set, setting default 'wlc'",
      'Virtual server [10.0.0.1]:none:80: no forwarding method set, setting default NAT',
    ]);
  });

  it('reads fwmark and group virtual servers and DR real servers', () => {
    const p = parse('virtual_server fwmark 7 {\n lb_algo sh\n lb_kind DR\n real_server 10.0.0.2 {\n }\n}\nvirtual_server group G {\n lb_algo rr\n lb_kind TUN\n protocol TCP\n real_server 10.0.0.3 80 {\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n');
    expect(p.errors).toEqual([]);
    expect(virtualServers(p)).toMatchObject([
      { fwmark: 7, lbAlgo: 'sh', lbKind: 'DR', realServers: [{ ip: '10.0.0.2', port: 0, lbKind: 'DR' }] },
      { group: 'G', lbKind: 'TUN', realServers: [{ checkers: [{ type: 'HTTP_GET', line: 12 }] }] },
    ]);
  });
});

describe('vrrpInstances and vrrpSyncGroups', () => {
  it('reads the lab\'s own configuration', () => {
    const p = fixture('valid/lab-default.conf');
    expect(vrrpInstances(p)).toEqual([
      {
        name: 'VI_EDGE', state: 'MASTER', interface: 'eth0', virtualRouterId: 51, priority: 100, advertInt: 1, version: 2, nopreempt: false, preemptDelay: 0,
        virtualIpaddress: ['172.28.0.100/24'], unicastPeers: [], authentication: { type: 'PASS', pass: 'lab-vrrp' }, trackScripts: [], trackInterfaces: [],
        syncGroup: 'LAB', file: p.files[0], line: 15,
      },
      expect.objectContaining({ name: 'VI_GW', virtualRouterId: 52, virtualIpaddress: ['172.28.1.254/24'], syncGroup: 'LAB', line: 30 }),
    ]);
    expect(vrrpSyncGroups(p)).toEqual([{ name: 'LAB', instances: ['VI_EDGE', 'VI_GW'], file: p.files[0], line: 8 }]);
  });

  it('derives state from priority and priority from state, as keepalived does', () => {
    const p = fixture('valid/vrrp-defaults.conf');
    expect(p.errors).toEqual([]);
    expect(vrrpInstances(p).map(({ name, state, priority, advertInt, version, nopreempt, preemptDelay, virtualIpaddress }) => ({ name, state, priority, advertInt, version, nopreempt, preemptDelay, virtualIpaddress }))).toEqual([
      { name: 'OWNER', state: 'MASTER', priority: 255, advertInt: 1, version: 2, nopreempt: false, preemptDelay: 0, virtualIpaddress: ['192.0.2.10/24'] },
      { name: 'MASTER_NO_PRIORITY', state: 'MASTER', priority: 255, advertInt: 1, version: 2, nopreempt: false, preemptDelay: 0, virtualIpaddress: ['192.0.2.11'] },
      { name: 'QUIET', state: 'BACKUP', priority: 90, advertInt: 2, version: 2, nopreempt: true, preemptDelay: 0, virtualIpaddress: ['192.0.2.12/32'] },
      { name: 'V3', state: 'BACKUP', priority: 100, advertInt: 0.5, version: 3, nopreempt: false, preemptDelay: 5, virtualIpaddress: ['192.0.2.13/24'] },
    ]);
  });

  it('gives the longest takeover a config allows, as keepalived times it (down_timer_adverts × advert interval + skew)', () => {
    const inst = (body: string) => vrrpInstances(parse(`vrrp_instance V {\n interface eth0\n virtual_router_id 1\n${body}\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n`, { interfaces: ['eth0'] }))[0]!;
    // Version 2: the skew is (256 − priority)/256 s whatever the interval.
    expect(masterDownTime(inst(' priority 50\n advert_int 1'))).toEqual({ seconds: 3 + 206 / 256, adverts: 3, advertInt: 1, skew: 206 / 256, instance: 'V' });
    expect(masterDownTime(inst(' priority 254\n advert_int 2')).seconds).toBeCloseTo(6 + 2 / 256);
    // Fewer missed adverts, when the config says so.
    const fewer = inst(' priority 254\n advert_int 2\n down_timer_adverts 1');
    expect(fewer.downTimerAdverts).toBe(1);
    expect(masterDownTime(fewer).seconds).toBeCloseTo(2 + 2 / 256);
    // Version 3: the skew is in advert intervals, and the interval is the MASTER's.
    const v3 = inst(' version 3\n priority 128\n advert_int 1');
    expect(masterDownTime(v3, inst(' version 3\n priority 200\n advert_int 2')).seconds).toBeCloseTo(3 * 2 + 0.5 * 2);
    expect(masterDownTime(v3).seconds).toBeCloseTo(3.5);
    // keepalived 2.2.7's own words (vrrp_parser.c).
    expect(errorsOf('vrrp_instance V {\n interface eth0\n virtual_router_id 1\n down_timer_adverts 0\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n', { interfaces: ['eth0'] }))
      .toEqual(["4 (V): Invalid down_timer_adverts [1:100] '0'"]);
    // The global default, and strict mode putting it back to 3 (vrrp.c vrrp_complete_instance).
    const global = parse('global_defs {\n vrrp_down_timer_adverts 5\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 1\n priority 50\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n', { interfaces: ['eth0'] });
    expect(masterDownTime(vrrpInstances(global)[0]!).seconds).toBeCloseTo(5 + 206 / 256);
    const strict = parse('vrrp_instance V {\n interface eth0\n virtual_router_id 1\n strict_mode\n down_timer_adverts 2\n advert_int 2\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n', { interfaces: ['eth0'] });
    expect(strict.errors.map((e) => e.message)).toContain('(V) down_timer_adverts is incompatible with strict mode - resetting');
    expect(masterDownTime(vrrpInstances(strict)[0]!).adverts).toBe(3);
  });

  it('times a sync group\'s takeover by its slowest member: the members go MASTER together', () => {
    const conf = (gwAdvert: number, prio: number) => parse(
      `vrrp_sync_group G {\n group {\n  VI_VIP\n  VI_GW\n }\n}\n` +
        `vrrp_instance VI_VIP {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n advert_int 1\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n` +
        `vrrp_instance VI_GW {\n interface eth1\n virtual_router_id 52\n priority ${prio}\n advert_int ${gwAdvert}\n virtual_ipaddress {\n  10.0.1.9/24\n }\n}\n`,
      { interfaces: ['eth0', 'eth1'] },
    );
    const backup = conf(2, 50);
    const vip = vrrpInstances(backup)[0]!;
    expect(takeoverTime(backup, conf(2, 100), vip)).toEqual({ seconds: 6 + 206 / 256, adverts: 3, advertInt: 2, skew: 206 / 256, instance: 'VI_GW', viaGroup: 'G' });
    // Members with the same timers: the VIP's own instance, no group named.
    const even = conf(1, 50);
    expect(takeoverTime(even, conf(1, 100), vrrpInstances(even)[0]!)).toEqual({ seconds: 3 + 206 / 256, adverts: 3, advertInt: 1, skew: 206 / 256, instance: 'VI_VIP' });
  });

  it('reads vrrp_script blocks with keepalived\'s defaults, tracked scripts and unicast peers', () => {
    const p = fixture('valid/vrrp-script.conf');
    expect(p.errors).toEqual([]);
    expect(vrrpScripts(p)).toEqual([{ name: 'chk_haproxy', script: '/bin/true', interval: 1, timeout: 0, weight: -30, weightReverse: false, rise: 1, fall: 2, file: p.files[0], line: 6 }]);
    expect(vrrpInstances(p)[0]).toMatchObject({ name: 'VI_1', trackScripts: ['chk_haproxy'] });
    expect(vrrpScripts(parse('vrrp_script s {\n script "/bin/x a"\n}\n'))[0]).toMatchObject({ script: '/bin/x a', interval: 1, timeout: 0, weight: 0, rise: 1, fall: 1 });
    expect(vrrpInstances(fixture('valid/unicast.conf'))[0]!.unicastPeers).toEqual(['192.0.2.2']);
  });

  it('checks interfaces against the given list, and never accepts lo', () => {
    const text = 'vrrp_instance V {\n interface ens9\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.9/24\n }\n}\n';
    expect(isValid(parse(text))).toBe(true);
    expect(errorsOf(text, { interfaces: ['eth0'] })).toContain("2 WARNING - interface ens9 for vrrp_instance V doesn't exist");
    expect(errorsOf(text.replace('ens9', 'lo'))).toContain('2 (V) cannot use a loopback interface (lo) for vrrp - ignoring');
  });
});

describe('errors', () => {
  // Each invalid fixture: the line and message of the error it is about.
  const expected: Record<string, [number, string]> = {
    'all-weights-zero.conf': [2, 'Warning - quorum 1 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 0, reducing quorum to 0'],
    'connect-port-range.conf': [12, "Invalid checker connect_port '70000'"],
    'delay-loop-decimals.conf': [3, "virtual server delay_loop '0.0000005' invalid"],
    'down-timer-adverts-range.conf': [7, "(VI_1): Invalid down_timer_adverts [1:100] '0'"],
    'down-timer-adverts-strict.conf': [2, '(VI_1) down_timer_adverts is incompatible with strict mode - resetting'],
    'dr-port-mismatch.conf': [8, "WARNING - virtual server [10.0.0.100]:tcp:80 and real server [10.0.1.11]:tcp:8080 ports don't match"],
    'duplicate-rs.conf': [10, 'VS [10.0.0.100]:tcp:80: real server [10.0.1.11]:tcp:80 is duplicated'],
    'extra-brace.conf': [16, "Extra '}' found"],
    'includem-missing.conf': [2, "Config files missing 'no-such-file.conf'."],
    'lb-algo-bogus.conf': [4, "Invalid lvs_scheduler 'roundrobin' - ignoring"],
    'lb-kind-bogus.conf': [5, 'PARSER : unknown [BOGUS] routing method for virtual server.'],
    'missing-brace.conf': [14, "There are 1 missing '}'s or extra '{'s"],
    'missing-parameter.conf': [4, 'Configuration line starting `lb_algo` is missing a parameter'],
    'no-protocol.conf': [2, 'no protocol set - defaulting to UDP'],
    'notification-email-empty.conf': [3, 'Warning - empty notification_email block'],
    'no-real-servers.conf': [2, 'Virtual server [10.0.0.100]:tcp:80 has no real servers - ignoring'],
    'script-security.conf': [5, 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.'],
    'seq-invalid.conf': [6, 'Invalid ~SEQ values'],
    'state-lowercase.conf': [3, "(VI_1) unknown state 'backup', defaulting to BACKUP"],
    'sync-group-one-member.conf': [2, "Sync group G has only 1 virtual router(s) - this probably isn't what you want"],
    'sync-group-unknown-member.conf': [5, "Virtual router VI_X specified in sync group G doesn't exist - ignoring"],
    'tcp-check-nb-get-retry.conf': [12, "Unknown keyword 'nb_get_retry'"],
    'track-script-unknown.conf': [22, '(VI_1) track script chk_haproxyy not found, ignoring...'],
    'unexpected-brace.conf': [6, "Unexpected '{' - ignoring"],
    'unicast-without-peers.conf': [7, '(VI_1) A unicast keyword has been specified without any unicast peers.'],
    'unknown-keyword.conf': [5, "Unknown keyword 'virtual_router_idd'"],
    'unterminated-quote.conf': [3, "Unterminated quote 'router_id \"lvs1'"],
    'vip-invalid.conf': [10, 'VRRP parsed invalid IP 192.0.2.300/24. skipping IP...'],
    'vrrp-advert-fraction.conf': [2, '(VI_1) VRRPv2 advertisement interval 0.500000s must be an integer. rounding'],
    'vrrp-auth-pass-long.conf': [10, 'Truncating auth_pass to 8 characters'],
    'vrrp-duplicate-vrid.conf': [13, 'VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0'],
    'vrrp-loopback.conf': [4, '(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring'],
    'vrrp-master-nopreempt.conf': [2, '(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing'],
    'vrrp-no-vrid.conf': [2, '(VI_1) the virtual router id must be set'],
    'weight-negative.conf': [9, 'Real server weight -1 is outside range 0-2147483647'],
  };
  it('covers every invalid fixture', () => {
    expect(readdirSync(path.join(FIX, 'invalid')).filter((f) => f.endsWith('.conf')).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const [name, [line, message]] of Object.entries(expected)) {
    it(`invalid/${name}: line ${line}`, () => {
      const p = fixture(`invalid/${name}`);
      expect(isValid(p)).toBe(false);
      expect(p.errors.some((e) => e.line === line && e.message.includes(message)), JSON.stringify(p.errors, null, 1)).toBe(true);
    });
  }

  it('gives every error a one-line hint, and suggests the keyword meant', () => {
    for (const name of Object.keys(expected)) {
      for (const e of fixture(`invalid/${name}`).errors) {
        expect(e.hint, `${name}: ${e.message}`).toMatch(/^[^\n]{10,}$/);
      }
    }
    const p = fixture('invalid/unknown-keyword.conf');
    expect(p.errors.find((e) => e.message.startsWith('Unknown'))!.hint).toBe("Did you mean 'virtual_router_id'? keepalived 2.2.7 has no 'virtual_router_idd' in vrrp_instance.");
    expect(fixture('invalid/tcp-check-nb-get-retry.conf').errors[0]!.hint).toBe('TCP_CHECK takes `retry` (nb_get_retry is HTTP_GET/SSL_GET only).');
    expect(parse('virtual_ipaddress {\n 1.2.3.4\n}\n').errors[0]!.hint).toBe("'virtual_ipaddress' belongs inside vrrp_instance { … }, not at the top level.");
  });

  it('reads numbers as keepalived does', () => {
    const timer = (v: string) => errorsOf(VS(` delay_loop ${v}\n real_server 10.0.0.2 80 {\n }`));
    expect(timer('0.5')).toEqual([]);
    expect(timer('.5')).toEqual([]);
    expect(timer('3.')).toEqual([]);
    expect(timer('0')[0]).toMatch(/delay_loop '0' invalid/);
    expect(timer('1e3')[0]).toMatch(/invalid number '1e3'/);
    expect(timer('-1')[0]).toMatch(/negative number '-1'/);
    const weight = (v: string) => errorsOf(VS(` real_server 10.0.0.2 80 {\n  weight ${v}\n }\n real_server 10.0.0.3 80 {\n }`));
    expect(weight('0')).toEqual([]);
    expect(weight('+7')).toEqual([]);
    expect(weight('2147483648')[0]).toMatch(/outside range 0-2147483647/);
    expect(weight('1x')[0]).toMatch(/outside range/);
  });
});
