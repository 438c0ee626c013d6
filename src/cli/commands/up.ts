import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import { NETWORK_KEYS, type NetworkKey } from '../../topology/networks.js';
import { checkLabName } from '../deps.js';
import { printJson, say, style } from '../output.js';
import { planToString } from '../../topology/plan.js';

export interface UpCliOptions {
  workspace?: string;
  certs?: string;
  yes?: boolean;
  timeout: string;
  subnet: string[];
  publish?: string | boolean;
  dryRun?: boolean;
  json?: boolean;
}

function parseSubnets(pairs: string[]): Partial<Record<NetworkKey, string>> {
  const out: Partial<Record<NetworkKey, string>> = {};
  for (const p of pairs) {
    const [key, cidr] = p.split('=');
    if (!key || !cidr || !(NETWORK_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`--subnet ${p}: expected <network>=<cidr>`, { hint: `Networks are ${NETWORK_KEYS.join(', ')}; e.g. --subnet edge=172.30.8.0/24.` });
    }
    out[key as NetworkKey] = cidr;
  }
  return out;
}

function parseTimeout(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--timeout ${s}: expected a number of seconds`, { hint: 'e.g. --timeout 90' });
  return n * 1000;
}

export function define(program: Command): void {
  program
    .command('up')
    .description('stand up (or converge) the lab for an experiment')
    .argument('[exp]', 'experiment, e.g. exp2 (default: the running one, else exp2)')
    .option('-w, --workspace <dir>', 'workspace folder (default: ./workspace/<exp>)')
    .option('--certs <dir>', 'certificate folder', 'certs')
    .option('-y, --yes', 'answer yes to installing/starting Docker')
    .option('--timeout <seconds>', 'how long to wait for the lab to become ready', '90')
    .option('--subnet <net=cidr>', 'use this subnet for a lab network (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--publish [port]', 'publish VIP:80 and VIP:443 on 127.0.0.1:<port> and <port>+363 (for Docker Desktop)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--json', 'print the result as JSON')
    .action(async (exp: string | undefined, opts: UpCliOptions, cmd: Command) => {
      const labName = checkLabName(cmd.optsWithGlobals().name);
      const { upLab } = await import('../../lifecycle/up.js');
      const experiment = exp ?? (await runningExperiment(labName)) ?? 'exp2';
      const publishPort = opts.publish === undefined ? undefined : opts.publish === true ? 8080 : Number(opts.publish);
      if (publishPort !== undefined && !(Number.isInteger(publishPort) && publishPort > 0 && publishPort < 65172)) {
        throw new UsageError(`--publish ${opts.publish}: expected a port number`, { hint: 'e.g. --publish 8080' });
      }
      const r = await upLab({
        experiment,
        labName,
        cwd: process.cwd(),
        workspace: opts.workspace,
        certsDir: opts.certs,
        yes: !!opts.yes,
        interactive: !!process.stdin.isTTY && !!process.stderr.isTTY,
        timeoutMs: parseTimeout(opts.timeout),
        subnets: parseSubnets(opts.subnet),
        publishPort,
        dryRun: opts.dryRun,
      });
      if (opts.json) {
        printJson({
          name: labName,
          experiment,
          vip: { address: r.topology.vip, holder: r.holder ?? null },
          forwarding: r.topology.forwarding,
          plan: r.plan.steps.length ? planToString(r.plan).split('\n') : [],
          recreated: r.recreated,
          workspace: r.workspaceDir,
        });
        return;
      }
      if (opts.dryRun) {
        say(planToString(r.plan) || 'nothing to do');
        return;
      }
      const t = r.topology;
      say();
      say(r.recreated.length === 0 && r.plan.steps.length === 0 ? style.green('Nothing changed: every container was already up to date.') : `${style.green('Lab is up.')} ${r.recreated.length} container(s) created.`);
      say(`  lab         ${labName}  (experiment ${experiment}: ${r.lab.def.title.en})`);
      say(`  VIP         ${t.vip}  held by ${r.holder}`);
      say(`  forwarding  ${t.forwarding === 'ipvs' ? 'IPVS (keepalived virtual_server, LVS-NAT)' : 'nftables (this kernel has no IPVS; keepalived does VRRP only)'}`);
      say(`  workspace   ${r.workspaceDir}${r.seeded.length ? `  (${r.seeded.length} start file(s) added)` : ''}`);
      say();
      say('Reach it:');
      say(`  from client  lab shell    then  curl https://go-backend.liujun.com/api/hello`);
      if (publishPort) say(`  from host    curl -H 'Host: go-backend.liujun.com' http://127.0.0.1:${publishPort}/api/hello`);
      else if (r.desktop) say(`  from host    Docker Desktop has no route to ${t.vip}: run \`lab up --publish 8080\` and use 127.0.0.1:8080`);
      else say(`  from host    curl --cacert certs/ca/ca.crt --resolve go-backend.liujun.com:443:${t.vip} https://go-backend.liujun.com/api/hello`);
      say();
      say('Next:');
      say(`  lab guide ${experiment}     step-by-step exercise`);
      say(`  lab check ${experiment}     grade what the lab does now`);
      say('  lab status          nodes, addresses and the VIP holder');
    });
}

async function runningExperiment(labName: string): Promise<string | undefined> {
  try {
    const { DockerRuntime } = await import('../../runtime/docker.js');
    const { labStatus } = await import('../../lifecycle/status.js');
    return (await labStatus(new DockerRuntime(), labName)).experiment ?? undefined;
  } catch {
    return undefined; // no engine yet: `up` will provision it
  }
}
