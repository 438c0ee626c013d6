import { fileURLToPath } from 'node:url';
import path from 'node:path';

// dist/util/paths.js and src/util/paths.ts both sit two levels below the package root.
const here = path.dirname(fileURLToPath(import.meta.url));

/** Root of the installed package: where labs/ and templates/ live. */
export const packageRoot = path.resolve(here, '..', '..');
export const labsDir = path.join(packageRoot, 'labs');
export const templatesDir = path.join(packageRoot, 'templates');

/** Where per-lab generated files (rendered configs, state) go: beside the user's workspace. */
export function stateDir(cwd: string, labName: string): string {
  return path.join(cwd, '.lab', labName);
}
