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
