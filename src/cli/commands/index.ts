import type { Command } from 'commander';
import { define as certs } from './certs.js';
import { define as doctor } from './doctor.js';

/** Each verb lives in its own module and registers itself on the program. Add new verbs here. */
export type DefineCommand = (program: Command) => void;

export const commands: DefineCommand[] = [certs, doctor];
