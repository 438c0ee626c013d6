// The topology as Mermaid, the diagram language the tutorial itself uses.
import { KINDS } from './kinds/index.js';
import { nodeName } from './kinds/kind.js';
import type { Role } from './model.js';

const TIER: Record<Role, string> = {
  client: '用户层 client',
  director: '四层负载均衡 LVS',
  haproxy: '七层负载均衡 HAProxy',
  nginx: 'Web服务器层 Nginx',
  app: '应用服务器层 app',
};

export interface GraphInput {
  experiment: string;
  vip?: string;
  forwarding?: string;
  /** node → address to show, when the lab is running. */
  addresses?: Record<string, string>;
}

export function mermaid(input: GraphInput): string {
  const lines = ['graph TB'];
  const label = (node: string, extra: string) => `${node}[${node}${extra}${input.addresses?.[node] ? `<br/>${input.addresses[node]}` : ''}]`;
  const order: Role[] = ['client', 'director', 'haproxy', 'nginx', 'app'];
  for (const role of order) {
    const kind = KINDS.find((k) => k.role === role)!;
    lines.push(`    subgraph ${role}_tier[${TIER[role]}]`);
    if (role === 'director') lines.push(`        VIP((VIP${input.vip ? `<br/>${input.vip}` : ''}))`);
    for (let i = 0; i < kind.count; i++) {
      const n = nodeName(role, i);
      const extra = role === 'director' ? (i === 0 ? ' MASTER' : ' BACKUP') : role === 'app' ? ' :8070' : role === 'nginx' ? ' :10080' : '';
      lines.push(`        ${label(n, extra)}`);
    }
    lines.push('    end');
  }
  const names = (role: Role) => Array.from({ length: KINDS.find((k) => k.role === role)!.count }, (_, i) => nodeName(role, i));
  lines.push('    client -->|HTTP/HTTPS 80/443| VIP');
  lines.push('    VIP --> lvs1');
  lines.push('    VIP -.-> lvs2');
  const l4 = input.forwarding === 'nftables' ? '四层转发 nftables' : '四层转发';
  for (const d of names('director')) for (const h of names('haproxy')) lines.push(`    ${d} ${d === 'lvs1' ? '-->' : '-.->'}|${l4}| ${h}`);
  for (const h of names('haproxy')) for (const n of names('nginx')) lines.push(`    ${h} -->|七层转发| ${n}`);
  for (const n of names('nginx')) for (const a of names('app')) lines.push(`    ${n} --> ${a}`);
  lines.push('    style VIP fill:#f9f,stroke:#333');
  lines.push('    style lvs1 fill:#bbf,stroke:#333');
  lines.push('    style lvs2 fill:#bbf,stroke:#333');
  lines.push('    style haproxy1 fill:#bfb,stroke:#333');
  lines.push('    style haproxy2 fill:#bfb,stroke:#333');
  return `${lines.join('\n')}\n`;
}
