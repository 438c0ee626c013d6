import type { Role } from '../model.js';
import { app } from './app.js';
import { client } from './client.js';
import { director } from './director.js';
import { haproxy } from './haproxy.js';
import type { NodeKind } from './kind.js';
import { nginx } from './nginx.js';
import { UsageError } from '../../util/errors.js';

/** Every node kind, in start order. */
export const KINDS: NodeKind[] = [app, nginx, haproxy, director, client];

export function kindOf(role: string): NodeKind {
  const kind = KINDS.find((k) => k.role === role);
  if (!kind) {
    throw new UsageError(`kind "${role}" is not supported. Supported kinds are [${KINDS.map((k) => k.role).join(', ')}]`);
  }
  return kind;
}

export const ROLES: Role[] = KINDS.map((k) => k.role);
