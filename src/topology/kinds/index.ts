// Every node kind, in start order. Adding a role: one file in this folder and one entry here.
import { UsageError } from '../../util/errors.js';
import { app } from './app.js';
import { client } from './client.js';
import { director } from './director.js';
import { haproxy } from './haproxy.js';
import { namesOf, type NodeKind } from './kind.js';
import { nginx } from './nginx.js';
import { office } from './office.js';

export const KINDS: NodeKind[] = [app, nginx, haproxy, director, client, office];

export function kindOf(role: string): NodeKind {
  const kind = KINDS.find((k) => k.role === role);
  if (!kind) throw new UsageError(`kind "${role}" is not supported. Supported kinds are [${KINDS.map((k) => k.role).join(', ')}]`);
  return kind;
}

/** Kinds front to back, as a request travels (status rows, graph tiers). */
export const DISPLAY_KINDS: NodeKind[] = [...KINDS].sort((a, b) => a.order - b.order);

/** Every node name of the topology, front to back. */
export function allNodeNames(): string[] {
  return DISPLAY_KINDS.flatMap(namesOf);
}

/** The image folders the kinds use (templates/images/<name>), each once. */
export const IMAGE_NAMES: string[] = [...new Set(KINDS.map((k) => k.image))];
