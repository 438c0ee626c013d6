// `lab certs` (make the lab CA, the domain certificates and the HAProxy bundles) and `lab certs verify`.
import type { Command } from 'commander';
import path from 'node:path';
import type { CertsResult } from '../../certs/index.js';
import { LabError, UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, printJson, say, table } from '../output.js';

interface CertsFlags {
  out: string;
  days?: string;
  domain?: string[];
  force?: boolean;
  json?: boolean;
}

interface VerifyFlags {
  out?: string;
  json?: boolean;
}

const DEFAULT_OUT = 'certs';

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`--days takes a whole number of days, got "${value}"`, { hint: 'e.g. --days 365 (at most 825)' });
  }
  return Number(value);
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export async function runCerts(flags: CertsFlags, deps: Deps): Promise<CertsResult> {
  const { io } = deps;
  const style = io.style;
  // Imported here so `lab --help` does not load node-forge.
  const { ensureCerts, trustInstructions } = await import('../../certs/index.js');
  const result = await ensureCerts({
    outDir: flags.out,
    days: parseDays(flags.days),
    extraDomains: flags.domain ?? [],
    force: !!flags.force,
    log: flags.json ? undefined : (line) => note(io, io.errStyle.dim(line)),
  });
  if (flags.json) {
    printJson(io, { outDir: flags.out, ...result, trust: trustInstructions(result.caCert) });
    return result;
  }
  const made = result.changed.length;
  say(io, 
    made === 0
      ? `${style.green('ok')} all certificates in ${flags.out} are valid; nothing changed (${result.kept.length} files kept)`
      : `${style.green('ok')} ${made} change${made === 1 ? '' : 's'} in ${flags.out}; ${result.kept.length} valid files kept`,
  );
  say(io, `  CA:       ${result.caCert}  (its key ${path.join(path.dirname(result.caCert), 'ca.key')} never enters a container)`);
  say(io, `  domains:  ${result.domains.join(', ')}`);
  say(io, `  HAProxy:  ${path.dirname(Object.values(result.bundles)[0]!)}/  (mount read-only at /etc/haproxy/certs/)`);
  say(io, `  no SNI:   clients without SNI get ${result.defaultDomain} (its bundle sorts first in the crt directory)`);
  say(io);
  for (const line of trustInstructions(result.caCert)) say(io, line);
  return result;
}

export async function runVerify(flags: VerifyFlags, deps: Deps): Promise<number> {
  const { io } = deps;
  const style = io.style;
  const { verifyCerts } = await import('../../certs/index.js');
  const out = flags.out ?? DEFAULT_OUT;
  const lines = await verifyCerts(out);
  const faults = lines.filter((l) => !l.ok).length;
  if (flags.json) printJson(io, { outDir: out, ok: faults === 0, lines });
  else {
    say(io, table(lines.map((l) => [l.ok ? style.green('ok') : style.red('FAIL'), l.file, l.message])));
  }
  const first = lines.find((l) => !l.ok);
  if (first) {
    const more = faults > 1 ? ` (and ${faults - 1} more of ${lines.length} files, listed above)` : '';
    throw new LabError(`${first.file}: ${first.message}${more}`, {
      exitCode: 1,
      hint: '`lab certs` regenerates the faulty files and keeps the valid ones; `lab certs --force` rotates everything.',
    });
  }
  if (!flags.json) say(io, style.green(`all ${lines.length} certificate files are good`));
  return 0;
}

export function define(program: Command, act: Act): void {
  const certs = program
    .command('certs')
    .description('make the lab CA, a certificate per domain and the HAProxy PEM bundles (idempotent)')
    .option('-o, --out <dir>', 'output directory', DEFAULT_OUT)
    .option('--days <n>', 'validity of newly issued leaves, in days (31-825, default 825)')
    .option('--domain <name>', 'also make a certificate for this domain (repeatable)', collect)
    .option('--force', 'rotate everything: a new CA and new certificates for every domain')
    .option('--json', 'print one JSON document instead of text')
    .action((flags: CertsFlags, cmd: Command) => act(cmd, async (f: CertsFlags, d) => void (await runCerts(f, d)), flags));
  certs
    .command('verify')
    .description('check chain, SAN, key match, expiry and permissions of every file; non-zero exit on any fault')
    .option('-o, --out <dir>', 'directory to check (default certs)')
    .option('--json', 'print one JSON document instead of text')
    .action((flags: VerifyFlags, cmd: Command) => {
      // `lab certs --out X verify` also works: take the parent's --out when ours was not given.
      const parentOut = (cmd.parent?.opts() as { out?: string } | undefined)?.out;
      const parentJson = (cmd.parent?.opts() as { json?: boolean } | undefined)?.json;
      return act(cmd, runVerify, { out: flags.out ?? parentOut, json: flags.json ?? parentJson });
    });
}
