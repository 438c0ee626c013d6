// The grader, graded (exp5, ACLs and rate limiting): the shared contract, correct configs written
// differently (anonymous ACLs with `http-request return status 403`, an http_req_rate(10s) limit, a
// stick-table in a backend of its own), and configs that miss the lesson (no `src` exception, a global
// frontend rate, the wrong allowed network, …), each caught by the check that should catch it. The
// allowed network is the office's, graded from the office node; the client is outside it.
import { describeExperimentContract } from '../helpers/contract.js';
import { mutate } from '../helpers/grading.js';

const ACL = '    acl is_admin path_beg /admin\n    acl allowed_ip src "${LAB_OFFICE_NET}"\n    http-request deny if is_admin !allowed_ip\n';
const LIMIT =
  '    stick-table type ip size 100k expire 30s store conn_rate(3s)\n    tcp-request connection track-sc0 src\n    tcp-request connection reject if { sc0_conn_rate gt 10 }\n';

describeExperimentContract('exp5', {
  tag: 'chk5',
  // Validate-then-reload, wait for the VIP, then let the previous round's rate window pass (a reload
  // starts with an empty stick-table, but the old worker's limits apply until it is gone).
  converge: { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 3500 },
  start: (r) => {
    const m = r.checks.find((c) => c.id === 'rate-limit')!.message;
    if (!/expected the rate limit to refuse at least 10/.test(m)) throw new Error(m);
  },
  correct: [
    {
      name: 'anonymous ACLs and `http-request return status 403`',
      only: ['admin-denied'],
      cfg: (s) => mutate(s, ACL, '    http-request return status 403 content-type text/plain string "no" if { path_beg /admin } !{ src "${LAB_OFFICE_NET}" }\n'),
    },
    {
      source: 'issue 8 (smaller)',
      name: 'an http_req_rate(10s) limit tracked by http-request, refused with 429',
      only: ['rate-limit'],
      cfg: (s) =>
        mutate(
          s,
          LIMIT,
          '    stick-table type ip size 100k expire 60s store http_req_rate(10s)\n    http-request track-sc0 src\n    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 20 }\n',
        ),
    },
    {
      name: 'the stick-table in a backend of its own, track-sc1, other ACL names, deny_status 403',
      cfg: (s) =>
        mutate(
          mutate(s, ACL, '    acl office src "${LAB_OFFICE_NET}"\n    acl admin_area path_beg /admin/ /admin\n    http-request deny deny_status 403 if admin_area !office\n'),
          LIMIT,
          '    tcp-request connection track-sc1 src table per_source\n    tcp-request connection reject if { sc1_conn_rate(per_source) ge 12 }\n',
        ) + '\nbackend per_source\n    stick-table type ip size 10k expire 1m store conn_rate(3s)\n',
    },
  ],
  wrong: [
    {
      source: 'issue 8',
      name: '`http-request deny if { path_beg /admin }` without a src exception',
      only: ['admin-denied'],
      fails: ['admin-denied'],
      cfg: (s) => mutate(s, ACL, '    http-request deny if { path_beg /admin }\n'),
    },
    {
      source: 'issue 8',
      name: 'a global fe_req_rate limit, no stick-table, no track-sc0',
      only: ['rate-limit'],
      fails: ['rate-limit'],
      cfg: (s) => mutate(s, LIMIT, '    http-request deny deny_status 429 if { fe_req_rate gt 20 }\n'),
    },
    {
      name: 'a global fe_sess_rate limit',
      only: ['rate-limit'],
      fails: ['rate-limit'],
      cfg: (s) => mutate(s, LIMIT, '    tcp-request connection reject if { fe_sess_rate gt 20 }\n'),
    },
    {
      // Never refuses the office (another network), and refuses the client while the frontend's rate is
      // still high: only a neighbour in the client's own network tells it from a per-source limit.
      source: 'hostile review',
      name: "the frontend's rate, applied to the client network only",
      only: ['rate-limit'],
      fails: ['rate-limit'],
      cfg: (s) => mutate(s, LIMIT, '    tcp-request connection reject if { src "${LAB_CLIENT_NET}" } { fe_sess_rate gt 20 }\n'),
    },
    {
      source: 'hostile review',
      name: 'a blocklist: /admin denied to the client network only, open to every other network',
      only: ['admin-denied'],
      fails: ['admin-denied'],
      cfg: (s) => mutate(s, ACL, '    http-request deny if { path_beg /admin } { src "${LAB_CLIENT_NET}" }\n'),
    },
    { name: 'the allowed network is the client network', only: ['admin-denied'], fails: ['admin-denied'], cfg: (s) => mutate(s, '${LAB_OFFICE_NET}', '${LAB_CLIENT_NET}') },
    { name: 'the allowed network includes everyone (src 0.0.0.0/0)', only: ['admin-denied'], fails: ['admin-denied'], cfg: (s) => mutate(s, '"${LAB_OFFICE_NET}"', '0.0.0.0/0') },
    { name: 'only loopback allowed (no one can test it)', only: ['admin-denied'], fails: ['admin-denied'], cfg: (s) => mutate(s, '"${LAB_OFFICE_NET}"', '127.0.0.1/8') },
    { name: '`path /admin` (only the bare path) instead of path_beg', only: ['admin-denied'], fails: ['admin-denied'], cfg: (s) => mutate(s, 'path_beg /admin', 'path /admin') },
    {
      name: 'every path denied (no is_admin in the rule)',
      fails: ['admin-denied', 'rate-limit'],
      cfg: (s) => mutate(s, 'http-request deny if is_admin !allowed_ip', 'http-request deny if !allowed_ip'),
    },
    {
      name: "the tutorial's snippet: no track-sc0, src_conn_rate",
      only: ['rate-limit'],
      fails: ['rate-limit'],
      cfg: (s) => mutate(s, '    tcp-request connection track-sc0 src\n    tcp-request connection reject if { sc0_conn_rate gt 10 }', '    tcp-request connection reject if { src_conn_rate gt 10 }'),
    },
    { name: 'a limit so high it never triggers (gt 1000)', only: ['rate-limit'], fails: ['rate-limit'], cfg: (s) => mutate(s, 'sc0_conn_rate gt 10', 'sc0_conn_rate gt 1000') },
    { name: 'a limit so low that slow requests are refused too (gt 0)', fails: ['admin-denied', 'rate-limit'], cfg: (s) => mutate(s, 'sc0_conn_rate gt 10', 'sc0_conn_rate gt 0') },
    {
      // haproxy -c rejects `block` since 2.1 (errata 1): the reload is refused and the start config keeps running.
      name: "the tutorial's `block` instead of http-request deny (config invalid, the start config stays)",
      fromStart: true,
      invalid: /block/,
      fails: ['admin-denied', 'rate-limit'],
      cfg: (s) => mutate(s, 'http-request deny if is_admin !allowed_ip', 'block if is_admin !allowed_ip'),
    },
  ],
});
