// Errata pitfalls in the student's files, said before `lab apply` meets them: the step's own files in
// full, and anywhere else in the workspace only what would make a validator reject the config.
import { errataLink, findWorkspacePitfalls, type Pitfall } from '../labs/pitfalls.js';
import type { Step } from '../labs/steps-schema.js';
import { stepFiles } from './actions.js';
import type { Lang } from '../util/lang.js';
import { messages } from './messages.js';

export type FilePitfall = Pitfall & { file: string };

export function stepPitfalls(workspaceDir: string, step: Step): FilePitfall[] {
  const own = new Set(stepFiles(step));
  return findWorkspacePitfalls(workspaceDir).filter((p) => (own.has(p.file) ? p.severity !== 'info' : p.severity === 'error'));
}

/** One block per pitfall: where, what happens, and the fix with its entry in docs/errata.md. */
export function formatPitfalls(pitfalls: FilePitfall[], workspaceRoot: string, lang: Lang): string[] {
  const m = messages(lang);
  const sep = lang === 'zh' ? '' : ' ';
  const colon = lang === 'zh' ? '：' : ': ';
  return pitfalls.map((p) => `⚠ ${m.pitfall(p.errata)}${colon}${workspaceRoot}/${p.file}:${p.line}: ${p.message}\n  ${m.pitfallFix}${sep}${p.fix} (${errataLink(p.errata)})`);
}
