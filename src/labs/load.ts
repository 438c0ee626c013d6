// Finds and parses labs/<exp>/lab.yaml with file:line errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { FileError, UsageError } from '../util/errors.js';
import { labsDir } from '../util/paths.js';
import { LabFile } from './schema.js';

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

/** Line of the YAML node at a zod issue path, for one-line errors. */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, issuePath: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let last: YamlNode | undefined = node as YamlNode;
  for (const key of issuePath) {
    if (isMap(node) || isSeq(node)) {
      const next = (node as { get: (k: unknown, keep: boolean) => unknown }).get(key, true);
      if (next === undefined) break;
      node = next;
      last = next as YamlNode;
    } else break;
  }
  const offset = last?.range?.[0];
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

export function parseLabFile(file: string, text: string): LabFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line;
    throw new FileError(file, line, `YAML syntax error: ${e.message.split('\n')[0]}`, { hint: 'Check the indentation and quoting on that line.' });
  }
  const parsed = LabFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || '(top level)';
    const fix =
      issue.code === 'unrecognized_keys'
        ? `remove ${issue.keys.join(', ')} or check its spelling`
        : issue.code === 'invalid_type'
          ? `give ${where} a ${issue.expected}`
          : 'see labs/schema.json for the allowed shape';
    throw new FileError(file, lineOf(doc, counter, issue.path), `${where}: ${issue.message}`, { hint: `Fix: ${fix}.` });
  }
  return parsed.data;
}

export function loadLab(id: string, root = labsDir): Lab {
  const dir = path.join(root, id);
  const file = path.join(dir, 'lab.yaml');
  if (!existsSync(file)) {
    const known = listLabs(root);
    throw new UsageError(`unknown experiment "${id}"`, { hint: `Choose one of: ${known.join(', ') || '(none found in labs/)'}.` });
  }
  const def = parseLabFile(path.relative(process.cwd(), file) || file, readFileSync(file, 'utf8'));
  if (def.id !== id) throw new FileError(file, 1, `id is "${def.id}" but the folder is "${id}"`, { hint: `Fix: set id: ${id}.` });
  return { id, dir, file, def, startDir: path.join(dir, 'start'), solutionDir: path.join(dir, 'solution') };
}
