import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { printJson, say, table } from '../output.js';

export interface Options {
  json: boolean;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { labStatus } = await import('../../lifecycle/status.js');
  const { io } = deps;
  const s = io.style;
  const st = await labStatus(deps.runtime, deps.labName);
  // The same exit code with or without --json: scripts read the code, people read the table.
  const code = st.missing.length || st.nodes.some((n) => !n.healthy) ? 1 : 0;
  if (o.json) {
    printJson(io, st);
    return code;
  }
  if (st.nodes.length === 0) {
    say(io, `Lab "${st.name}" is not running. Start it with \`lab up exp2\`.`);
    return 0;
  }
  say(io, `lab ${s.bold(st.name)}  experiment ${st.experiment}  forwarding ${st.forwarding}`);
  say(io, `VIP ${st.vip.address}  held by ${st.vip.holder ?? s.red('nobody')}`);
  if (st.workspace) say(io, `workspace ${st.workspace}`);
  say(io);
  const nets = st.networks.map((n) => n.name);
  say(
    io,
    table([
      ['NODE', 'ROLE', 'STATE', 'READY', ...nets.map((n) => n.replace(`${st.name}-`, '').toUpperCase())],
      ...st.nodes.map((n) => [
        n.name,
        n.role,
        n.state,
        n.readiness === 'ready' ? s.green('ready') : s.red(n.readiness),
        ...nets.map((net) => n.addresses[net] ?? ''),
      ]),
    ]),
  );
  say(io);
  say(io, st.networks.map((n) => `${n.name} ${n.subnet}`).join('   '));
  if (st.missing.length) {
    say(io);
    say(io, s.red(`missing: ${st.missing.join(', ')} (removed outside lab?)`) + '  run `lab up` to repair');
  }
  return code;
}

export function define(program: Command, act: Act): void {
  program
    .command('status')
    .description('nodes, roles, readiness (probed now), addresses, the VIP holder and the forwarding mode; exit 1 when something is down or missing')
    .option('--json', 'print the status as JSON')
    .action((f: { json?: boolean }, cmd: Command) => act(cmd, run, { json: !!f.json }));
}
