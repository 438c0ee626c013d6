// The validators' own errors, mapped from container paths to the student's workspace.
import { describe, it, expect } from 'vitest';
import { cleanMessage, describeFailure, errorLine, locateError } from '../../src/apply/validate.js';
import { haproxyValidator, keepalivedValidator, nginxValidator } from '../../src/apply/services.js';

const VALIDATORS = { haproxy: haproxyValidator, nginx: nginxValidator, director: keepalivedValidator };

const ws = 'workspace/exp2';
const certs = [{ containerDir: '/etc/haproxy/certs', hostDir: 'certs/haproxy' }];

const HAPROXY = `[NOTICE]   (31) : haproxy version is 2.6.12-1+deb12u3
[WARNING]  (31) : config : parsing [/etc/haproxy/haproxy.cfg:3] : 'daemon' ignored
[ALERT]    (31) : config : parsing [/etc/haproxy/haproxy.cfg:119] : The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.
[ALERT]    (31) : config : Error(s) found in configuration file : /etc/haproxy/haproxy.cfg
[ALERT]    (31) : config : Fatal errors found in configuration.`;

describe('HAProxy errors', () => {
  it('the first ALERT, not the warning; its line; the message without the prefix', () => {
    const v = VALIDATORS.haproxy!;
    expect(errorLine(HAPROXY)).toContain('[/etc/haproxy/haproxy.cfg:119]');
    expect(locateError(HAPROXY, v, ws)).toEqual({ file: 'workspace/exp2/haproxy/haproxy.cfg', line: 119, containerFile: '/etc/haproxy/haproxy.cfg' });
    expect(describeFailure(HAPROXY, v, ws).message).toBe("The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.");
  });

  it('a missing certificate maps to the certs folder, not the workspace', () => {
    const out = "[ALERT]    (9) : config : parsing [/etc/haproxy/haproxy.cfg:40] : 'bind *:443' in proxy 'https-in' : unable to stat SSL certificate from file '/etc/haproxy/certs/x.pem' : No such file or directory.";
    const f = describeFailure(out, VALIDATORS.haproxy!, ws, certs);
    expect(f).toMatchObject({ file: 'workspace/exp2/haproxy/haproxy.cfg', line: 40 });
    expect(f.message).toContain("'certs/haproxy/x.pem'");
  });

  it('an error in an included file without a line still names the file', () => {
    const out = '[ALERT]    (9) : config : Cannot open configuration file/directory /etc/haproxy/haproxy.cfg : No such file or directory';
    expect(locateError(out, VALIDATORS.haproxy!, ws)).toMatchObject({ file: 'workspace/exp2/haproxy/haproxy.cfg', line: undefined });
  });
});

describe('nginx and keepalived errors', () => {
  it('nginx: [emerg] … in file:line', () => {
    const out = '2026/11/25 09:48:46 [emerg] 15967#15967: unknown log format "json_combined" in /etc/nginx/conf.d/go-backend.liujun.com.conf:13\nnginx: configuration file /etc/nginx/nginx.conf test failed';
    const f = describeFailure(out, VALIDATORS.nginx!, ws);
    expect(f).toMatchObject({ file: 'workspace/exp2/nginx/conf.d/go-backend.liujun.com.conf', line: 13, message: 'unknown log format "json_combined"' });
  });

  it('nginx: nginx: [emerg] prefix', () => {
    const out = 'nginx: [emerg] unexpected "}" in /etc/nginx/conf.d/a.conf:9';
    expect(describeFailure(out, VALIDATORS.nginx!, ws)).toMatchObject({ line: 9, message: 'unexpected "}"' });
  });

  it('keepalived: (file: Line n)', () => {
    const out = "(/etc/keepalived/keepalived.conf: Line 6) Unknown keyword 'bogus_kw'";
    expect(describeFailure(out, VALIDATORS.director!, 'x')).toMatchObject({ file: 'x/keepalived/keepalived.conf', line: 6, message: "Unknown keyword 'bogus_kw'" });
  });

  it('an unknown shape still gives a message', () => {
    expect(cleanMessage('', VALIDATORS.nginx!, ws)).toBe('');
    expect(describeFailure('', VALIDATORS.nginx!, ws).message).toBe('nginx -t failed');
  });
});
