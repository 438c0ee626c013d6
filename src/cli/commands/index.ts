import type { Command } from 'commander';
import type { Act } from '../action.js';
import { define as up } from './up.js';
import { define as down } from './down.js';
import { define as status } from './status.js';
import { define as exec } from './exec.js';
import { define as graph } from './graph.js';
import { define as certs } from './certs.js';
import { define as doctor } from './doctor.js';
import { define as validate } from './validate.js';
import { define as apply } from './apply.js';
import { define as reset } from './reset.js';
import { define as solve } from './solve.js';
import { define as check } from './check.js';
import { define as guide } from './guide.js';
import { define as fault } from './fault.js';
import { define as list } from './list.js';
import { define as drill } from './drill.js';
import { define as report } from './report.js';
import { define as grade } from './grade.js';
import { define as images } from './images.js';

/** Each verb lives in its own module and registers itself on the program. Add new verbs here. */
export type DefineCommand = (program: Command, act: Act) => void;

export const commands: DefineCommand[] = [up, down, status, list, exec, graph, certs, doctor, validate, apply, reset, solve, check, guide, fault, drill, report, grade, images];
