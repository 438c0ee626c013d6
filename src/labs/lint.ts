// Checks the text of one lab.yaml: YAML syntax, the zod schema, and the references inside the file
// (unique step ids, verify → checks ids, run → node names). Every problem is one line with the
// file, the line and a fix. `lab validate` adds the folder-level checks (src/labs/validate.ts).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import { allNodeNames } from '../topology/kinds/index.js';
import { LabFile } from './schema.js';

export interface Problem {
  file: string;
  line?: number;
  message: string;
  /** Names the fix. */
  hint: string;
}

export type YamlPath = readonly (string | number)[];

export interface LintResult {
  def?: LabFile;
  problems: Problem[];
  /** Line of the YAML node at a path (the key's line for mapping entries), for later problems. */
  lineAt(path: YamlPath): number | undefined;
}

/** Every node name the topology creates (client, lvs1, haproxy1, nginx1, app1, …). */
export function knownNodes(): string[] {
  return allNodeNames();
}

function lineLocator(doc: Document, counter: LineCounter) {
  return (issuePath: YamlPath): number | undefined => {
    let node: unknown = doc.contents;
    let offset = (node as YamlNode | undefined)?.range?.[0];
    for (const key of issuePath) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) break;
        offset = (pair.key as YamlNode | undefined)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (item === undefined) break;
        node = item;
        offset = (item as YamlNode).range?.[0] ?? offset;
      } else break;
    }
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

/** The zod schema at a path of the lab file, to list the allowed keys in a hint. */
function schemaAt(schema: ZodTypeAny, issuePath: YamlPath): ZodTypeAny | undefined {
  let s: ZodTypeAny | undefined = schema;
  const unwrap = (t: ZodTypeAny): ZodTypeAny => {
    for (;;) {
      if (t instanceof z.ZodDefault) t = t._def.innerType;
      else if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
      else if (t instanceof z.ZodEffects) t = t.innerType();
      else return t;
    }
  };
  for (const key of issuePath) {
    if (!s) return undefined;
    s = unwrap(s);
    if (s instanceof z.ZodObject && typeof key === 'string') s = (s.shape as Record<string, ZodTypeAny>)[key];
    else if (s instanceof z.ZodArray && typeof key === 'number') s = s.element;
    else return undefined;
  }
  return s ? unwrap(s) : undefined;
}

function describePath(p: YamlPath): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '') || '(top level)';
}

function issueToProblem(file: string, issue: ZodIssue, lineAt: LintResult['lineAt']): Problem {
  const where = describePath(issue.path);
  const last = issue.path[issue.path.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const obj = schemaAt(LabFile, issue.path);
      const allowed = obj instanceof z.ZodObject ? Object.keys(obj.shape as object) : [];
      const key = issue.keys[0]!;
      return {
        file,
        line: lineAt([...issue.path, key]),
        message: `${describePath([...issue.path, key])}: unknown key "${key}"`,
        hint: `Fix: remove "${key}" or correct its spelling${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}.`,
      };
    }
    case 'invalid_type':
      if (issue.received === 'undefined') {
        return { file, line: lineAt(issue.path), message: `${where}: required`, hint: `Fix: add \`${String(last)}:\` (${issue.expected}).` };
      }
      return { file, line: lineAt(issue.path), message: `${where}: expected ${issue.expected}, got ${issue.received}`, hint: `Fix: give ${where} a ${issue.expected}.` };
    case 'too_small':
      return {
        file,
        line: lineAt(issue.path),
        message: `${where}: ${issue.message}`,
        hint: `Fix: ${where} needs at least ${String(issue.minimum)} ${issue.type === 'array' ? 'item(s)' : 'character(s)'}.`,
      };
    case 'invalid_literal':
      return { file, line: lineAt(issue.path), message: `${where}: must be ${JSON.stringify(issue.expected)}`, hint: `Fix: write ${JSON.stringify(issue.expected)} (or leave it out).` };
    case 'invalid_string':
    case 'custom':
      return { file, line: lineAt(issue.path), message: `${where}: ${issue.message}`, hint: `Fix: ${issue.message}.` };
    default:
      return { file, line: lineAt(issue.path), message: `${where}: ${issue.message}`, hint: 'Fix: see labs/schema.json for the allowed shape.' };
  }
}

/** Cross-references inside one lab file. */
function crossCheck(file: string, def: LabFile, lineAt: LintResult['lineAt']): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  const checkIds = def.checks
    .map((c) => (c && typeof c === 'object' ? (c as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === 'string');
  const nodes = knownNodes();
  def.steps.forEach((step, i) => {
    if (seen.has(step.id)) {
      problems.push({
        file,
        line: lineAt(['steps', i, 'id']),
        message: `steps[${i}].id: "${step.id}" is already used by steps[${seen.get(step.id)}]`,
        hint: 'Fix: give every step an id of its own; ids are stable names that progress files refer to.',
      });
    } else seen.set(step.id, i);
    step.run.forEach((r, j) => {
      if (!nodes.includes(r.node)) {
        problems.push({
          file,
          line: lineAt(['steps', i, 'run', j, 'node']),
          message: `steps[${i}].run[${j}].node: no node "${r.node}" in the lab`,
          hint: `Fix: use one of ${nodes.join(', ')}.`,
        });
      }
    });
    // Until the lab declares checks there is nothing to compare with.
    if (step.verify && checkIds.length) {
      step.verify.checks.forEach((id, j) => {
        if (!checkIds.includes(id)) {
          problems.push({
            file,
            line: lineAt(['steps', i, 'verify', 'checks', j]),
            message: `steps[${i}].verify.checks[${j}]: no check "${id}" in this lab's checks`,
            hint: `Fix: use one of ${checkIds.join(', ')}.`,
          });
        }
      });
    }
  });
  def.workspace.forEach((p, i) => {
    if (p.startsWith('/') || p.split(/[\\/]/).includes('..')) {
      problems.push({ file, line: lineAt(['workspace', i]), message: `workspace[${i}]: "${p}" leaves the workspace`, hint: 'Fix: use a path relative to the workspace, e.g. haproxy/haproxy.cfg.' });
    }
  });
  return problems;
}

export function lintLabText(file: string, text: string): LintResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = lineLocator(doc, counter);
  if (doc.errors.length) {
    return {
      lineAt,
      problems: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
        hint: e.code === 'DUPLICATE_KEY' ? 'Fix: remove one of the two keys.' : 'Fix: check the indentation and quoting on that line.',
      })),
    };
  }
  const parsed = LabFile.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems: Problem[] = [];
    const seenAt = new Set<string>();
    for (const issue of parsed.error.issues) {
      const p = issueToProblem(file, issue, lineAt);
      const key = `${p.line}:${p.message}`;
      if (!seenAt.has(key)) problems.push(p);
      seenAt.add(key);
    }
    return { lineAt, problems };
  }
  return { def: parsed.data, lineAt, problems: crossCheck(file, parsed.data, lineAt) };
}
