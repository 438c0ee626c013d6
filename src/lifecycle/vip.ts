import type { Runtime } from '../runtime/types.js';

/** Which directors hold the VIP right now, asked of each director's kernel. */
export async function vipHolders(runtime: Runtime, directors: { node: string; container: string }[], vip: string): Promise<string[]> {
  const held = await Promise.all(
    directors.map(async (d) => {
      try {
        const r = await runtime.exec(d.container, ['ip', '-o', '-4', 'addr', 'show'], { timeoutMs: 5000, kept: true });
        return r.exitCode === 0 && r.stdout.split('\n').some((l) => l.includes(` ${vip}/`)) ? d.node : undefined;
      } catch {
        return undefined; // a stopped director holds nothing
      }
    }),
  );
  return held.filter((x): x is string => !!x);
}

/**
 * Watches one director for the VIP to arrive and answers when it did, by the director's clock (the host's
 * kernel clock, so it compares with Date.now()), or undefined when it did not within `seconds`; an engine error rejects.
 * The polling runs in the director: asking "yet?" from here every 200 ms counted each ask's exec latency
 * (a second or more on a loaded machine) as part of the takeover. Start it before the fault.
 */
export async function vipArrival(runtime: Runtime, container: string, vip: string, seconds: number): Promise<number | undefined> {
  if (!/^[0-9.]+$/.test(vip)) throw new Error(`not an IPv4 address: ${vip}`);
  const script = [
    `end=$(( $(date +%s) + ${Math.ceil(seconds)} ))`,
    'while [ "$(date +%s)" -lt "$end" ]; do',
    `  ip -o -4 addr show | grep -qF ' ${vip}/' && { date +%s%3N; exit 0; }`,
    '  sleep 0.1',
    'done',
    'exit 1',
  ].join('\n');
  const r = await runtime.exec(container, ['sh', '-c', script], { timeoutMs: (seconds + 30) * 1000 });
  const t = Number(r.stdout.trim());
  return r.exitCode === 0 && t > 0 ? t : undefined;
}
