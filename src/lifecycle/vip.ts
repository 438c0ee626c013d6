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

/** What a director's VIP watcher saw, by the engine's clock (ms): when it started, and when the VIP arrived. */
export interface VipArrival {
  startedAt: number;
  /** undefined: the VIP did not arrive within the watcher's time. */
  seenAt?: number;
}

/**
 * Watches one director for the VIP to arrive, timed by the director's own clock (the engine's), which
 * is what the engine's other timestamps (a container's exit, a client's request log) use too.
 * The polling runs in the director: asking "yet?" from here every 200 ms counted each ask's exec latency
 * (a second or more on a loaded machine) as part of the takeover. Start it before the fault; it stops at
 * the first sighting, so one that started late reports its own start. An engine error rejects.
 */
export async function vipArrival(runtime: Runtime, container: string, vip: string, seconds: number): Promise<VipArrival> {
  if (!/^[0-9.]+$/.test(vip)) throw new Error(`not an IPv4 address: ${vip}`);
  const script = [
    'echo "start $(date +%s%3N)"',
    `end=$(( $(date +%s) + ${Math.ceil(seconds)} ))`,
    'while [ "$(date +%s)" -lt "$end" ]; do',
    `  ip -o -4 addr show | grep -qF ' ${vip}/' && { echo "seen $(date +%s%3N)"; exit 0; }`,
    '  sleep 0.1',
    'done',
  ].join('\n');
  const r = await runtime.exec(container, ['sh', '-c', script], { timeoutMs: (seconds + 30) * 1000 });
  const at = (word: string) => Number(new RegExp(`^${word} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
  const startedAt = at('start');
  if (!(startedAt > 0)) throw new Error(`the VIP watcher in ${container} printed no start time (exit ${r.exitCode}): ${r.stderr.trim()}`);
  const seenAt = at('seen');
  return seenAt > 0 ? { startedAt, seenAt } : { startedAt };
}
