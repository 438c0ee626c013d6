// Points at the course tutorial section a step follows. The section numbers and titles live in this
// repository (labs/tutorial-sections.yaml, extracted from the tutorial by sectionsOf()), so a pointer
// always says "5.1.1 轮询（Round Robin）" even where the tutorial itself is not at hand. Where the
// teacher's copy is configured (LAB_TUTORIAL, or `tutorial:` in lab.config.yaml, see
// src/labs/config.ts), the pointer adds the file and the heading's line, so the student can open it there.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { labsDir } from '../util/paths.js';

/** Section id → its title in the course tutorial (zh), in the tutorial's order. */
export const SECTIONS_FILE = path.join(labsDir, 'tutorial-sections.yaml');

export interface TutorialRef {
  /** As written in lab.yaml: "6.2", "实验二 Nginx 配置文件调整", or a range "6.2–6.4". */
  section: string;
  /** The section's title from the table (for a range, both titles); absent when the id is unknown. */
  heading?: string;
  /** The teacher's copy of the tutorial, and the heading's line in it, when configured and found. */
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

export interface Section {
  id: string;
  title: string;
  line: number;
}

const CHAPTER = /^([一二三四五六七八九十]+)、\s*(.+)$/;
const NUMBERED = /^(\d+(?:\.\d+)+)\s+(.+)$/;
const EXPERIMENT = /^(实验[一二三四五六七八九十]+)\s+(.+)$/;

/**
 * The tutorial's sections with ids as lab.yaml writes them: "五" for the chapter "五、HAProxy的核心功能",
 * "5.1.1" for "5.1.1 轮询（Round Robin）", "实验二" for "实验二 配置代理后端服务的负载均衡"; a heading
 * without a number is named after its nearest numbered (or 实验) ancestor, "实验二 Nginx 配置文件调整",
 * or by itself right under a chapter, "Haproxy 独有的sock 操作". The document title is left out.
 */
export function sectionsOf(markdown: string): Section[] {
  const out: Section[] = [];
  const stack: { level: number; id: string; named: boolean }[] = [];
  for (const h of headingsOf(markdown)) {
    if (h.level === 1) continue;
    while (stack.length && stack[stack.length - 1]!.level >= h.level) stack.pop();
    const m = CHAPTER.exec(h.text) ?? NUMBERED.exec(h.text) ?? EXPERIMENT.exec(h.text);
    let id: string;
    let title: string;
    if (m) [id, title] = [m[1]!, m[2]!];
    else {
      const anchor = [...stack].reverse().find((s) => s.named);
      id = anchor ? `${anchor.id} ${h.text}` : h.text;
      title = h.text;
    }
    out.push({ id, title, line: h.line });
    stack.push({ level: h.level, id, named: !!m && !CHAPTER.test(h.text) });
  }
  return out;
}

/** labs/tutorial-sections.yaml as written by renderSectionsYaml(). */
export function renderSectionsYaml(sections: Section[]): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    '# The course tutorial\'s sections (haproxy-tutorial.zh.md): id → title. lab.yaml names sections by id',
    '# (`tutorial:`), and `lab guide` prints the id with its title. Extracted from the tutorial by sectionsOf()',
    '# in src/guide/tutorial-ref.ts; `LAB_TUTORIAL=<the tutorial> npm run docs` writes it again, and a test',
    '# compares the two whenever LAB_TUTORIAL is set.',
    ...sections.map((s) => `${q(s.id)}: ${q(s.title)}`),
    '',
  ].join('\n');
}

const SectionTable = z.record(z.string().min(1), z.string().min(1));

function readTable(file: string): Map<string, string> {
  return new Map(Object.entries(SectionTable.parse(parse(readFileSync(file, 'utf8')))));
}

let table: Map<string, string> | undefined;

/** The section table of the repository (or of `file`): id → title. */
export function sectionTable(file?: string): Map<string, string> {
  if (file) return readTable(file);
  table ??= readTable(SECTIONS_FILE);
  return table;
}

/** A range "6.2–6.4" (en dash or hyphen between two ids) as its two ids; otherwise the id alone. */
export function sectionIds(section: string): string[] {
  const m = /^(\S+)\s*[–-]\s*(\S+)$/.exec(section.trim());
  return m && /\d/.test(m[1]!) && /\d/.test(m[2]!) ? [m[1]!, m[2]!] : [section.trim()];
}

/** How a pointer names its section: "5.1.1 轮询（Round Robin）", "实验二 Nginx 配置文件调整" (the id holds
 * the title), "6.2–6.4 基础配置模板 – 测试方法"; the id alone when the table does not know it. */
export function refLabel(ref: Pick<TutorialRef, 'section' | 'heading'>): string {
  return ref.heading && !ref.section.includes(ref.heading) ? `${ref.section} ${ref.heading}` : ref.section;
}

/** Finds the heading for a section reference such as "6.2", "5.4.1" or "实验二 HAProxy 配置文件示例". */
export function findSection(markdown: string, section: string): Heading | undefined {
  const hs = headingsOf(markdown);
  const byId = sectionsOf(markdown).find((s) => s.id === section.trim());
  if (byId) return hs.find((h) => h.line === byId.line);
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
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

/**
 * The pointer for a section: its title from the repository's table, and, when the teacher's copy of the
 * tutorial is given, that file and the line of the (first) section's heading in it.
 */
export function tutorialRef(section: string, tutorialFile?: string): TutorialRef {
  const titles = sectionTable();
  const ids = sectionIds(section);
  const ref: TutorialRef = ids.every((id) => titles.has(id)) ? { section, heading: ids.map((id) => titles.get(id)!).join(' – ') } : { section };
  if (!tutorialFile || !existsSync(tutorialFile)) return ref;
  const h = findSection(readFileSync(tutorialFile, 'utf8'), sectionIds(section)[0]!);
  return h ? { ...ref, file: tutorialFile, line: h.line } : { ...ref, file: tutorialFile };
}

/** How to show the tutorial's path: relative to where the student stands when that is short. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel.split(path.sep).filter((p) => p === '..').length <= 2 ? rel : file;
}
