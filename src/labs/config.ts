// lab.config.yaml: an optional file in the working directory for settings of this installation, e.g. a
// teacher's
//
//   tutorial: course/haproxy-tutorial.zh.md    # the course tutorial: the guide adds file:line to its pointers
//
// Relative paths are relative to the config file. The environment wins over the file: LAB_TUTORIAL=path.
// A key the schema does not know, or a value of the wrong type, is a one-line error naming file:line.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { FileError, UsageError } from '../util/errors.js';

export const CONFIG_FILE = 'lab.config.yaml';

export const LabConfig = z
  .object({
    tutorial: z.string({ invalid_type_error: 'expected a path to the course tutorial (a string)' }).min(1, 'expected a path to the course tutorial').optional(),
  })
  .strict();
export type LabConfig = z.infer<typeof LabConfig>;

const KNOWN = Object.keys(LabConfig.shape);

export interface LoadedConfig extends LabConfig {
  /** The config file read, when there is one. */
  file?: string;
}

/** Reads `<cwd>/lab.config.yaml` when it exists; paths in it come back absolute. */
export function loadConfig(cwd: string): LoadedConfig {
  const file = path.join(cwd, CONFIG_FILE);
  if (!existsSync(file)) return {};
  const shown = path.relative(cwd, file) || file;
  const counter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) throw new FileError(shown, err.linePos?.[0]?.line ?? counter.linePos(err.pos[0]).line, `YAML syntax error: ${err.message.split('\n')[0]}`, { hint: 'Fix the indentation or quoting on that line.' });
  if (doc.contents !== null && !isMap(doc.contents)) throw new FileError(shown, 1, 'expected keys and values, e.g. `tutorial: path/to/haproxy-tutorial.zh.md`', { hint: `Known keys: ${KNOWN.join(', ')}.` });
  const lineOf = (key: string | number | undefined): number | undefined => {
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key) : undefined;
    const offset = (pair?.key as YamlNode | undefined)?.range?.[0];
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
  const parsed = LabConfig.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      throw new FileError(shown, lineOf(key), `unknown key "${key}"`, { hint: `Known keys: ${KNOWN.join(', ')}.` });
    }
    const key = issue.path[0];
    throw new FileError(shown, lineOf(key), `${String(key)}: ${issue.message}`, { hint: `e.g. \`tutorial: path/to/haproxy-tutorial.zh.md\` (relative to ${CONFIG_FILE}).` });
  }
  const config: LoadedConfig = { ...parsed.data, file };
  if (config.tutorial !== undefined) {
    config.tutorial = path.resolve(path.dirname(file), config.tutorial);
    if (!existsSync(config.tutorial)) throw new FileError(shown, lineOf('tutorial'), `tutorial: no file at ${config.tutorial}`, { hint: 'Point it at your copy of the course tutorial (haproxy-tutorial.zh.md), or remove the key.' });
  }
  return config;
}

/** The teacher's copy of the course tutorial, if configured: LAB_TUTORIAL, else lab.config.yaml's `tutorial`. */
export function tutorialFile(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const config = loadConfig(cwd); // validated even when the environment decides
  const fromEnv = env.LAB_TUTORIAL;
  if (fromEnv) {
    const file = path.resolve(cwd, fromEnv);
    if (!existsSync(file)) throw new UsageError(`LAB_TUTORIAL=${fromEnv}: no such file`, { hint: 'Point it at your copy of the course tutorial (haproxy-tutorial.zh.md), or unset it.' });
    return file;
  }
  return config.tutorial;
}
