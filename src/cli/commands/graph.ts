import type { Command } from 'commander';
import { checkLabName } from '../deps.js';
import { say } from '../output.js';

export function define(program: Command): void {
  program
    .command('graph')
    .description('print the topology as a Mermaid diagram (with live addresses when the lab is up)')
    .argument('[exp]', 'experiment', 'exp2')
    .action(async (exp: string, _opts: unknown, cmd: Command) => {
      const labName = checkLabName(cmd.optsWithGlobals().name);
      const { loadLab } = await import('../../labs/load.js');
      const { mermaid } = await import('../../topology/graph.js');
      loadLab(exp); // an unknown experiment is an error, not an empty graph
      let live: { vip?: string; forwarding?: string; addresses?: Record<string, string> } = {};
      try {
        const { DockerRuntime } = await import('../../runtime/docker.js');
        const { labStatus } = await import('../../lifecycle/status.js');
        const s = await labStatus(new DockerRuntime(), labName);
        if (s.nodes.length && s.experiment === exp) {
          live = {
            vip: s.vip.address ?? undefined,
            forwarding: s.forwarding ?? undefined,
            addresses: Object.fromEntries(s.nodes.map((n) => [n.name, Object.values(n.addresses).join(' / ')])),
          };
        }
      } catch {
        // No engine: the static diagram is still useful.
      }
      say(mermaid({ experiment: exp, ...live }));
    });
}
