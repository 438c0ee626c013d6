// Configs that run code: each directive is found after the service's own unquoting, with its line;
// comments, negations and look-alikes are not findings.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CODE_RULES, configKind, findCodeExecution, isAllowed } from '../../src/grade/code-exec.js';
import { haproxyWords, keepalivedWords, nginxStatements } from '../../src/grade/config-words.js';
import { labsDir } from '../../src/util/paths.js';
import { walkFiles } from '../../src/util/files.js';

const find = (file: string, text: string) => findCodeExecution(file, text).map((f) => [f.line, f.directive, f.rule]);
const H = 'haproxy/haproxy.cfg';
const N = 'nginx/conf.d/site.conf';
const K = 'keepalived/keepalived.conf';

describe('HAProxy', () => {
  it('finds program sections, Lua, external checks and insecure-fork-wanted', () => {
    const cfg = [
      'global',
      '    lua-load /etc/haproxy/x.lua',
      '    lua-load-per-thread /etc/haproxy/y.lua',
      '    lua-prepend-path /tmp/?.lua',
      '    insecure-fork-wanted',
      '    external-check',
      'backend be',
      '    option external-check',
      '    external-check command /bin/true',
      'program evil',
      '    command /bin/sh -c id',
    ].join('\n');
    expect(find(H, cfg)).toEqual([
      [2, 'lua-load', 'haproxy:lua'],
      [3, 'lua-load-per-thread', 'haproxy:lua'],
      [4, 'lua-prepend-path', 'haproxy:lua'],
      [5, 'insecure-fork-wanted', 'haproxy:fork'],
      [6, 'external-check', 'haproxy:external-check'],
      [8, 'option external-check', 'haproxy:external-check'],
      [9, 'external-check', 'haproxy:external-check'],
      [10, 'program', 'haproxy:program'],
    ]);
  });

  it('sees through quotes and escapes, and refuses a directive name from an environment variable', () => {
    const cfg = ['global', '  "lua-load" /x.lua', "  'lua-load' /x.lua", '  lua\\x2dload /x.lua', '  lu\\a-load /x.lua', '  setenv K lua-load', '  "${K}" /x.lua', '  "$K" /x.lua'].join('\n');
    expect(find(H, cfg)).toEqual([
      [2, 'lua-load', 'haproxy:lua'],
      [3, 'lua-load', 'haproxy:lua'],
      [4, 'lua-load', 'haproxy:lua'],
      [5, 'lua-load', 'haproxy:lua'],
      [7, '${K}', 'haproxy:env-keyword'],
      [8, '$K', 'haproxy:env-keyword'],
    ]);
  });

  it('ignores comments, negations, arguments and plain setenv', () => {
    const cfg = ['# lua-load /x.lua', 'global', '    setenv PATH /usr/bin  # program', '    log stdout format raw local0 # external-check', 'backend be', '    no option external-check', '    http-request set-header X-Program program', "    http-request return string '$HOME'"].join('\n');
    expect(find(H, cfg)).toEqual([]);
  });

  it('finds nothing in the reference solutions and start files of every experiment', () => {
    for (const rel of walkFiles(labsDir)) {
      const file = rel.split('/').slice(2).join('/');
      if (!configKind(file)) continue;
      expect(findCodeExecution(file, readFileSync(path.join(labsDir, rel), 'utf8')), rel).toEqual([]);
    }
  });
});

describe('Nginx', () => {
  it('finds perl*, js_*, load_module and OpenResty Lua, in any block and however quoted', () => {
    const conf = [
      'load_module modules/ngx_http_js_module.so;',
      'http {',
      '  perl_modules perl/lib; perl_require hello.pm;',
      '  js_import main from x.js;',
      '  server {',
      '    listen 10080;',
      '    location / { "js_content" main.hello; }',
      '    location /p { perl hello::handler; }',
      '    set_by_lua $x "return 1";',
      '    content_by_lua_block { ngx.say(1) }',
      '  }',
      '}',
    ].join('\n');
    expect(find(N, conf)).toEqual([
      [1, 'load_module', 'nginx:load-module'],
      [3, 'perl_modules', 'nginx:perl'],
      [3, 'perl_require', 'nginx:perl'],
      [4, 'js_import', 'nginx:njs'],
      [7, 'js_content', 'nginx:njs'],
      [8, 'perl', 'nginx:perl'],
      [9, 'set_by_lua', 'nginx:lua'],
      [10, 'content_by_lua_block', 'nginx:lua'],
    ]);
  });

  it('ignores comments and arguments that look like directives', () => {
    const conf = ['# js_import x;', 'server {', '  listen 10080; # perl', '  root /srv/perl;', '  add_header X-Js "js_content; perl";', '  return 200 "load_module";', '}'].join('\n');
    expect(find(N, conf)).toEqual([]);
  });

  it('a directive on a continued line reports the line it starts on', () => {
    expect(nginxStatements('server {\n  listen\n    10080;\n  js_set\n  $x f;\n}').map((s) => [s.line, s.words[0]])).toEqual([
      [1, 'server'],
      [2, 'listen'],
      [4, 'js_set'],
    ]);
  });
});

describe('keepalived', () => {
  it('finds notify*, vrrp_script, track_script, MISC_CHECK and script security settings', () => {
    const conf = [
      'global_defs {',
      '  notification_email { a@b }',
      '  script_user root',
      '  enable_script_security',
      '}',
      'vrrp_script chk { script "/bin/true" }',
      'vrrp_instance VI_1 {',
      '  state MASTER',
      '  notify_master "/etc/k/up.sh"',
      '  notify /etc/k/any.sh',
      '  track_script { chk }',
      '}',
      'virtual_server 10.0.0.1 80 {',
      '  real_server 10.0.0.2 80 { MISC_CHECK { misc_path "/bin/true" } notify_up /x }',
      '}',
      '! notify_backup /x',
    ].join('\n');
    expect(find(K, conf)).toEqual([
      [3, 'script_user', 'keepalived:script'],
      [4, 'enable_script_security', 'keepalived:script'],
      [6, 'vrrp_script', 'keepalived:script'],
      [6, 'script', 'keepalived:script'],
      [9, 'notify_master', 'keepalived:notify'],
      [10, 'notify', 'keepalived:notify'],
      [11, 'track_script', 'keepalived:script'],
      [14, 'MISC_CHECK', 'keepalived:misc-check'],
      [14, 'misc_path', 'keepalived:misc-check'],
      [14, 'notify_up', 'keepalived:notify'],
    ]);
  });

  it('expands $parameters where they are used: a hidden keyword is found, an address is fine', () => {
    const conf = ['$UP=notify_master "/x"', '$N=noti', '$VIP=10.0.0.1', 'vrrp_instance V {', '  $UP', '  ${N}fy_backup /y', '  virtual_ipaddress {', '    $VIP', '  }', '  $ELSEWHERE', '}'].join('\n');
    expect(findCodeExecution(K, conf).map((f) => [f.line, f.directive, f.rule, f.message])).toEqual([
      [5, '$UP', 'keepalived:notify', expect.stringMatching(/^\$UP expands to notify_master, which runs a script/)],
      [6, '${N}fy_backup', 'keepalived:notify', expect.stringMatching(/expands to notify_backup/)],
      [10, '$ELSEWHERE', 'keepalived:variable', '$ELSEWHERE is not defined in this file, so what the line runs cannot be checked'],
    ]);
  });

  it('splits braces into words of their own', () => {
    expect(keepalivedWords('vrrp_instance VI_1 { notify "/a b" } # x')).toEqual(['vrrp_instance', 'VI_1', '{', 'notify', '/a b', '}']);
  });
});

describe('rules', () => {
  it('files no service reads are not scanned; allow lists are per rule', () => {
    expect(findCodeExecution('runbook.sh', 'lua-load /x')).toEqual([]);
    expect(configKind('haproxy/certs/x.pem')).toBeUndefined();
    const [f] = findCodeExecution(H, 'global\n lua-load /x\n');
    expect(isAllowed(f!, undefined)).toBe(false);
    expect(isAllowed(f!, ['haproxy:program'])).toBe(false);
    expect(isAllowed(f!, ['haproxy:lua'])).toBe(true);
    expect(isAllowed(f!, true)).toBe(true);
    expect(CODE_RULES).toContain(f!.rule);
  });

  it('haproxyWords decodes like HAProxy and marks expansions', () => {
    expect(haproxyWords('  bind "a b":80 \'$X\' "$Y" c\\ d # e')).toEqual([
      { text: 'bind', expands: false },
      { text: 'a b:80', expands: false },
      { text: '$X', expands: false },
      { text: '$Y', expands: true },
      { text: 'c d', expands: false },
    ]);
  });
});
