// The end of the run: every step as passed, skipped or not done (and whether hints were needed), plus
// the `lab check` score of the whole experiment.
import type { Step } from '../labs/steps-schema.js';
import { pick, type Lang } from '../util/lang.js';
import { messages } from './messages.js';
import type { Progress } from './progress.js';
import type { Score } from './verify.js';

export function renderSummary(steps: Step[], progress: Progress, score: Score | { error: string } | undefined, lang: Lang): string[] {
  const m = messages(lang);
  const out = [m.summary];
  steps.forEach((s, i) => {
    const r = progress.steps[s.id] ?? { status: 'pending', hints: 0 };
    const mark = r.status === 'passed' ? '✔' : r.status === 'skipped' ? '↷' : '·';
    const status = r.status === 'passed' ? m.statusPassed : r.status === 'skipped' ? m.statusSkipped : m.statusPending;
    const hinted = r.hints > 0 ? ` · ${m.hinted(r.hints)}` : '';
    out.push(`  ${mark} ${i + 1}. ${pick(s.title, lang)} [${s.id}]: ${status}${hinted}`);
  });
  if (score && 'error' in score) out.push('', m.scoreFailed(score.error));
  else if (score) {
    out.push('');
    for (const c of score.results) out.push(`  ${c.status === 'pass' ? '✔' : c.status === 'skip' ? '–' : '✘'} ${c.title} [${c.id}] ${c.points}/${c.maxPoints}`);
    out.push(m.score(score.score, score.maxScore));
  }
  return out;
}
