// The grader, graded (exp3, load-balancing algorithms): the shared contract (start fails everything, the
// solution passes everything), correct configs written differently score full, and configs that miss
// the lesson are caught by the check that should catch them. Round robin and weights are exact per
// HAProxy node; the hashes are judged from the client, the office and its extra addresses.
import { describeExperimentContract } from '../helpers/contract.js';
import { inSection, replaceSection } from '../helpers/grading.js';

const head = (s: string) => s.slice(0, s.indexOf('frontend lb-in'));
const pool = (w: [string, string, string] = ['', '', ''], a = 'nginx1:10080', b = 'nginx2:10080', c = 'nginx3:10080') =>
  `    server a ${a} check${w[0]}\n    server b ${b} check${w[1]}\n    server c ${c} check${w[2]}`;

describeExperimentContract('exp3', {
  tag: 'chk3',
  // Wait until the VIP answers on 80, then one director health-check period, so both HAProxy nodes are in rotation.
  converge: { waitFor: 'http://go-backend.liujun.com/rr/x', settleMs: 600 },
  correct: [
    {
      name: 'other names, anonymous ACLs, a server by address, round robin with weights 10:30:10',
      cfg: async (s, env) => `${head(s)}
frontend www
    bind :80
    use_backend even if { path_beg /rr/ }
    use_backend heavy if { path_beg /weighted/ }
    use_backend sticky if { path_beg /source/ }
    use_backend cache if { path_beg /uri/ }

backend even
${pool(undefined, 'nginx3:10080', `${await env.addressOf('nginx2')}:10080`, 'nginx1:10080')}

backend heavy
    balance roundrobin
${pool([' weight 10', ' weight 30', ' weight 10'])}

backend sticky
    balance source
${pool()}

backend cache
    balance uri
${pool()}
`,
    },
    {
      name: 'a path map, static-rr 6:2:2 with the heavy server last, map-based source hash, uri whole with djb2',
      files: () => ({ 'haproxy/paths.map': '/rr/ p_rr\n/weighted/ p_w\n/source/ p_src\n/uri/ p_uri\n' }),
      cfg: (s) => `${head(s)}
frontend lb
    bind *:80
    use_backend %[path,map_beg(/etc/haproxy/paths.map)]

backend p_rr
    balance static-rr
${pool()}

backend p_w
    balance static-rr
${pool([' weight 2', ' weight 2', ' weight 6'])}

backend p_src
    balance source
    hash-type map-based
${pool()}

backend p_uri
    balance uri whole
    hash-type consistent djb2
${pool()}
`,
    },
    {
      name: 'default-server lines, weights on default-server, path_reg ACLs, consistent hashing, http-buffer-request on /rr/',
      cfg: (s) => `${head(s)}
frontend lb-in
    bind :80
    acl rr path_reg ^/rr/
    acl w path_reg ^/weighted/
    acl src path_reg ^/source/
    acl uri path_reg ^/uri/
    use_backend b1 if rr
    use_backend b2 if w
    use_backend b3 if src
    use_backend b4 if uri
    default_backend b1

backend b1
    option http-buffer-request
    default-server check inter 2s
    server x nginx1:10080
    server y nginx2:10080
    server z nginx3:10080

backend b2
    balance static-rr
    default-server check weight 1
    server x nginx1:10080
    server y nginx2:10080 weight 3
    server z nginx3:10080

backend b3
    balance source
    hash-type consistent
    default-server check
    server x nginx1:10080
    server y nginx2:10080
    server z nginx3:10080

backend b4
    balance uri
    hash-type consistent
    default-server check
    server x nginx1:10080
    server y nginx2:10080
    server z nginx3:10080
`,
    },
  ],
  wrong: [
    { source: 'issue 8', name: 'weights 4:1:1 for 3:1:1', only: ['weighted'], fails: ['weighted'], cfg: (s) => inSection(s, 'backend weighted-backend', 'weight 3', 'weight 4') },
    {
      source: 'issue 8',
      name: 'weights 3:2:1 for 3:1:1',
      only: ['weighted'],
      fails: ['weighted'],
      cfg: (s) => inSection(s, 'backend weighted-backend', 'nginx2:10080 weight 1', 'nginx2:10080 weight 2'),
    },
    { source: 'issue 8', name: '`balance first` for the source hash', only: ['source-hash'], fails: ['source-hash'], cfg: (s) => inSection(s, 'backend source-backend', 'balance source', 'balance first') },
    {
      source: 'issue 8',
      name: '`balance hdr(host)` for the source hash',
      only: ['source-hash'],
      fails: ['source-hash'],
      cfg: (s) => inSection(s, 'backend source-backend', 'balance source', 'balance hdr(host)'),
    },
    { name: 'least connections for /rr/', only: ['roundrobin'], fails: ['roundrobin'], cfg: (s) => inSection(s, 'backend rr-backend', 'balance roundrobin', 'balance leastconn') },
    { name: '/rr/ hashed by source', only: ['roundrobin'], fails: ['roundrobin'], cfg: (s) => inSection(s, 'backend rr-backend', 'balance roundrobin', 'balance source') },
    {
      name: '/rr/ with a single server',
      only: ['roundrobin'],
      fails: ['roundrobin'],
      cfg: (s) => inSection(s, 'backend rr-backend', '    server web2 nginx2:10080 check\n    server web3 nginx3:10080 check', ''),
    },
    { name: 'random for /rr/', only: ['roundrobin'], fails: ['roundrobin'], cfg: (s) => inSection(s, 'backend rr-backend', 'balance roundrobin', 'balance random') },
    { name: 'equal weights in /weighted/', only: ['weighted'], fails: ['weighted'], cfg: (s) => inSection(s, 'backend weighted-backend', 'weight 3', 'weight 1') },
    { name: 'random with weights 3:1:1 in /weighted/', only: ['weighted'], fails: ['weighted'], cfg: (s) => inSection(s, 'backend weighted-backend', 'balance static-rr', 'balance random') },
    { name: '/source/ in round robin', only: ['source-hash'], fails: ['source-hash'], cfg: (s) => inSection(s, 'backend source-backend', 'balance source', 'balance roundrobin') },
    { name: '/source/ hashed by URI', only: ['source-hash'], fails: ['source-hash'], cfg: (s) => inSection(s, 'backend source-backend', 'balance source', 'balance uri') },
    { name: '/uri/ hashed by source', only: ['uri-hash'], fails: ['uri-hash'], cfg: (s) => inSection(s, 'backend uri-backend', 'balance uri', 'balance source') },
    { name: '/uri/ in round robin', only: ['uri-hash'], fails: ['uri-hash'], cfg: (s) => inSection(s, 'backend uri-backend', 'balance uri', 'balance roundrobin') },
    { name: '/uri/ hashed by Host', only: ['uri-hash'], fails: ['uri-hash'], cfg: (s) => inSection(s, 'backend uri-backend', 'balance uri', 'balance hdr(host)') },
    {
      name: 'servers without health checks (no check is not UP)',
      only: ['config-valid'],
      fails: ['config-valid'],
      cfg: (s) => s.replace(/ check$/gm, ''),
    },
    {
      name: 'every path to one round-robin backend',
      fails: ['weighted', 'source-hash', 'uri-hash'],
      cfg: (s) => replaceSection(s, 'frontend lb-in', 'frontend lb-in\n    bind *:80\n    mode http\n    default_backend rr-backend'),
    },
  ],
});
