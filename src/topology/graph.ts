// The topology as Mermaid, the diagram language the tutorial itself uses, derived from the node kinds
// (tiers front to back, each kind's arrows) and the experiment (its title and the ports it serves).
import { DISPLAY_KINDS } from './kinds/index.js';
import { namesOf } from './kinds/kind.js';

export interface GraphInput {
  experiment: string;
  title?: string;
  /** Ports the experiment serves on the VIP. */
  ports?: number[];
  vip?: string;
  forwarding?: string;
  /** node → address to show, when the lab is running. */
  addresses?: Record<string, string>;
}

function portText(ports: number[]): string {
  const schemes = ports.map((p) => (p === 443 ? 'HTTPS' : 'HTTP'));
  return `${[...new Set(schemes)].join('/')} ${ports.join('/')}`;
}

export function mermaid(input: GraphInput): string {
  const lines = ['graph TB'];
  if (input.title) lines.push(`    %% ${input.experiment}: ${input.title}`);
  const box = (node: string, extra: string) => `${node}[${node}${extra}${input.addresses?.[node] ? `<br/>${input.addresses[node]}` : ''}]`;
  for (const kind of DISPLAY_KINDS) {
    lines.push(`    subgraph ${kind.role}_tier[${kind.graph.tier}]`);
    if (kind.role === 'director') lines.push(`        VIP((VIP${input.vip ? `<br/>${input.vip}` : ''}))`);
    namesOf(kind).forEach((n, i) => lines.push(`        ${box(n, kind.graph.label?.(i) ?? '')}`));
    lines.push('    end');
  }
  const byRole = new Map(DISPLAY_KINDS.map((k) => [k.role, k]));
  for (const kind of DISPLAY_KINDS) {
    for (const edge of kind.graph.to) {
      const target = byRole.get(edge.role);
      if (!target) continue;
      namesOf(kind).forEach((from, i) => {
        if (target.role === 'director') {
          // Clients reach the VIP; the VIP lives on the MASTER (solid) and moves to the BACKUP (dashed).
          lines.push(`    ${from} -->|${portText(input.ports ?? [80, 443])}| VIP`);
          return;
        }
        const l4 = kind.role === 'director' && input.forwarding === 'nftables' ? `${edge.text} nftables` : edge.text;
        for (const to of namesOf(target)) lines.push(`    ${from} ${kind.role === 'director' && i > 0 ? '-.->' : '-->'}${l4 ? `|${l4}|` : ''} ${to}`);
      });
    }
    if (kind.role === 'director') namesOf(kind).forEach((d, i) => lines.push(`    VIP ${i === 0 ? '-->' : '-.->'} ${d}`));
  }
  lines.push('    style VIP fill:#f9f,stroke:#333');
  for (const n of namesOf(byRole.get('director')!)) lines.push(`    style ${n} fill:#bbf,stroke:#333`);
  for (const n of namesOf(byRole.get('haproxy')!)) lines.push(`    style ${n} fill:#bfb,stroke:#333`);
  return `${lines.join('\n')}\n`;
}
