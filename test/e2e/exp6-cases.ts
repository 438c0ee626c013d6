// exp6's grader cases (operating a live HAProxy), shared by check-exp6.test.ts and
// check-exp6-drills.test.ts: each drill takes about a minute, so the cases are split over two files (two
// labs, two e2e workers). Not a test file itself.
import { expect, it } from 'vitest';
import type { TestLab } from '../helpers/lab.js';
import { masterCommand, nodeServers } from '../../src/checks/probes/node-ops.js';
import { labContext } from '../../src/checks/context.js';
import { runChecks } from '../../src/checks/runner.js';
import { loadLab } from '../../src/labs/load.js';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { swap, type Case } from '../helpers/contract-lite.js';
import { failing, explain } from '../helpers/grading.js';

const CFG = 'haproxy/haproxy.cfg';
const RUNBOOK = 'runbook.sh';
const DRILL = ['runbook-drain', 'runbook-no-drop', 'runbook-sessions', 'runbook-restore', 'prometheus-state'];
const lab6 = loadLab('exp6');

/** The total sessions (column 8, stot) of the runbook's server, instead of the current ones. */
const STOT = `awk -F, -v b="$BACKEND" -v s="$NAME" '$1 == b && $2 == s { print $8 }'`;
const WAIT_LOOP = /    while :; do\n[\s\S]*?    done\n/;

// A runbook written differently: bash, the socket at another path, drain by weight 0 (and the command
// echoed, a line that ends in 0 but is no reading), sessions counted in `show sess`, `disable server` /
// `enable server`, the weight set back on restore.
const OTHER_RUNBOOK = `#!/bin/bash
sock=/run/haproxy/admin.sock
say() { socat stdio "UNIX-CONNECT:$sock" <<< "$1"; }
if [[ "$1" == drain ]]; then
  # A log of the commands it runs: lines that end in a number but are not readings.
  echo "$(hostname): set weight web-backend/web2 0"
  say "set weight web-backend/web2 0" > /dev/null
  for ((i = 0; i < 100; i++)); do
    n=$(say "show sess" | grep -c ' be=web-backend srv=web2 ' || true)
    printf 'web2 在途会话：%s\\n' "$n"
    (( n == 0 )) && break
    sleep 0.2
  done
  say "disable server web-backend/web2" > /dev/null
elif [[ "$1" == restore ]]; then
  say "enable server web-backend/web2" > /dev/null
  say "set weight web-backend/web2 100%" > /dev/null
else
  exit 2
fi
`;

export const MUTATIONS: Case[] = [
    { name: 'the socket at level operator', edits: { [CFG]: swap('mode 600 level admin', 'mode 600 level operator') }, fails: ['admin-socket'] },
    { name: 'no option httplog (connection logs only)', edits: { [CFG]: swap('    option httplog\n', '') }, fails: ['httplog'] },
    {
      name: 'drain does not wait for the sessions to end',
      edits: { [RUNBOOK]: swap(WAIT_LOOP, '    echo "$(hostname): $SERVER current sessions: $(sessions)"\n') },
      only: ['runbook-drain', 'runbook-no-drop', 'runbook-sessions'],
      fails: ['runbook-drain', 'runbook-no-drop'],
    },
    {
      name: 'drain waits but leaves the server in DRAIN, not MAINT',
      edits: { [RUNBOOK]: swap('    cli "set server $SERVER state maint" >/dev/null', '    true') },
      only: ['runbook-drain', 'runbook-no-drop'],
      fails: ['runbook-drain'],
    },
    {
      name: 'the runbook only acts on haproxy1',
      edits: { [RUNBOOK]: swap('case "${1:-}" in', '[ "$(hostname)" = haproxy1 ] || exit 0\ncase "${1:-}" in') },
      only: ['runbook-drain', 'runbook-no-drop', 'runbook-restore'],
      fails: ['runbook-drain', 'runbook-no-drop', 'runbook-restore'],
    },
    {
      name: 'it prints the total sessions (stot) instead of the current ones',
      edits: { [RUNBOOK]: swap('      echo "$(hostname): $SERVER current sessions: $n"', `      echo "$(hostname): $SERVER sessions: $(cli "show stat" | ${STOT})"`) },
      only: ['runbook-drain', 'runbook-sessions'],
      fails: ['runbook-sessions'],
    },
    {
      // Found by a hostile review: with every request held the same time, a sleep longer than the hold
      // passed every drill check. The drill now holds one node's requests longer (at random, 4.8–11.2 s): a
      // sleep long enough there (12 s: nothing fails) returns seconds after the 0 on the other.
      name: 'drain sleeps a fixed 12 s instead of watching the count (prints it once)',
      edits: { [RUNBOOK]: swap(WAIT_LOOP, '    echo "$(hostname): $SERVER current sessions: $(sessions)"\n    sleep 12\n') },
      only: ['runbook-drain', 'runbook-no-drop', 'runbook-sessions'],
      fails: ['runbook-drain'],
    },
    {
      // Found by a hostile review of the rule above: MAINT first (HAProxy keeps the sessions it has), then a
      // fixed sleep; MAINT came before the 0, so when MAINT came says nothing. When the runbook returns does.
      name: 'drain goes to MAINT at once, then sleeps a fixed 12 s',
      edits: { [RUNBOOK]: swap(WAIT_LOOP, '    cli "set server $SERVER state maint" >/dev/null\n    echo "$(hostname): $SERVER current sessions: $(sessions)"\n    sleep 12\n    echo "$(hostname): $SERVER current sessions: $(sessions)"\n') },
      only: ['runbook-drain', 'runbook-no-drop', 'runbook-sessions'],
      fails: ['runbook-drain'],
    },
    {
      // A pause first, so the sessions outlast the 1.5 s that shows waiting: what catches it in runbook-drain
      // is that the requests in flight failed before lab stopped nginx2 (found by a hostile review; a kill at
      // once fails it too, the recorded drill in the unit tests).
      name: 'drain waits 1.6 s, then kills the sessions (shutdown sessions)',
      edits: { [RUNBOOK]: swap(WAIT_LOOP, '    sleep 1.6\n    cli "set server $SERVER state maint" >/dev/null\n    cli "shutdown sessions server $SERVER" >/dev/null\n    echo "sessions: $(sessions)"\n') },
      only: ['runbook-drain', 'runbook-no-drop'],
      fails: ['runbook-drain', 'runbook-no-drop'],
    },
    {
      name: 'drain by weight 0, restore forgets the weight',
      edits: {
        [RUNBOOK]: (s) =>
          swap('    cli "set server $SERVER state drain" >/dev/null', '    cli "set weight $SERVER 0" >/dev/null')(s).replace(
            '    cli "set server $SERVER state ready" >/dev/null',
            '    cli "set server $SERVER state ready" >/dev/null  # the weight stays 0',
          ),
      },
      only: ['runbook-drain', 'runbook-restore'],
      fails: ['runbook-restore'],
    },
    {
      // Found by a hostile review: 100 without % is an absolute weight (the servers have 1), so web2 came
      // back with about 98 % of the traffic, and the drill's cleanup set it right without a word.
      name: 'restore sets weight 100 (absolute, where 100% was meant)',
      edits: { [RUNBOOK]: swap('    cli "set server $SERVER state ready" >/dev/null', '    cli "set server $SERVER state ready" >/dev/null\n    cli "set weight $SERVER 100" >/dev/null') },
      only: ['runbook-restore'],
      fails: ['runbook-restore'],
    },
    { name: 'no Prometheus exporter', edits: { [CFG]: swap(/    http-request use-service prometheus-exporter.*\n/, '') }, only: ['prometheus-state', 'runbook-drain'], fails: ['prometheus-state'] },
];

export const VARIANTS: Omit<Case, 'fails'>[] = [
    {
      name: 'bash, another socket path, weight 0 and show sess, disable/enable server, httplog in the frontend',
      edits: {
        [CFG]: (s) =>
          swap('stats socket /var/run/haproxy.sock mode 600 level admin', 'stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners')(s)
            .replace('    option httplog\n', '')
            .replace('    option forwardfor\n', '    option forwardfor\n    option httplog\n'),
        [RUNBOOK]: () => OTHER_RUNBOOK,
      },
    },
    // Watching the count once a second is on time on every node (the drill allows 3 s from 0 to MAINT).
    { name: 'the reference runbook polling once a second', edits: { [RUNBOOK]: swap('      sleep 0.3', '      sleep 1') }, only: DRILL },
];

/** Tests of the drill's own hygiene, on the lab of the file that runs them. */
export function more(get: () => TestLab): void {
    const grade = async (only?: string[]) => {
      const t = get();
      return (await runChecks('exp6', lab6.def.checks, labContext(t.runtime, await t.view(), 'exp6'), { lang: 'en', only, retries: 0 })).report;
    };
    const web2 = async () => {
      const t = get();
      const rows = await nodeServers(labContext(t.runtime, await t.view(), 'exp6').lab!);
      return Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, `${r['web-backend/web2']?.status} w${r['web-backend/web2']?.weight}`]));
    };

    it('no leak: a restore that does nothing is undone by lab, and the solution then grades full again', async () => {
      const t = get();
      const file = path.join(t.result.workspaceDir, RUNBOOK);
      const good = readFileSync(path.join(lab6.solutionDir, RUNBOOK), 'utf8');
      try {
        writeFileSync(file, good.replace('    cli "set server $SERVER state ready" >/dev/null', '    true'));
        const r = await grade(['runbook-restore']);
        expect(failing(r), explain(r)).toEqual(['runbook-restore']);
        for (const s of Object.values(await web2())) expect(s).toMatch(/^(?!MAINT|DRAIN).* w1$/);
      } finally {
        writeFileSync(file, good);
      }
      // The contract graded the solution once already; after a drill that left a mess, the same again.
      const again = await grade(DRILL);
      expect(failing(again), explain(again)).toEqual([]);
      expect(again.score).toBe(again.maxScore);
      for (const s of Object.values(await web2())) expect(s).toMatch(/^(?!MAINT|DRAIN).* w1$/);
    });

    it('a server left in maintenance by hand is put back in rotation before the drill', async () => {
      const t = get();
      const view = await t.view();
      const lab = labContext(t.runtime, view, 'exp6').lab!;
      for (const h of lab.haproxy) await masterCommand(lab, h.container, 'set server web-backend/web2 state maint');
      const r = await grade(['runbook-drain', 'runbook-restore']);
      expect(failing(r), explain(r)).toEqual([]);
    });
}
