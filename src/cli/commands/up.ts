// `lab up [exp]`: provision, converge and wait (see src/lifecycle/up.ts); `--dry-run` changes nothing.
import type { Command } from 'commander';
import path from 'node:path';
import { readSecrets, secretsFile, statsPasswordFrom, withStatsPassword } from '../../state/secrets.js';
import { LabError, UsageError } from '../../util/errors.js';
import { NETWORK_KEYS, type NetworkKey } from '../../topology/networks.js';
import { overlaps, parseCidr, type Cidr } from '../../topology/cidr.js';
import { engineSteps, planToString } from '../../topology/plan.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { printJson, say } from '../output.js';
import { interruptible } from '../interrupt.js';

export interface Options {
  /** Default: the experiment the lab runs, else exp2. */
  experiment?: string;
  workspace?: string;
  certs?: string;
  yes: boolean;
  timeoutMs: number;
  subnets: Partial<Record<NetworkKey, string>>;
  publishPort?: number;
  dryRun: boolean;
  json: boolean;
  /** Where the stats password is (one line); LAB_STATS_PASSWORD otherwise. Never the password itself: ps shows arguments. */
  statsPasswordFile?: string;
}

export function parseSubnets(pairs: string[]): Partial<Record<NetworkKey, string>> {
  const out: Partial<Record<NetworkKey, string>> = {};
  for (const p of pairs) {
    const [key, cidr] = p.split('=');
    if (!key || !cidr || !(NETWORK_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`--subnet ${p}: expected <network>=<cidr>`, { hint: `Networks are ${NETWORK_KEYS.join(', ')}; e.g. --subnet edge=172.30.8.0/24.` });
    }
    out[key as NetworkKey] = checkSubnet(p, cidr);
  }
  return out;
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(parseCidr);

/** A subnet a lab network can use: IPv4, at least a /24 (hosts go up to .254), in a private range. */
function checkSubnet(flag: string, text: string): string {
  let c: Cidr;
  try {
    c = parseCidr(text);
  } catch (e) {
    throw new UsageError(`--subnet ${flag}: ${(e as Error).message}`, { hint: 'Write it like edge=172.30.8.0/24.' });
  }
  if (c.bits > 24) {
    throw new UsageError(`--subnet ${flag}: too small (a /${c.bits}); lab numbers its hosts up to .254`, { hint: 'Give each lab network a /24 or larger, e.g. edge=172.30.8.0/24.' });
  }
  if (!PRIVATE_RANGES.some((r) => overlaps(r, c) && r.bits <= c.bits)) {
    throw new UsageError(`--subnet ${flag}: not a private range`, {
      hint: "Use a subnet inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16: a public one would shadow real addresses, and traffic to it would leave this machine once the lab is gone.",
    });
  }
  return text;
}

export function parseTimeout(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--timeout ${s}: expected a number of seconds`, { hint: 'e.g. --timeout 90' });
  return n * 1000;
}

export function parsePublish(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const port = v === true ? 8080 : Number(v);
  if (!(Number.isInteger(port) && port > 0 && port < 65172)) throw new UsageError(`--publish ${String(v)}: expected a port number`, { hint: 'e.g. --publish 8080' });
  return port;
}

/** The experiment the lab runs, when the engine answers and the lab exists. */
async function runningExperiment(deps: Deps): Promise<string | undefined> {
  try {
    const { observeLab } = await import('../../lifecycle/observe.js');
    return (await observeLab(deps.runtime, deps.labName)).experiment ?? undefined;
  } catch {
    return undefined; // no engine yet: `up` will provision it
  }
}

/**
 * The two host ports `--publish` needs must be free, or held by this lab's own client (a re-up): checked
 * before anything is created, naming whoever holds them.
 */
async function assertPublishFree(port: number, deps: Deps): Promise<void> {
  const { portHolder } = await import('../../util/ports.js');
  for (const p of [port, port + 363]) {
    const holder = await portHolder(p);
    if (!holder) continue;
    if (holder.containerIp) {
      const { observeLab } = await import('../../lifecycle/observe.js');
      const view = await observeLab(deps.runtime, deps.labName).catch(() => undefined);
      const ours = view?.nodes.some((n) => n.role === 'client' && Object.values(n.addresses).includes(holder.containerIp!));
      if (ours) continue;
    }
    throw new LabError(`--publish ${port}: 127.0.0.1:${p} is already in use by ${holder.what}${holder.containerIp ? ` for container address ${holder.containerIp}` : ''}`, {
      hint: `Stop it, or choose another port: --publish P uses 127.0.0.1:P and P+363 (e.g. --publish ${port + 1}). Nothing was created.`,
    });
  }
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { upLab } = await import('../../lifecycle/up.js');
  const { io } = deps;
  const s = io.style;
  const { addSecret } = await import('../../util/redact.js');
  const statsPassword = statsPasswordFrom(deps.env, o.statsPasswordFile);
  addSecret(statsPassword);
  if (o.publishPort && !o.dryRun) await assertPublishFree(o.publishPort, deps);
  const experiment = o.experiment ?? (await runningExperiment(deps)) ?? 'exp2';
  const r = await interruptible(deps, 'lab up', (signal) =>
    upLab(
      {
        experiment,
        cwd: deps.cwd,
        workspace: o.workspace,
        certsDir: o.certs,
        yes: o.yes,
        interactive: io.stdinTTY && io.stderrTTY,
        timeoutMs: o.timeoutMs,
        subnets: o.subnets,
        publishPort: o.publishPort,
        dryRun: o.dryRun,
        statsPassword,
        signal,
      },
      deps,
    ),
  );
  const t = r.topology;
  if (o.json) {
    printJson(io, {
      name: deps.labName,
      experiment,
      dryRun: o.dryRun,
      vip: { address: t?.vip ?? null, holder: r.holder ?? null },
      forwarding: t?.forwarding ?? null,
      provisioning: r.provisioning,
      plan: r.plan.steps.length ? planToString(r.plan).split('\n') : [],
      recreated: r.recreated,
      workspace: r.workspaceDir,
      certificates: r.certChanges,
      statsLogin: r.statsPasswordSet ? 'admin:<the lab\'s password>' : 'admin:123456',
      ...(r.recorded ? { recorded: r.recorded } : {}),
    });
    return 0;
  }
  if (o.dryRun) {
    for (const p of r.provisioning) say(io, `would ${p}`);
    say(io, planToString(r.plan) || (r.provisioning.length ? '' : 'nothing to do'));
    return 0;
  }
  say(io);
  say(io, engineSteps(r.plan).length === 0 ? s.green('Nothing changed: every container was already up to date.') : `${s.green('Lab is up.')} ${r.recreated.length} container(s) created.`);
  say(io, `  lab         ${deps.labName}  (experiment ${experiment}: ${r.lab.def.title.en})`);
  say(io, `  VIP         ${t!.vip}  held by ${r.holder}`);
  say(io, `  forwarding  ${t!.forwarding === 'ipvs' ? 'IPVS (keepalived virtual_server, LVS-NAT)' : 'nftables (this kernel has no IPVS; keepalived does VRRP only)'}`);
  say(io, `  workspace   ${r.workspaceDir}${r.seeded.length ? `  (${r.seeded.length} start file(s) added)` : ''}`);
  if (r.statsPasswordSet) say(io, `  stats page  admin with this lab's password (kept in ${path.relative(deps.cwd, secretsFile(deps.cwd, deps.labName))}, mode 0600)`);
  // Certificates lab had to repair (a swapped or damaged key, an expired leaf) are named; a first run's are counted.
  const made = r.certChanges.filter((c) => c.endsWith('generated (none found)') || c.endsWith('written (none found)'));
  for (const c of r.certChanges.filter((x) => !made.includes(x))) say(io, `  certificates ${c}`);
  if (made.length) say(io, `  certificates ${made.length} file(s) made (none found)`);
  say(io);
  const tryIt = r.lab.def.try;
  if (tryIt && 'node' in tryIt) {
    say(io, 'Try it:');
    // With the lab's own password (which the terminal shows masked), not the course's.
    say(io, `  lab exec ${tryIt.node} -- ${withStatsPassword(tryIt.cmd, statsPassword ?? readSecrets(deps.cwd, deps.labName).statsPassword)}`);
  } else if (tryIt) {
    const url = `${tryIt.scheme}://${tryIt.host}${tryIt.path}`;
    say(io, 'Reach it:');
    say(io, `  from client  lab shell    then  curl ${url}`);
    const port = tryIt.scheme === 'https' ? 443 : 80;
    if (o.publishPort) say(io, `  from host    curl -H 'Host: ${tryIt.host}' http://127.0.0.1:${o.publishPort}${tryIt.path}`);
    else if (r.desktop) say(io, `  from host    Docker Desktop has no route to ${t!.vip}: run \`lab up --publish 8080\` and use 127.0.0.1:8080`);
    else say(io, `  from host    curl --cacert certs/ca/ca.crt --resolve ${tryIt.host}:${port}:${t!.vip} ${url}`);
  }
  say(io);
  say(io, 'Next:');
  say(io, `  lab guide ${experiment}     step-by-step exercise`);
  say(io, `  lab check ${experiment}     grade what the lab does now`);
  say(io, '  lab status         nodes, addresses and the VIP holder');
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('up')
    .description('stand up (or converge) the lab for an experiment')
    .argument('[exp]', 'experiment, e.g. exp2 (default: the running one, else exp2)')
    .option('-w, --workspace <dir>', 'workspace folder (default: ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder (default: ./certs)')
    .option('-y, --yes', 'answer yes to installing/starting Docker')
    .option('--timeout <seconds>', 'how long to wait for the lab to become ready', '90')
    .option('--subnet <net=cidr>', 'use this subnet for a lab network (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--publish [port]', 'publish VIP:80 and VIP:443 on 127.0.0.1:<port> and <port>+363 (for Docker Desktop)')
    .option('--dry-run', 'print what would be done and change nothing (on the engine or on disk)')
    .option('--json', 'print the result as JSON')
    .option('--stats-password-file <file>', "this lab's stats page password, read from a file's first line (or env LAB_STATS_PASSWORD); default: the course's 123456")
    .action((exp: string | undefined, f: { workspace?: string; certs?: string; yes?: boolean; timeout: string; subnet: string[]; publish?: string | boolean; dryRun?: boolean; json?: boolean; statsPasswordFile?: string }, cmd: Command) =>
      act(cmd, run, {
        experiment: exp,
        workspace: f.workspace,
        certs: f.certs,
        yes: !!f.yes,
        timeoutMs: parseTimeout(f.timeout),
        subnets: parseSubnets(f.subnet),
        publishPort: parsePublish(f.publish),
        dryRun: !!f.dryRun,
        json: !!f.json,
        statsPasswordFile: f.statsPasswordFile,
      }),
    );
}
