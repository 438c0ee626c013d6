import type { Command } from 'commander';
import { realDeps } from '../deps.js';
import { printJson, say, style, table } from '../output.js';

export function define(program: Command): void {
  program
    .command('status')
    .description('nodes, roles, health, addresses, the VIP holder and the forwarding mode')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const deps = await realDeps(cmd);
      const { labStatus } = await import('../../lifecycle/status.js');
      const s = await labStatus(deps.runtime, deps.labName);
      if (opts.json) return printJson(s);
      if (s.nodes.length === 0) {
        say(`Lab "${s.name}" is not running. Start it with \`lab up exp2\`.`);
        return;
      }
      say(`lab ${style.bold(s.name)}  experiment ${s.experiment}  forwarding ${s.forwarding}`);
      say(`VIP ${s.vip.address}  held by ${s.vip.holder ?? style.red('nobody')}`);
      say();
      const nets = s.networks.map((n) => n.name);
      say(
        table([
          ['NODE', 'ROLE', 'STATE', 'HEALTH', ...nets.map((n) => n.replace(`${s.name}-`, '').toUpperCase())],
          ...s.nodes.map((n) => [
            n.name,
            n.role,
            n.state,
            n.healthy ? style.green('healthy') : style.red('unhealthy'),
            ...nets.map((net) => n.addresses[net] ?? ''),
          ]),
        ]),
      );
      say();
      say(s.networks.map((n) => `${n.name} ${n.subnet}`).join('   '));
    });
}
