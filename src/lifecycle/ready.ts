// Waits until every node is healthy and exactly one director holds the VIP. On timeout the error
// names the node that is not ready and shows the end of its log, which usually says why.
import type { Runtime } from '../runtime/types.js';
import type { Topology } from '../topology/model.js';
import { NotReadyError } from '../util/errors.js';
import { vipHolders } from './vip.js';
import { sleep } from '../util/sleep.js';


async function tail(runtime: Runtime, container: string, lines = 8): Promise<string> {
  try {
    const stream = await runtime.logs(container, { follow: false, tail: lines });
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks).toString().trim();
  } catch {
    return '';
  }
}

export async function waitReady(
  runtime: Runtime,
  topo: Topology,
  opts: { timeoutMs: number; onWaiting?: (what: string) => void },
): Promise<{ holder: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  let waitingFor = '';
  for (;;) {
    const infos = await Promise.all(topo.nodes.map(async (n) => ({ n, info: await runtime.inspectContainer(n.container.name) })));
    const dead = infos.find(({ info }) => !info || info.state === 'exited' || info.state === 'dead');
    if (dead) {
      const logs = dead.info ? await tail(runtime, dead.n.container.name) : '';
      throw new NotReadyError(`${dead.n.node} stopped while starting${logs ? `:\n${logs}` : ''}`, {
        hint: `See \`lab logs ${dead.n.node}\`; if its config is the problem, fix it and run \`lab up\` again.`,
      });
    }
    const pending = infos.filter(({ info }) => info!.state !== 'running' || (info!.health !== 'healthy' && info!.health !== 'none'));
    if (pending.length === 0) {
      const directors = topo.nodes.filter((n) => n.role === 'director').map((n) => ({ node: n.node, container: n.container.name }));
      const holders = await vipHolders(runtime, directors, topo.vip);
      if (holders.length === 1) return { holder: holders[0]! };
      waitingFor = holders.length === 0 ? `a director to take the VIP ${topo.vip}` : `the VIP ${topo.vip} to settle on one director (held by ${holders.join(' and ')})`;
    } else {
      waitingFor = pending.map(({ n, info }) => `${n.node} (${info!.state === 'running' ? info!.health : info!.state})`).join(', ');
    }
    opts.onWaiting?.(waitingFor);
    if (Date.now() > deadline) {
      const first = pending[0];
      const logs = first ? await tail(runtime, first.n.container.name) : '';
      throw new NotReadyError(`not ready after ${Math.round(opts.timeoutMs / 1000)} s: waiting for ${waitingFor}${logs ? `\nlast log lines of ${first!.n.node}:\n${logs}` : ''}`, {
        hint: first ? `Look at \`lab logs ${first.n.node}\`, or raise --timeout.` : 'Look at `lab logs lvs1` and `lab logs lvs2`.',
      });
    }
    await sleep(250);
  }
}
