import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './util/paths.js';

/** The package version, stamped on every container as `lab.version`. */
export const LAB_VERSION: string = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;
