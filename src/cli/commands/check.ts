import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, printJson } from '../output.js';

export interface Options {
  experiment?: string;
  json?: boolean;
  junit?: string;
  tap?: boolean;
  lang?: string;
  target?: string;
  httpPort: string;
  httpsPort: string;
  statsPort?: string;
  ca?: string;
  only?: string;
  retries?: string;
  explain?: boolean;
  statsAuth?: string;
  statsUri?: string;
}

function port(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} ${v}: expected a port number`, { hint: `e.g. ${flag} 8443` });
  return n;
}

export async function run(opts: Options, deps: Deps): Promise<number> {
  const { io } = deps;
  const style = io.style;
  // USER alone takes the password from LAB_STATS_PASSWORD, off the command line (ps shows arguments).
  if (opts.statsAuth !== undefined && /^[^:\s]+$/.test(opts.statsAuth)) {
    const pw = deps.env.LAB_STATS_PASSWORD;
    if (!pw) throw new UsageError(`--stats-auth ${opts.statsAuth}: no password`, { hint: 'Set LAB_STATS_PASSWORD (it stays off the command line), or give USER:PASSWORD.' });
    opts = { ...opts, statsAuth: `${opts.statsAuth}:${pw}` };
  }
  if (opts.statsAuth !== undefined && !/^[^:]+:/.test(opts.statsAuth)) throw new UsageError(`--stats-auth: expected USER or USER:PASSWORD`, { hint: 'e.g. --stats-auth admin with LAB_STATS_PASSWORD set, or --stats-auth admin:123456' });
  if (opts.statsAuth) {
    // Never printed back: not in a message, not in --json.
    const { addSecret } = await import('../../util/redact.js');
    addSecret(opts.statsAuth.slice(opts.statsAuth.indexOf(':') + 1));
  }
  if (opts.json && opts.tap) throw new UsageError('--json and --tap both write to stdout', { hint: 'Choose one; --junit FILE combines with either.' });
  if (opts.lang && opts.lang !== 'zh' && opts.lang !== 'en') throw new UsageError(`--lang ${opts.lang}: expected zh or en`, { hint: 'e.g. --lang zh' });
  const retries = opts.retries === undefined ? undefined : Number(opts.retries);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 10)) throw new UsageError(`--retries ${opts.retries}: expected 0..10`, { hint: 'e.g. --retries 0' });
  const { loadLab } = await import('../../labs/load.js');
  const { runChecks, resolveLang } = await import('../../checks/runner.js');
  const { human, humanLine, junit, tap, toJson } = await import('../../checks/report.js');
  const lang = resolveLang(opts.lang, deps.env);
  // An unknown experiment is that, whatever runs.
  if (opts.experiment) loadLab(opts.experiment);

  let base;
  let experiment = opts.experiment;
  let stateRoot: string | undefined;
  if (opts.target) {
    if (!experiment) throw new UsageError('with --target, name the experiment', { hint: 'e.g. lab check exp2 --target 192.0.2.10' });
    const { targetContext, assertTargetReachable } = await import('../../checks/context.js');
    await assertTargetReachable(deps.runtime, opts.target);
    base = targetContext({
      host: opts.target,
      httpPort: port('--http-port', opts.httpPort),
      httpsPort: port('--https-port', opts.httpsPort),
      statsPort: opts.statsPort ? port('--stats-port', opts.statsPort) : undefined,
      caFile: path.resolve(deps.cwd, opts.ca ?? 'certs/ca/ca.crt'),
      statsAuth: opts.statsAuth,
      statsUri: opts.statsUri,
    });
  } else {
    const { observeLab, requireRunning } = await import('../../lifecycle/observe.js');
    const { repairStaleMounts } = await import('../../lifecycle/repair.js');
    const { labContext } = await import('../../checks/context.js');
    let view = await observeLab(deps.runtime, deps.labName);
    const hint = `Start it with \`lab up ${experiment ?? 'exp2'}\` (or pass --name for another lab, or --target HOST for your own machine).`;
    experiment ??= requireRunning(view, hint).experiment;
    requireRunning(view, hint);
    const repaired = await repairStaleMounts(view, deps);
    if (repaired) {
      note(io, repaired);
      view = await observeLab(deps.runtime, deps.labName);
    }
    base = labContext(deps.runtime, view, experiment);
    stateRoot = view.rootDir ?? deps.cwd;
  }
  const lab = loadLab(experiment);
  const checks = lab.def.checks;
  const only = opts.only?.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !checks.some((c) => c.id === id)) ?? [];
  if (unknown.length) throw new UsageError(`no check ${unknown.map((u) => `"${u}"`).join(', ')} in ${experiment}`, { hint: `Checks are: ${checks.map((c) => c.id).join(', ')}.` });
  if (checks.length === 0) throw new UsageError(`${experiment} declares no checks`, { hint: `Add a checks: list to ${path.relative(deps.cwd, lab.file)}.` });

  const humanOut = !opts.json && !opts.tap;
  const live = humanOut && io.stdoutTTY;
  const required = Object.fromEntries(checks.map((c) => [c.id, c.required]));
  if (humanOut) note(io, io.errStyle.dim(`lab check ${experiment}${opts.target ? ` --target ${opts.target}` : ` (lab ${deps.labName})`}`));
  const { report, meta } = await runChecks(experiment, checks, base, {
    lang,
    only,
    retries,
    // On a terminal, show each result as it arrives; the summary follows.
    onResult: live ? (r) => io.out(`${humanLine(r, { lang, required }, style)}\n`) : undefined,
  });
  if (opts.junit) writeFileSync(path.resolve(deps.cwd, opts.junit), junit(report, meta));
  // `lab list` shows the last score of each experiment in this project.
  if (stateRoot) {
    const { writeLastResult } = await import('../../state/store.js');
    writeLastResult(stateRoot, deps.labName, experiment, { ...toJson(report), at: new Date(deps.clock.now()).toISOString() });
  }
  if (opts.json) printJson(io, toJson(report, opts.explain ? meta : undefined));
  else if (opts.tap) io.out(tap(report, meta));
  else if (live) {
    const text = human(report, meta, style, { explain: !!opts.explain }).split('\n');
    io.out(opts.explain ? text.join('\n') : text.slice(text.length - 4).join('\n'));
  } else io.out(human(report, meta, style, { explain: !!opts.explain }));
  return report.passed ? 0 : 1;
}

export function define(program: Command, act: Act): void {
  program
    .command('check')
    .description('grade what the lab does now: probes from the client container, Score: x/y (exit 0 when every required check passes)')
    .argument('[exp]', 'experiment, e.g. exp2 (default: the running one)')
    .option('--json', 'print {experiment, score, maxScore, passed, checks:[…]} as JSON')
    .option('--junit <file>', 'also write JUnit XML to FILE')
    .option('--tap', 'print TAP version 14 instead of the human report')
    .option('--lang <zh|en>', 'language of titles, messages and hints (default: zh when LANG starts with zh, else en)')
    .option('--target <host>', "grade a machine of your own from here: HTTP/HTTPS to HOST, stats on HOST:8404; checks that need the lab's containers are skipped")
    .option('--http-port <port>', 'with --target: HTTP port', '80')
    .option('--https-port <port>', 'with --target: HTTPS port', '443')
    .option('--stats-port <port>', 'with --target: stats page port (default: as in lab.yaml, 8404)')
    .option('--ca <file>', 'with --target: the lab CA certificate (default: ./certs/ca/ca.crt)')
    .option('--only <ids>', 'run only these checks (comma-separated ids)')
    .option('--retries <n>', 'retries per check after a failure (default: as in lab.yaml)')
    .option('--explain', "show the raw observations each check decided on (counters, per-server counts, status codes, certificates)")
    .option('--stats-auth <user[:password]>', "with --target: the stats page's login, to grade routing, the default backend, servers UP and TLS termination from HAProxy's counters (USER alone: the password from env LAB_STATS_PASSWORD, off the command line)")
    .option('--stats-uri <path>', 'with --target: path of the stats page (default /stats; its CSV is PATH;csv)')
    .action((exp: string | undefined, opts: Omit<Options, 'experiment'>, cmd: Command) => act(cmd, run, { ...opts, experiment: exp }));
}
