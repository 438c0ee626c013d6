// The grader, graded (exp4, health checks): the shared contract, correct configs written differently
// (the old `option httpchk GET /health` form, HEAD with rstatus, a string check with a Host header), and
// configs that miss the lesson (a check on another path, rise 1000, TCP only, too slow, …), each caught
// by the check that should catch it. The Nginx the failover check stops, and the apps whose /health the
// other check breaks, are always restored.
import { expect, it } from 'vitest';
import { describeExperimentContract } from '../helpers/contract.js';
import { mutate, replaceSection } from '../helpers/grading.js';

const BACKEND = 'backend web-backend';

describeExperimentContract('exp4', {
  tag: 'chk4',
  // Validate-then-reload, wait for the VIP, then a couple of check intervals so every server has a check result.
  converge: { waitFor: 'http://go-backend.liujun.com/api/x', settleMs: 2500 },
  start: (r) => expect(r.checks.find((c) => c.id === 'failover')!.message).toMatch(/did not mark .* DOWN/),
  correct: [
    {
      name: "the tutorial's old form, `option httpchk GET /health`, timers on each server",
      cfg: (s) =>
        replaceSection(
          s,
          BACKEND,
          `backend web-backend
    balance roundrobin
    option httpchk GET /health
    server web1 nginx1:10080 check inter 1s fall 2 rise 2
    server web2 nginx2:10080 check inter 1s fall 2 rise 2
    server web3 nginx3:10080 check inter 1s fall 2 rise 2`,
        ),
    },
    {
      name: 'HEAD /health expecting any 2xx, leastconn, faster timers on default-server',
      cfg: (s) =>
        replaceSection(
          s,
          BACKEND,
          `backend web-backend
    balance leastconn
    option httpchk
    http-check send meth HEAD uri /health
    http-check expect rstatus ^2
    default-server check inter 500 fall 3 rise 2
    server a nginx1:10080
    server b nginx2:10080
    server c nginx3:10080`,
        ),
    },
    {
      name: 'a string check with HTTP/1.1 and a Host header, source hashing, a server by address',
      cfg: async (s, env) =>
        replaceSection(
          s,
          BACKEND,
          `backend web-backend
    balance source
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host go-backend.liujun.com
    http-check expect string ok
    timeout check 2s
    default-server inter 1s fall 2 rise 1
    server web1 nginx1:10080 check
    server web2 ${await env.addressOf('nginx2')}:10080 check
    server web3 nginx3:10080 check`,
        ),
    },
  ],
  wrong: [
    {
      source: 'issue 8',
      name: 'the health check on another path than /health (the app answers every path 200)',
      fails: ['http-checks'],
      cfg: (s) => mutate(s, 'http-check send meth GET uri /health', 'http-check send meth GET uri /'),
      check: (r) => expect(r.checks.find((c) => c.id === 'http-checks')!.message).toMatch(/do they ask \/health/),
    },
    {
      source: 'issue 8',
      name: 'rise 1000: a healed server never comes back',
      fails: ['http-checks', 'failover'],
      cfg: (s) => mutate(s, 'default-server inter 1s fall 2 rise 2', 'default-server inter 1s fall 2 rise 1000'),
    },
    {
      name: 'TCP checks only (no option httpchk)',
      only: ['http-checks'],
      fails: ['http-checks'],
      cfg: (s) => mutate(s, '    option httpchk\n    http-check send meth GET uri /health\n    http-check expect status 200\n', ''),
      check: (r) => expect(r.checks.find((c) => c.id === 'http-checks')!.message).toMatch(/TCP check/),
    },
    {
      name: 'checks too slow to notice (fall 30)',
      fails: ['http-checks', 'failover'],
      cfg: (s) => mutate(s, 'default-server inter 1s fall 2 rise 2', 'default-server inter 1s fall 30 rise 2'),
    },
    {
      name: 'HTTP checks that expect a status the app never gives',
      fails: ['http-checks', 'failover'],
      cfg: (s) => mutate(s, 'http-check expect status 200', 'http-check expect status 204'),
    },
    {
      name: 'one server without a check (nginx2 is never taken out)',
      fails: ['http-checks', 'failover'],
      cfg: (s) => mutate(s, 'server web2 nginx2:10080 check', 'server web2 nginx2:10080'),
    },
    {
      name: 'a check every 20 s',
      fails: ['http-checks', 'failover'],
      cfg: (s) => mutate(s, 'default-server inter 1s fall 2 rise 2', 'default-server inter 20s fall 2 rise 2'),
    },
  ],
  more: (get) => {
    it('every Nginx runs and every app is healthy after all that', async () => {
      const { lab } = get();
      for (const n of lab.result.topology!.nodes.filter((x) => x.role === 'nginx')) {
        expect((await lab.runtime.inspectContainer(n.container.name))?.state, n.container.name).toBe('running');
      }
      for (const n of lab.result.topology!.nodes.filter((x) => x.role === 'app')) {
        const r = await lab.runtime.exec(n.container.name, ['sh', '-c', 'test -e /run/lab-fault && cat /run/lab-fault || echo none']);
        expect(r.stdout.trim(), n.container.name).toBe('none');
      }
    });
  },
});
