// The errata pitfalls (docs/errata.md) found in configs, and matched to the tools' own errors.
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configKindOf, findPitfalls, findWorkspacePitfalls, pitfallForError } from '../../src/labs/pitfalls.js';
import { listLabs } from '../../src/labs/load.js';
import { labsDir } from '../../src/util/paths.js';

/**
 * A host tool this test needs (CI installs haproxy, nginx, keepalived and openssl): its path, or a loud
 * failure naming it. Never a skip and never a vacuous pass.
 */
function hostTool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  const found = dirs.filter(Boolean).map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} is not installed on this machine, and this test needs it (install it as CI does, e.g. apt-get install ${name})`);
  return found;
}

const brief = (file: string, text: string, siblings?: string[]) => findPitfalls(file, text, { siblings }).map((p) => `${p.line} e${p.errata} ${p.severity}`);

const TUTORIAL_62 = `global
    log /dev/log local0 info
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    daemon
    stats socket /var/lib/haproxy/stats mode 660 level admin
defaults
    mode http
frontend web
    bind *:80
    acl is_admin path_beg /admin
    acl allowed_ip src 10.0.0.0/8
    block if is_admin !allowed_ip
    default_backend app
backend app
    option httpchk GET /health
    server a 127.0.0.1:8080 check
`;

describe('findPitfalls: haproxy.cfg', () => {
  it('finds the tutorial snippets: /dev/log (6), daemon (7), socket path (5), block (1), httpchk (12), no forwardfor (9)', () => {
    expect(brief('haproxy/haproxy.cfg', TUTORIAL_62)).toEqual([
      '2 e6 warning',
      '3 e6 warning',
      '5 e7 info',
      '6 e5 info',
      '9 e9 info',
      '13 e1 error',
      '16 e12 info',
    ]);
  });

  it('the block fix keeps the student\'s own condition', () => {
    const p = findPitfalls('haproxy.cfg', TUTORIAL_62).find((x) => x.errata === 1)!;
    expect(p.fix).toBe('write `http-request deny if is_admin !allowed_ip` instead: same syntax');
  });

  it('comments and `http-request deny` are not the block directive; log stdout is fine', () => {
    const ok = 'global\n    log stdout format raw local0\n# block if x\nfrontend f\n    bind :80\n    option forwardfor\n    http-request deny if { path /x } # block\n    default_backend b\n';
    expect(brief('haproxy.cfg', ok)).toEqual([]);
  });

  it('HTTPS without X-Forwarded-Proto (8), HTTP served without a redirect next to HTTPS (10)', () => {
    const cfg = 'frontend http-in\n    bind *:80\n    option forwardfor\n    default_backend b\nfrontend https-in\n    bind *:443 ssl crt /etc/haproxy/certs/\n    option forwardfor\n    default_backend b\n';
    expect(brief('haproxy.cfg', cfg)).toEqual(['2 e10 info', '6 e8 info']);
    const fixed = cfg.replace('    option forwardfor\n    default_backend b\nfrontend https', '    option forwardfor\n    http-request redirect scheme https unless { ssl_fc }\n    default_backend b\nfrontend https').replace('crt /etc/haproxy/certs/\n', 'crt /etc/haproxy/certs/\n    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n');
    expect(brief('haproxy.cfg', fixed)).toEqual([]);
  });
});

describe('findPitfalls: nginx conf.d', () => {
  const before = `server {
    listen 10443 ssl;
    access_log /var/log/nginx/a.log json_combined;
    ssl_stapling on;
    location /api/ {
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
    }
}
server {
    listen 10080;
    return 301 https://$server_name$request_uri;
}
`;
  it('json_combined undefined (2), stapling with the lab CA (3), GET / 404 (11); $scheme is right while nginx terminates TLS', () => {
    expect(brief('nginx/conf.d/a.conf', before)).toEqual(['3 e2 error', '4 e3 warning', '5 e11 info']);
  });

  it('json_combined defined in a sibling file (00-log-format.conf) is fine', () => {
    const sib = "log_format json_combined escape=json '{}';";
    expect(brief('nginx/conf.d/a.conf', before, [sib])).not.toContain('3 e2 error');
  });

  it('behind HAProxy: $scheme (8), X-Real-IP (9), the redirect loop (10)', () => {
    const after = before.replace('listen 10443 ssl;', 'listen 10081;');
    expect(brief('nginx/conf.d/a.conf', after, ['log_format json_combined x;'])).toEqual(['4 e3 warning', '5 e11 info', '6 e8 warning', '7 e9 info', '12 e10 warning']);
  });
});

describe('findPitfalls: keepalived and file kinds', () => {
  it('virtual_server needs IPVS (13)', () => {
    expect(brief('keepalived/keepalived.conf', 'vrrp_instance V {\n}\nvirtual_server 10.0.0.1 80 {\n}\n')).toEqual(['3 e13 info']);
  });
  it('file kinds', () => {
    expect(configKindOf('workspace/exp2/haproxy/haproxy.cfg')).toBe('haproxy');
    expect(configKindOf('nginx/conf.d/x.conf')).toBe('nginx');
    expect(configKindOf('keepalived.conf')).toBe('keepalived');
    expect(configKindOf('notes.txt', 'frontend x\n')).toBe('haproxy');
    expect(configKindOf('README.md')).toBeUndefined();
  });
});

describe('reference solutions', () => {
  it('contain no pitfall that breaks them', () => {
    for (const id of listLabs()) {
      const errors = findWorkspacePitfalls(path.join(labsDir, id, 'solution')).filter((p) => p.severity === 'error');
      expect(errors, id).toEqual([]);
    }
  });
  it('exp2 solution: no $scheme and no nginx redirect loop', () => {
    const all = findWorkspacePitfalls(path.join(labsDir, 'exp2', 'solution'));
    expect(all.filter((p) => p.errata === 8 || (p.errata === 10 && p.file.startsWith('nginx/')))).toEqual([]);
  });
});

describe('pitfallForError: the tool\'s error → the errata fix', () => {
  it('matches the real haproxy -c error for `block` (host haproxy 2.6)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-pitfall-'));
    try {
      const file = path.join(dir, 'haproxy.cfg');
      const cfg = 'defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\nfrontend f\n    bind 127.0.0.1:0\n    acl is_admin path_beg /admin\n    block if is_admin\n';
      writeFileSync(file, cfg);
      const r = await execa(hostTool('haproxy'), ['-c', '-f', file], { reject: false });
      expect(r.failed && r.exitCode === undefined, `haproxy did not run: ${r.message}`).toBe(false);
      expect(r.exitCode).not.toBe(0);
      const out = `${r.stdout}${r.stderr}`;
      const p = pitfallForError(out, findPitfalls(file, cfg), 9);
      expect(p).toMatchObject({ errata: 1, line: 9 });
      expect(p!.fix).toContain('http-request deny if is_admin');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches nginx -t\'s unknown log format (host nginx 1.22)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-pitfall-'));
    try {
      const conf = 'server {\n    listen 127.0.0.1:18099;\n    access_log /dev/null json_combined;\n}\n';
      writeFileSync(path.join(dir, 'a.conf'), conf);
      writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { include ${dir}/a.conf; }\n`);
      const r = await execa(hostTool('nginx'), ['-t', '-q', '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'], { reject: false });
      expect(r.exitCode, `nginx did not run: ${r.message}`).not.toBe(undefined);
      const out = `${r.stdout}${r.stderr}`;
      expect(out).toMatch(/unknown log format "json_combined"/);
      expect(pitfallForError(out, findPitfalls('a.conf', conf), 3)).toMatchObject({ errata: 2, line: 3, severity: 'error' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the signature when the file was not found, and to nothing for unknown errors', () => {
    expect(pitfallForError("[ALERT] (1) : config : parsing [x:4] : The 'block' directive is not supported anymore", [], 4)).toMatchObject({ errata: 1, line: 4 });
    expect(pitfallForError('[ALERT] (1) : config : parsing [x:4] : unknown keyword', [], 4)).toBeUndefined();
  });
});
