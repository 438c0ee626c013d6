// The report of a submission that was not graded (intake problems: refused archive, missing file,
// code-running config…). It has the same shape as a graded one, so the gradebook, JUnit files and
// report.html need no special case: every check fails with 0 points and says why, in the lab's
// language, and the submission's problems follow in the record.
import type { Lab } from '../labs/load.js';
import type { Lang, Report, ReportMeta } from '../checks/types.js';
import { formatProblem, type SubmissionProblem } from './types.js';

export function problemReport(lab: Pick<Lab, 'id'> & { def: Pick<Lab['def'], 'checks'> }, problems: SubmissionProblem[], lang: Lang): { report: Report; meta: ReportMeta } {
  const list = problems.map(formatProblem).join('; ');
  const message = lang === 'zh' ? `未评分：提交的文件有问题：${list}` : `Not graded: the submission has problems: ${list}`;
  const hint = problems.find((p) => p.hint)?.hint ?? (lang === 'zh' ? '按提示修正后重新提交。' : 'Fix the problems and hand it in again.');
  const checks = lab.def.checks.map((c) => ({ id: c.id, title: c.title[lang], status: 'fail' as const, points: 0, maxPoints: c.points, message, hint }));
  return {
    report: { experiment: lab.id, score: 0, maxScore: checks.reduce((s, c) => s + c.maxPoints, 0), passed: false, checks },
    meta: {
      required: Object.fromEntries(lab.def.checks.map((c) => [c.id, c.required])),
      durationMs: Object.fromEntries(lab.def.checks.map((c) => [c.id, 0])),
      attempts: Object.fromEntries(lab.def.checks.map((c) => [c.id, 0])),
      totalMs: 0,
      lang,
    },
  };
}
