// Finds and parses labs/<exp>/lab.yaml with file:line errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FileError, UsageError } from '../util/errors.js';
import { labsDir } from '../util/paths.js';
import { lintLabText } from './lint.js';
import { closest } from '../util/closest.js';
import { textProblem } from '../util/text.js';
import type { LabFile } from './schema.js';

export interface Lab {
  id: string;
  dir: string;
  file: string;
  def: LabFile;
  startDir: string;
  solutionDir: string;
}

export function listLabs(root = labsDir): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'lab.yaml')))
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Parses a lab file; the first problem (YAML, schema or reference) becomes a FileError. */
export function parseLabFile(file: string, text: string): LabFile {
  const { def, problems } = lintLabText(file, text);
  const p = problems[0];
  if (p) throw new FileError(p.file, p.line, p.message, { hint: p.hint });
  return def!;
}

export function loadLab(id: string, root = labsDir): Lab {
  const dir = path.join(root, id);
  const file = path.join(dir, 'lab.yaml');
  if (!existsSync(file)) {
    const known = listLabs(root);
    const near = closest(id, known);
    throw new UsageError(`unknown experiment "${id}"`, { hint: `${near ? `Did you mean ${near}? ` : ''}Choose one of: ${known.join(', ') || '(none found in labs/)'}.` });
  }
  const shown = path.relative(process.cwd(), file) || file;
  const bytes = readFileSync(file);
  const bad = textProblem(bytes);
  if (bad) throw new FileError(shown, bad.line, bad.message, { hint: bad.hint });
  const def = parseLabFile(shown, bytes.toString('utf8'));
  if (def.id !== id) throw new FileError(file, 1, `id is "${def.id}" but the folder is "${id}"`, { hint: `Fix: set id: ${id}.` });
  return { id, dir, file, def, startDir: path.join(dir, 'start'), solutionDir: path.join(dir, 'solution') };
}
