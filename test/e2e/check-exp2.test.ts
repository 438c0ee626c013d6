// The grader, graded (exp2): the shared contract (start fails everything, the solution passes
// everything), correct configs written differently (HTTP redirected to HTTPS, a Host→backend map, one
// frontend, anonymous ACLs, SNI routing on 443) score full, and configs that miss the lesson are caught
// by the check that should catch them (a mode-tcp pass-through to Nginx still terminating TLS among them).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DEFAULT_DOMAINS } from '../../src/certs/index.js';
import { loadLab } from '../../src/labs/load.js';
import { describeExperimentContract } from '../helpers/contract.js';
import { explain, failing, mutate } from '../helpers/grading.js';

const lab2 = loadLab('exp2');
const NAMES = ['go', 'java', 'python', 'stars', 'touch', 'vueb', 'vuew'];
const head = (s: string) => s.slice(0, s.indexOf('frontend http-in'));
const backends = (s: string) => s.slice(s.indexOf('# One backend per domain'));
const httpsFrontend = (s: string) => s.slice(s.indexOf('frontend https-in'), s.indexOf('\n# One backend per domain'));

/** Only the https-in part of the solution, so a mutation can hit one frontend. */
function inHttpsFrontend(text: string, fn: (section: string) => string): string {
  const start = text.indexOf('frontend https-in');
  const end = text.indexOf('\n# One backend per domain');
  return text.slice(0, start) + fn(text.slice(start, end)) + text.slice(end);
}

const nginxConf = (d: string) => readFileSync(path.join(lab2.solutionDir, 'nginx', 'conf.d', `${d}.conf`), 'utf8');

/** The solution's Nginx file plus the tutorial's TLS server on 10443 (Nginx still terminating TLS). */
function withNginxTls(d: string): string {
  const upstream = /proxy_pass http:\/\/(\w+);/.exec(nginxConf(d))![1];
  return `${nginxConf(d)}
server {
    listen 10443 ssl;
    server_name ${d};
    ssl_certificate /etc/nginx/ssl/${d}/certificate.crt;
    ssl_certificate_key /etc/nginx/ssl/${d}/private.key;
    location / {
        proxy_pass http://${upstream};
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`;
}

const hostsMap = (names: string[], prefix: string) => DEFAULT_DOMAINS.map((d, i) => `${d} ${prefix}${names[i]}`).join('\n') + '\n';

const pools = (prefix: string, check = 'check') =>
  NAMES.map((n) => `\nbackend ${prefix}${n}\n    server a nginx1:10080 ${check}\n    server b nginx2:10080 ${check}\n    server c nginx3:10080 ${check}`).join('\n');

describeExperimentContract('exp2', {
  tag: 'chk2',
  // Validate-then-reload, wait until the VIP answers on 80, then one director health-check period.
  converge: { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 600 },
  correct: [
    {
      source: 'issue 8',
      name: 'HTTP answers a redirect to HTTPS (graded where the redirect leads)',
      cfg: (s) =>
        `${head(s)}
frontend http-in
    bind *:80
    http-request redirect scheme https unless { ssl_fc }

${httpsFrontend(s)}
${backends(s)}`,
      check: (r) => expect(r.checks.find((c) => c.id === 'http-routing')!.message).toMatch(/redirect/),
    },
    {
      name: 'one frontend, a Host→backend map, other backend names, leastconn, HTTP/2 on 443, checks with a Host header',
      files: () => ({ 'haproxy/hosts.map': hostsMap(NAMES, 'pool_') }),
      cfg: (s) => `${head(s)}
frontend www
    bind :80
    bind :443 ssl crt /etc/haproxy/certs/ alpn h2,http/1.1
    option forwardfor
    http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]
    use_backend %[req.hdr(host),lower,map(/etc/haproxy/hosts.map)]
    default_backend pool_go
${NAMES.map(
  (n, i) => `
backend pool_${n}
    balance leastconn
    option httpchk
    http-check send meth GET uri /api/health hdr Host ${DEFAULT_DOMAINS[i]}
    server a nginx1:10080 check
    server b nginx2:10080 check
    server c nginx3:10080 check`,
).join('\n')}
`,
    },
    {
      source: 'issue 8 (smaller)',
      name: 'a map with a default value instead of a default_backend line, SNI routing on 443',
      files: () => ({ 'haproxy/hosts.map': hostsMap(NAMES, 'be_') }),
      cfg: (s) => `${head(s)}
frontend plain
    bind *:80
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    use_backend %[req.hdr(host),lower,map(/etc/haproxy/hosts.map,be_go)]

frontend tls
    bind *:443 ssl crt /etc/haproxy/certs/
    option forwardfor
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    use_backend %[ssl_fc_sni,lower,map(/etc/haproxy/hosts.map,be_go)]
${pools('be_')}
`,
    },
    {
      name: 'anonymous ACLs on hdr_dom, backends declared before the frontends',
      cfg: (s) => {
        const rules = DEFAULT_DOMAINS.map((d, i) => `    use_backend ${NAMES[i]} if { hdr(host) -i ${d} } || { hdr(host) -i ${d}:80 } || { hdr(host) -i ${d}:443 }`).join('\n');
        const fe = (name: string, bind: string, proto: string) =>
          `frontend ${name}\n    bind ${bind}\n    option forwardfor\n    http-request set-header X-Forwarded-Proto ${proto}\n${rules}\n    default_backend go\n`;
        return `${head(s)}${pools('')}\n\n${fe('f80', '*:80', 'http')}\n${fe('f443', '*:443 ssl crt /etc/haproxy/certs/', 'https')}`;
      },
    },
  ],
  wrong: [
    {
      source: 'issue 8',
      name: '443 in mode tcp passed through to Nginx :10443, Nginx still terminating TLS',
      files: () => Object.fromEntries(DEFAULT_DOMAINS.map((d) => [`nginx/conf.d/${d}.conf`, withNginxTls(d)])),
      cfg: (s) =>
        `${head(s)}${s.slice(s.indexOf('frontend http-in'), s.indexOf('frontend https-in'))}frontend https-in
    bind *:443
    mode tcp
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
${DEFAULT_DOMAINS.map((d, i) => `    use_backend tls_${NAMES[i]} if { req.ssl_sni -i ${d} }`).join('\n')}
    default_backend tls_go
${NAMES.map((n) => `\nbackend tls_${n}\n    mode tcp\n    server a nginx1:10443 check\n    server b nginx2:10443 check\n    server c nginx3:10443 check`).join('\n')}

${backends(s)}`,
      only: ['https-routing', 'tls-certificates'],
      fails: ['https-routing', 'tls-certificates'],
      check: (r) => {
        for (const id of ['https-routing', 'tls-certificates']) expect(r.checks.find((c) => c.id === id)!.message).toMatch(/did not terminate TLS/);
        // Its HTTP frontend is the solution's: the pass-through's own sessions (the directors' health
        // checks falling through to tls_go, the grader's handshakes) are not read as HTTP traffic.
        expect(r.checks.find((c) => c.id === 'https-routing')!.message).not.toMatch(/\bHTTP: /);
      },
    },
    {
      source: 'hostile review',
      name: "HAProxy re-encrypts to Nginx :10443 (the start's Nginx files: Nginx still terminating TLS)",
      files: () => Object.fromEntries(DEFAULT_DOMAINS.map((d) => [`nginx/conf.d/${d}.conf`, readFileSync(path.join(lab2.startDir, 'nginx', 'conf.d', `${d}.conf`), 'utf8')])),
      cfg: (s) => inHttpsFrontend(s, (f) => f.replace(/use_backend (\S+) if/g, 'use_backend tls_$1 if').replace('default_backend go-backend', 'default_backend tls_go-backend')) +
        ['go-backend', 'java-backend', 'python-backend', 'stars', 'touch', 'vueb', 'vuew']
          .map((b) => `\nbackend tls_${b}\n    server n1 nginx1:10443 ssl verify none check\n    server n2 nginx2:10443 ssl verify none check\n    server n3 nginx3:10443 ssl verify none check\n`)
          .join(''),
      only: ['tls-certificates'],
      fails: ['tls-certificates'],
      check: (r) => expect(r.checks.find((c) => c.id === 'tls-certificates')!.message).toMatch(/still answer TLS on port 10443/),
    },
    {
      name: 'two domains swapped in the HTTPS frontend only',
      only: ['http-routing', 'https-routing'],
      fails: ['https-routing'],
      cfg: (s) =>
        inHttpsFrontend(s, (f) =>
          mutate(mutate(mutate(f, 'use_backend go-backend if host_go', 'use_backend X if host_go'), 'use_backend java-backend if host_java', 'use_backend go-backend if host_java'), 'use_backend X if host_go', 'use_backend java-backend if host_go'),
        ),
    },
    { name: 'two domains on one backend in both frontends', only: ['http-routing', 'https-routing'], fails: ['http-routing', 'https-routing'], cfg: (s) => mutate(s, 'use_backend stars if host_stars', 'use_backend touch if host_stars') },
    {
      name: 'one PEM missing from the crt list',
      only: ['tls-certificates'],
      fails: ['tls-certificates'],
      cfg: (s) =>
        mutate(
          s,
          'bind *:443 ssl crt /etc/haproxy/certs/',
          `bind *:443 ssl ${['go-backend', 'java-backend', 'python-backend', 'touch', 'vue-backup', 'vue-web'].map((d) => `crt /etc/haproxy/certs/${d}.liujun.com.pem`).join(' ')}`,
        ),
    },
    {
      name: 'bind :443 without ssl',
      cfg: (s) => mutate(s, 'bind *:443 ssl crt /etc/haproxy/certs/', 'bind *:443'),
      fails: ['domains-answer', 'https-routing', 'tls-certificates', 'no-redirect-loop', 'default-backend', 'forwarded-proto', 'forwarded-for'],
    },
    { name: 'no option forwardfor', only: ['forwarded-for'], fails: ['forwarded-for'], cfg: (s) => mutate(s, '    option forwardfor\n', '') },
    { name: 'HTTPS does not set X-Forwarded-Proto', only: ['forwarded-proto'], fails: ['forwarded-proto'], cfg: (s) => mutate(s, '    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n', '') },
    {
      name: 'no default_backend on port 80',
      only: ['default-backend'],
      fails: ['default-backend'],
      cfg: (s) => s.replace('    default_backend go-backend\n\nfrontend https-in', '\nfrontend https-in'),
    },
    {
      source: 'issue 8 (smaller)',
      name: 'servers without health checks (no check is not UP)',
      only: ['haproxy-config-valid'],
      fails: ['haproxy-config-valid'],
      cfg: (s) => s.replace(/ check$/gm, ''),
    },
    {
      source: 'issue 8 (smaller)',
      name: 'one domain ends at a 503 (its servers on a port nothing listens on)',
      cfg: (s) => s.replace(/(backend stars\n(?:    server .*\n)+)/, (b) => b.replace(/:10080/g, ':10081')),
      fails: ['haproxy-config-valid', 'domains-answer', 'no-redirect-loop', 'forwarded-proto', 'forwarded-for'],
      check: (r) => expect(r.checks.find((c) => c.id === 'no-redirect-loop')!.message).toMatch(/stars\.liujun\.com.*503/),
    },
    {
      name: 'Nginx still redirects one domain to HTTPS (the start file): a redirect loop',
      files: () => ({ 'nginx/conf.d/stars.liujun.com.conf': readFileSync(path.join(lab2.startDir, 'nginx', 'conf.d', 'stars.liujun.com.conf'), 'utf8') }),
      // The start file also keeps Nginx's TLS server on 10443.
      fails: ['domains-answer', 'tls-certificates', 'no-redirect-loop', 'forwarded-proto', 'forwarded-for'],
      check: (r) => expect(r.checks.find((c) => c.id === 'no-redirect-loop')!.message).toMatch(/stars\.liujun\.com.*redirect/),
    },
    {
      name: 'HTTPS redirects to HTTPS as well: a loop at HAProxy',
      cfg: (s) => mutate(s, '    mode http\n    option forwardfor\n', '    mode http\n    option forwardfor\n    http-request redirect scheme https\n'),
      fails: ['domains-answer', 'http-routing', 'https-routing', 'no-redirect-loop', 'default-backend', 'forwarded-proto', 'forwarded-for'],
    },
  ],
  more: (get) => {
    it('the reference solution graded twice in a row agrees (counters are read before and after our own traffic)', async () => {
      const { grade, solution } = get();
      await solution();
      const a = await grade();
      const b = await grade();
      expect(failing(a), explain(a)).toEqual([]);
      expect(failing(b), explain(b)).toEqual([]);
    });
  },
});
