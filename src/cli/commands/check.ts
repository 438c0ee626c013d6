import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import { checkLabName } from '../deps.js';
import { note, printJson, style } from '../output.js';

interface CheckCliOptions {
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
}

function port(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} ${v}: expected a port number`, { hint: `e.g. ${flag} 8443` });
  return n;
}

export function define(program: Command): void {
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
    .action(async (exp: string | undefined, opts: CheckCliOptions, cmd: Command) => {
      const labName = checkLabName(cmd.optsWithGlobals().name);
      if (opts.json && opts.tap) throw new UsageError('--json and --tap both write to stdout', { hint: 'Choose one; --junit FILE combines with either.' });
      if (opts.lang && opts.lang !== 'zh' && opts.lang !== 'en') throw new UsageError(`--lang ${opts.lang}: expected zh or en`, { hint: 'e.g. --lang zh' });
      const retries = opts.retries === undefined ? undefined : Number(opts.retries);
      if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 10)) throw new UsageError(`--retries ${opts.retries}: expected 0..10`, { hint: 'e.g. --retries 0' });
      const { loadLab } = await import('../../labs/load.js');
      const { runChecks, resolveLang } = await import('../../checks/runner.js');
      const { human, humanLine, junit, tap, toJson } = await import('../../checks/report.js');
      const lang = resolveLang(opts.lang);

      let base;
      let experiment = exp;
      if (opts.target) {
        if (!experiment) throw new UsageError('with --target, name the experiment', { hint: 'e.g. lab check exp2 --target 192.0.2.10' });
        const { targetContext } = await import('../../checks/context.js');
        base = targetContext({
          host: opts.target,
          httpPort: port('--http-port', opts.httpPort),
          httpsPort: port('--https-port', opts.httpsPort),
          statsPort: opts.statsPort ? port('--stats-port', opts.statsPort) : undefined,
          caFile: path.resolve(opts.ca ?? 'certs/ca/ca.crt'),
        });
      } else {
        const { DockerRuntime } = await import('../../runtime/docker.js');
        const { labContext } = await import('../../checks/context.js');
        const runtime = new DockerRuntime();
        if (!experiment) {
          const { listContainers } = runtime;
          const running = await listContainers.call(runtime, { 'lab.name': labName });
          experiment = running[0]?.labels['lab.experiment'];
          if (!experiment) throw new UsageError(`lab "${labName}" is not running`, { hint: 'Start it with `lab up exp2`, or name the experiment and use --target HOST.' });
        }
        base = await labContext(runtime, labName, experiment);
      }
      const lab = loadLab(experiment);
      const checks = lab.def.checks;
      const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only?.filter((id) => !checks.some((c) => c.id === id)) ?? [];
      if (unknown.length) throw new UsageError(`no check ${unknown.map((u) => `"${u}"`).join(', ')} in ${experiment}`, { hint: `Checks are: ${checks.map((c) => c.id).join(', ')}.` });
      if (checks.length === 0) throw new UsageError(`${experiment} declares no checks`, { hint: `Add a checks: list to ${path.relative(process.cwd(), lab.file)}.` });

      const humanOut = !opts.json && !opts.tap;
      const live = humanOut && !!process.stdout.isTTY;
      const required = Object.fromEntries(checks.map((c) => [c.id, c.required]));
      if (humanOut) note(style.dim(`lab check ${experiment}${opts.target ? ` --target ${opts.target}` : ` (lab ${labName})`}`));
      const { report, meta } = await runChecks(experiment, checks, base, {
        lang,
        only,
        retries,
        // On a terminal, show each result as it arrives; the summary follows.
        onResult: live ? (r) => process.stdout.write(`${humanLine(r, { lang, required }, style)}\n`) : undefined,
      });
      if (opts.junit) writeFileSync(opts.junit, junit(report, meta));
      if (opts.json) printJson(toJson(report));
      else if (opts.tap) process.stdout.write(tap(report, meta));
      else if (live) {
        const text = human(report, meta, style).split('\n');
        process.stdout.write(`${text.slice(text.length - 4).join('\n')}`);
      } else process.stdout.write(human(report, meta, style));
      process.exitCode = report.passed ? 0 : 1;
    });
}
