import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, printJson, say } from '../output.js';

export interface Options {
  drill: string;
  node?: string;
  url: string;
  seconds: number;
  json: boolean;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { DRILLS, runDrill } = await import('../../drill/drill.js');
  const { observeLab, requireRunning } = await import('../../lifecycle/observe.js');
  const { waitReady } = await import('../../lifecycle/ready.js');
  if (!(o.drill in DRILLS)) {
    throw new UsageError(`unknown drill "${o.drill}"`, { hint: `Drills: ${Object.entries(DRILLS).map(([k, v]) => `${k} (${v})`).join('; ')}.` });
  }
  const view = await observeLab(deps.runtime, deps.labName);
  requireRunning(view);
  const r = await runDrill(deps.runtime, view, { drill: o.drill as keyof typeof DRILLS, node: o.node, url: o.url, beforeSec: 2, afterSec: o.seconds, intervalMs: 50 }, (l) => note(deps.io, deps.io.errStyle.dim(l)));
  // Put the lab back as it was before saying anything about it.
  await waitReady(deps.runtime, { vip: view.vip!, nodes: view.nodes.map((n) => ({ node: n.node, role: n.role, container: n.container })) }, { timeoutMs: 60_000 });
  if (o.json) {
    printJson(deps.io, r);
    return 0;
  }
  const s = deps.io.style;
  say(deps.io, `${s.bold(`drill ${r.drill}`)}: stopped ${r.node} — ${DRILLS[r.drill]}`);
  say(deps.io, `  ${r.requests} requests, ${r.failed === 0 ? s.green('0 failed') : s.red(`${r.failed} failed`)}${r.failed ? `, requests succeed again ${(r.recoveryMs / 1000).toFixed(1)} s after the fault` : ''}`);
  if (r.noticedMs !== undefined) {
    const what = r.drill === 'director' ? 'the VIP moved to the other director' : `every HAProxy marked ${r.node} DOWN`;
    say(deps.io, `  ${what} ${(r.noticedMs / 1000).toFixed(1)} s after the fault; ${r.failedAfterNoticed} request(s) failed after that`);
  }
  for (const f of r.failures.slice(0, 5)) say(deps.io, s.dim(`  +${(f.atMs / 1000).toFixed(2)} s  ${f.status}`));
  if (r.failures.length > 5) say(deps.io, s.dim(`  … and ${r.failures.length - 5} more`));
  say(deps.io, `  ${r.node} was started again; the lab is ready.`);
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('drill')
    .description('measure a failure: requests run through the VIP while a node stops (director | haproxy | nginx | app); prints failed requests and time to recover')
    .argument('<drill>', 'director, haproxy, nginx or app')
    .option('--node <node>', 'which node to stop (default: the VIP holder, haproxy1, nginx2, app2)')
    .option('--url <url>', 'what the loop requests, through the VIP', 'http://go-backend.liujun.com/api/drill')
    .option('--seconds <n>', 'how long to keep requesting after the fault', '8')
    .option('--json', 'print the result as JSON')
    .action((drill: string, f: { node?: string; url: string; seconds: string; json?: boolean }, cmd: Command) => {
      const seconds = Number(f.seconds);
      if (!Number.isFinite(seconds) || seconds < 1 || seconds > 120) throw new UsageError(`--seconds ${f.seconds}: expected 1..120`, { hint: 'e.g. --seconds 8' });
      return act(cmd, run, { drill, node: f.node, url: f.url, seconds, json: !!f.json });
    });
}
