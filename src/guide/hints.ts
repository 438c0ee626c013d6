// The hint ladder of a step, from a gentle nudge to nearly the answer (after Killercoda and Instruqt):
//   1. the step's nudges (hints[0], hints[1], …, from lab.yaml);
//   2. a pointer to the course tutorial's section the step follows (number and title; file:line too
//      where the teacher's copy of the tutorial is configured);
//   3. the reference answer: what it does (solve), and an offer to show the diff of the student's files.
import type { Step } from '../labs/steps-schema.js';
import { stepFiles } from './actions.js';
import { pick, type Lang } from '../util/lang.js';
import { messages } from './messages.js';
import { displayPath, refLabel, tutorialRef, type TutorialRef } from './tutorial-ref.js';

export type Hint =
  | { kind: 'nudge'; text: string }
  | { kind: 'tutorial'; ref: TutorialRef }
  | { kind: 'solution'; solve?: string; files: string[] };

export function hintLadder(step: Step, lang: Lang, findRef: (section: string) => TutorialRef = tutorialRef): Hint[] {
  const ladder: Hint[] = step.hints.map((h) => ({ kind: 'nudge', text: pick(h, lang) }));
  if (step.tutorial) ladder.push({ kind: 'tutorial', ref: findRef(step.tutorial) });
  const files = stepFiles(step);
  if (step.solve || files.length) ladder.push({ kind: 'solution', solve: step.solve ? pick(step.solve, lang) : undefined, files });
  return ladder;
}

/** The menu label for the next hint. */
export function hintMenuLabel(h: Hint, index: number, ladder: Hint[], lang: Lang): string {
  const m = messages(lang);
  const nudges = ladder.filter((x) => x.kind === 'nudge').length;
  const what = h.kind === 'nudge' ? m.hintNudge(index + 1, nudges) : h.kind === 'tutorial' ? m.hintTutorial : m.hintSolution;
  return m.nextHint(what);
}

/** What a hint says, without its "Hint i/n:" label. */
export function hintBody(h: Hint, lang: Lang, cwd = process.cwd()): string {
  const m = messages(lang);
  if (h.kind === 'nudge') return h.text;
  if (h.kind === 'tutorial') {
    const where = h.ref.file ? `${displayPath(h.ref.file, cwd)}${h.ref.line ? `:${h.ref.line}` : ''}` : undefined;
    return m.tutorialPointer(refLabel(h.ref), where);
  }
  return h.solve ? m.solveText(h.solve) : m.hintSolution;
}

/** "Hint i/n: …" (the diff itself is offered separately, see session). */
export function hintText(h: Hint, index: number, ladder: Hint[], lang: Lang, cwd = process.cwd()): string {
  return `${messages(lang).hintLabel(index + 1, ladder.length)}${lang === 'zh' ? '' : ' '}${hintBody(h, lang, cwd)}`;
}
