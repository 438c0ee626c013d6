// The grader, graded (exp1, the base configuration): the shared contract, correct configs written
// differently (a stats page on loopback with admin for LOCALHOST, a userlist, a TCP runtime socket),
// and configs that miss the lesson, each caught by the check that should catch it.
import { describeExperimentContract } from '../helpers/contract.js';
import { mutate, replaceSection } from '../helpers/grading.js';

const STATS = 'listen stats';

describeExperimentContract('exp1', {
  tag: 'chk1',
  correct: [
    {
      source: 'issue 8',
      name: 'the stats page bound to 127.0.0.1, admin for LOCALHOST (judged from inside the node)',
      cfg: (s) => mutate(mutate(s, 'bind *:8404', 'bind 127.0.0.1:8404'), 'stats admin if TRUE', 'stats admin if LOCALHOST'),
    },
    {
      name: 'a userlist with http-request auth, admin for authenticated users, metrics behind the same login',
      cfg: (s) =>
        replaceSection(
          s,
          STATS,
          `userlist stats-users
    user admin insecure-password 123456

listen stats
    bind :8404
    http-request auth realm stats unless { http_auth(stats-users) }
    stats enable
    stats uri /stats
    stats refresh 10s
    stats admin if { http_auth(stats-users) }
    http-request use-service prometheus-exporter if { path /metrics }
    stats hide-version`,
        ),
    },
    {
      name: 'a frontend and a stats backend, the runtime socket on TCP 127.0.0.1:9999, logs to stdout as daemon',
      cfg: (s) =>
        replaceSection(
          mutate(mutate(s, 'stats socket /var/run/haproxy.sock mode 660 level admin', 'stats socket ipv4@127.0.0.1:9999 level admin'), 'local0 info', 'daemon'),
          STATS,
          `frontend monitoring
    bind *:8404
    http-request use-service prometheus-exporter if { path_beg /metrics }
    default_backend stats-be

backend stats-be
    stats enable
    stats uri /stats
    stats auth admin:123456
    stats admin if TRUE
    stats hide-version`,
        ),
    },
  ],
  wrong: [
    { source: 'issue 8', name: 'the runtime socket at level user', only: ['runtime-socket'], fails: ['runtime-socket'], cfg: (s) => mutate(s, 'level admin', 'level user') },
    { name: 'the runtime socket at level operator', only: ['runtime-socket'], fails: ['runtime-socket'], cfg: (s) => mutate(s, 'level admin', 'level operator') },
    {
      // Errata 4: the test command's password. Admin and the version need the login, so they cannot be seen either.
      name: 'a different stats password',
      only: ['stats-auth', 'stats-admin', 'version-hidden'],
      fails: ['stats-auth', 'stats-admin', 'version-hidden'],
      cfg: (s) => mutate(s, 'stats auth admin:123456', 'stats auth admin:StrongPassword123'),
    },
    {
      source: 'hostile review',
      name: 'a login in front of a page that is not the stats page',
      only: ['stats-auth', 'stats-admin', 'version-hidden'],
      fails: ['stats-auth', 'stats-admin', 'version-hidden'],
      cfg: (s) =>
        replaceSection(
          s,
          STATS,
          `userlist stats-users
    user admin insecure-password 123456

listen stats
    bind *:8404
    http-request auth realm stats unless { http_auth(stats-users) }
    http-request use-service prometheus-exporter if { path /metrics }
    http-request return status 200 content-type text/html string "<html>HAProxy version hidden</html>"`,
        ),
    },
    { name: 'no login at all', only: ['stats-auth'], fails: ['stats-auth'], cfg: (s) => mutate(s, '    stats auth admin:123456\n', '') },
    { name: 'stats without admin', only: ['stats-admin'], fails: ['stats-admin'], cfg: (s) => mutate(s, '    stats admin if TRUE\n', '') },
    { name: 'admin only for a network nobody is in', only: ['stats-admin'], fails: ['stats-admin'], cfg: (s) => mutate(s, 'stats admin if TRUE', 'stats admin if { src 198.51.100.0/24 }') },
    { name: 'the version shown', only: ['version-hidden'], fails: ['version-hidden'], cfg: (s) => mutate(s, '    stats hide-version\n', '') },
    { name: 'no Prometheus exporter', only: ['prometheus'], fails: ['prometheus'], cfg: (s) => mutate(s, '    http-request use-service prometheus-exporter if { path /metrics }\n', '') },
    { name: 'the exporter on /prom instead of /metrics', only: ['prometheus'], fails: ['prometheus'], cfg: (s) => mutate(s, '{ path /metrics }', '{ path /prom }') },
    { name: 'no runtime socket', only: ['runtime-socket'], fails: ['runtime-socket'], cfg: (s) => mutate(s, '    stats socket /var/run/haproxy.sock mode 660 level admin\n', '') },
    // Errata 6: the tutorial's syslog target; nothing reads /dev/log in a container.
    { name: 'log /dev/log (the tutorial line)', only: ['logs'], fails: ['logs'], cfg: (s) => mutate(s, 'log stdout format raw local0 info', 'log /dev/log local0 info') },
    { name: 'no HTTP log format (the log line has no URL)', only: ['logs'], fails: ['logs'], cfg: (s) => mutate(s, '    option httplog\n', '') },
    {
      // Errata 1: haproxy -c rejects the file, apply refuses to load it, and HAProxy keeps serving the last
      // good config (the solution's); only the config check sees the broken file.
      name: 'the removed `block` directive',
      fails: ['config-valid'],
      invalid: /block/,
      cfg: (s) => mutate(s, '    stats hide-version\n', '    stats hide-version\n    acl is_admin path_beg /admin\n    block if is_admin\n'),
      check: (r) => {
        const c = r.checks.find((x) => x.id === 'config-valid')!;
        if (!/block/.test(c.message) || !/http-request deny/.test(c.hint)) throw new Error(`config-valid should name the block directive: ${c.message} / ${c.hint}`);
      },
    },
  ],
});
