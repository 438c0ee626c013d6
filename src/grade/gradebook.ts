// The class's grades, rebuilt from the stored results alone (results.ts), so `lab grade report
// grades/<exp>` regenerates everything without regrading anyone:
//   gradebook.csv   one row per student: each check's points (columns in lab.yaml's order), total,
//                   maxScore, passed, problems; RFC 4180, UTF-8 with a BOM so Excel shows 张三 right
//   gradebook.json  the same and more (statuses, messages, who graded it when)
//   junit/<name>.xml  each student's report through the reporter `lab check --junit` uses
//   report.html     one self-contained page for people (report-html.ts)
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { junit } from '../checks/report.js';
import type { CheckResult, Lang, Status } from '../checks/types.js';
import type { Lab } from '../labs/load.js';
import { LabError } from '../util/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { csvText, formatCsv } from './csv.js';
import { studentFileName } from './file-names.js';
import { renderReportHtml } from './report-html.js';
import { listFinished, resultsDir, type GradeRecord } from './results.js';
import { formatProblem } from './types.js';

/** The lab fields the gradebook reads. */
export type GradebookLab = Pick<Lab, 'id'> & { def: Pick<Lab['def'], 'title' | 'checks' | 'tutorial'> };

export interface GradebookCheck {
  id: string;
  title: string;
  points: number;
  required: boolean;
  /** Students who passed it, out of every student in the gradebook (not graded counts as not passed). */
  passed: number;
  students: number;
  passRate: number;
}

export interface GradebookStudent {
  name: string;
  score: number;
  maxScore: number;
  passed: boolean;
  /** Intake refused the submission: every check is 0 and `problems` says why. */
  notGraded: boolean;
  /** Points per check id (lab.yaml's checks); null when the stored report has no such check. */
  points: Record<string, number | null>;
  status: Record<string, Status | null>;
  /** The stored check results, in lab.yaml's order (then any the lab no longer has). */
  checks: CheckResult[];
  problems: string[];
  /** Graded, but a config was rejected (and that service graded on the start files), or a reload failed. */
  notes: string[];
  /** `file` of the JUnit report and result, without extension. */
  fileName: string;
  hash: string;
  source: GradeRecord['source'];
  grader: GradeRecord['grader'];
  gradedAt: string;
  /** Language the messages and hints were graded in. */
  lang: Lang;
}

export interface Gradebook {
  experiment: string;
  title: string;
  tutorial?: string;
  lang: Lang;
  generatedAt: string;
  maxScore: number;
  checks: GradebookCheck[];
  students: GradebookStudent[];
  summary: { students: number; passed: number; notGraded: number; meanScore: number; medianScore: number };
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The gradebook of `records` for `lab`, students in the language's alphabetical order (pinyin for zh). */
export function buildGradebook(records: GradeRecord[], lab: GradebookLab, lang: Lang, now = new Date()): Gradebook {
  const collator = new Intl.Collator(lang === 'zh' ? 'zh' : 'en', { numeric: true });
  const ids = lab.def.checks.map((c) => c.id);
  const students: GradebookStudent[] = [...records]
    .sort((a, b) => collator.compare(a.name, b.name) || (a.name < b.name ? -1 : 1))
    .map((r) => {
      const byId = new Map(r.report.checks.map((c) => [c.id, c]));
      const checks = [...ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])), ...r.report.checks.filter((c) => !ids.includes(c.id))];
      return {
        name: r.name,
        score: r.report.score,
        maxScore: r.report.maxScore,
        passed: r.report.passed,
        notGraded: r.problems.length > 0,
        points: Object.fromEntries(ids.map((id) => [id, byId.get(id)?.points ?? null])),
        status: Object.fromEntries(ids.map((id) => [id, byId.get(id)?.status ?? null])),
        checks,
        problems: r.problems.map(formatProblem),
        notes: applyNotes(r, lang),
        fileName: studentFileName(r.name),
        hash: r.hash,
        source: r.source,
        grader: r.grader,
        gradedAt: r.timings.finishedAt,
        lang: r.meta.lang,
      };
    });
  const n = students.length;
  const checks = lab.def.checks.map((c) => {
    const passed = students.filter((s) => s.status[c.id] === 'pass').length;
    return { id: c.id, title: c.title[lang], points: c.points, required: c.required, passed, students: n, passRate: n ? passed / n : 0 };
  });
  const scores = students.map((s) => s.score);
  return {
    experiment: lab.id,
    title: lab.def.title[lang],
    tutorial: lab.def.tutorial,
    lang,
    generatedAt: now.toISOString(),
    maxScore: lab.def.checks.reduce((s, c) => s + c.points, 0),
    checks,
    students,
    summary: {
      students: n,
      passed: students.filter((s) => s.passed).length,
      notGraded: students.filter((s) => s.notGraded).length,
      meanScore: n ? round1(scores.reduce((a, b) => a + b, 0) / n) : 0,
      medianScore: median(scores),
    },
  };
}

/** What the validators said about configs that were not loaded, one line each. */
export function applyNotes(r: Pick<GradeRecord, 'applied'>, lang: Lang): string[] {
  return r.applied
    .filter((a) => a.status === 'invalid' || a.status === 'reload-failed')
    .map((a) => {
      const where = a.file ? `${a.file}${a.line ? `:${a.line}` : ''}: ` : '';
      const msg = a.message ?? a.status;
      if (a.status === 'invalid') {
        return lang === 'zh' ? `${a.tool} 拒绝了配置：${where}${msg}（${a.role} 按起始文件评分）` : `${a.tool} rejected the config: ${where}${msg} (${a.role} was graded on the start files)`;
      }
      return lang === 'zh' ? `${a.role} 重载失败：${msg}` : `${a.role} failed to reload: ${msg}`;
    });
}

/** gradebook.csv: name, one column per check id (lab.yaml order), total, maxScore, passed, problems, notes. */
export function gradebookCsv(g: Gradebook): string {
  const ids = g.checks.map((c) => c.id);
  const rows: (string | number | boolean)[][] = [['name', ...ids, 'total', 'maxScore', 'passed', 'problems', 'notes']];
  for (const s of g.students) {
    rows.push([csvText(s.name), ...ids.map((id) => s.points[id] ?? ''), s.score, s.maxScore, s.passed, csvText(s.problems.join('; ')), csvText(s.notes.join('; '))]);
  }
  return `\ufeff${formatCsv(rows)}`;
}

export function gradebookJson(g: Gradebook): string {
  return `${JSON.stringify(g, null, 2)}\n`;
}

export interface WrittenGradebook {
  gradebook: Gradebook;
  files: string[];
  /** Result files that were skipped, and why. */
  skipped: { file: string; message: string }[];
}

/**
 * Writes gradebook.csv, gradebook.json, junit/<name>.xml and report.html into `dir` (grades/<exp>)
 * from the results stored there. Used after a class run and by `lab grade report`, which regrades
 * nobody. Results of another experiment are skipped and reported.
 */
export async function writeGradebook(dir: string, lab: GradebookLab, lang: Lang, opts: { now?: Date } = {}): Promise<WrittenGradebook> {
  const finished = await listFinished(dir);
  const skipped = [...finished.unreadable];
  const records: GradeRecord[] = [];
  for (const r of finished.records.values()) {
    if (r.experiment === lab.id) records.push(r);
    else skipped.push({ file: path.join(resultsDir(dir), `${studentFileName(r.name)}.json`), message: `graded for ${r.experiment}, not ${lab.id}` });
  }
  if (!records.length) {
    throw new LabError(`no results of ${lab.id} in ${resultsDir(dir)}${skipped.length ? ` (${skipped.length} unusable)` : ''}`, {
      hint: `Grade the class first (lab grade ${lab.id} <submissions…>), or pass the folder that run wrote to.`,
    });
  }
  const g = buildGradebook(records, lab, lang, opts.now);
  const files: string[] = [];
  const write = async (rel: string, text: string) => {
    const f = path.join(dir, rel);
    await writeFileAtomic(f, text);
    files.push(f);
  };
  await write('gradebook.csv', gradebookCsv(g));
  await write('gradebook.json', gradebookJson(g));
  const junitDir = path.join(dir, 'junit');
  const wanted = new Set<string>();
  for (const r of records) {
    const name = `${studentFileName(r.name)}.xml`;
    wanted.add(name);
    await write(path.join('junit', name), junit(r.report, r.meta));
  }
  // A student removed from the results must not linger in the CI view.
  for (const n of await fsp.readdir(junitDir)) if (n.endsWith('.xml') && !wanted.has(n)) await fsp.rm(path.join(junitDir, n));
  await write('report.html', renderReportHtml(g));
  return { gradebook: g, files, skipped };
}
