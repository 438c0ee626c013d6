// Points at the tutorial section a step follows: "实验二 Nginx 配置文件调整" → the heading
// "#### Nginx 配置文件调整" under "### 实验二 …", with its line, so the student can open it there.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/paths.js';

/** The course tutorial, beside this repository as in the README's links. */
export const TUTORIAL_FILE = path.resolve(packageRoot, '..', 'shared', 'tutorial', 'haproxy-tutorial.zh.md');

export interface TutorialRef {
  section: string;
  /** The heading found for it, without the #s. */
  heading?: string;
  file?: string;
  line?: number;
}

interface Heading {
  level: number;
  text: string;
  line: number;
}

export function headingsOf(markdown: string): Heading[] {
  const out: Heading[] = [];
  let fenced = false;
  markdown.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*```/.test(raw)) fenced = !fenced;
    const m = !fenced && /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(raw);
    if (m) out.push({ level: m[1]!.length, text: m[2]!, line: i + 1 });
  });
  return out;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Finds the heading for a section reference such as "6.2", "5.4.1" or "实验二 HAProxy 配置文件示例". */
export function findSection(markdown: string, section: string): Heading | undefined {
  const hs = headingsOf(markdown);
  const want = norm(section);
  const exact = hs.find((h) => norm(h.text) === want) ?? hs.find((h) => norm(h.text).startsWith(`${want} `));
  if (exact) return exact;
  // "<parent> <child>": the parent heading by its first word, then a heading below it containing the rest.
  const [first, ...rest] = section.trim().split(/\s+/);
  const childText = norm(rest.join(' '));
  const parentIdx = hs.findIndex((h) => norm(h.text).split(' ')[0] === norm(first!));
  if (parentIdx < 0) return hs.find((h) => norm(h.text).includes(want));
  if (!childText) return hs[parentIdx];
  const parent = hs[parentIdx]!;
  for (const h of hs.slice(parentIdx + 1)) {
    if (h.level <= parent.level) break;
    if (norm(h.text).includes(childText)) return h;
  }
  return parent;
}

export function tutorialRef(section: string, file = TUTORIAL_FILE): TutorialRef {
  if (!existsSync(file)) return { section };
  const h = findSection(readFileSync(file, 'utf8'), section);
  return h ? { section, heading: h.text, file, line: h.line } : { section, file };
}

/** How to show the tutorial's path: relative to where the student stands when that is short. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel.split(path.sep).filter((p) => p === '..').length <= 2 ? rel : file;
}
