// `lab guide <exp> --print` (and any run without a terminal): the whole exercise as one Markdown
// document, never waiting on a prompt. The commands come from instructions(), i.e. from the same
// actions "run it for me" performs.
import { withStatsPassword } from '../state/secrets.js';
import type { Lab } from '../labs/load.js';
import type { Step } from '../labs/steps-schema.js';
import { labCmd } from './actions.js';
import { hintBody, hintLadder } from './hints.js';
import { instructions, type Where } from './instructions.js';
import { pick, type Lang } from '../util/lang.js';
import { refLabel, tutorialRef, type TutorialRef } from './tutorial-ref.js';

const WORDS = {
  zh: {
    step: (i: number) => `第 ${i} 步`,
    intro: '实验介绍',
    objectives: '目标',
    tutorial: '教程章节',
    doIt: '怎么做',
    runForMe: (cmd: string) => `\`${cmd}\` 的"帮我运行"会执行同样的操作：从参考答案复制文件、lab apply、在容器里运行命令。`,
    edit: (p: string) => `编辑 \`${p}\``,
    apply: '然后应用（先校验，再平滑重载）：',
    shell: (s: string) => `在 \`${s}\` 中运行：`,
    noCommands: '这一步没有要运行的命令。',
    expect: '预期结果',
    expectChecks: (n: number) => `这一步通过以下检查${n ? `（最多重试 ${n} 次）` : ''}：`,
    expectNone: '这一步没有自动检查：看到上面命令的输出即完成。',
    hints: '提示',
    answer: '参考答案',
    finish: '完成',
    score: (cmd: string) => `评分：\`${cmd}\``,
    guide: (cmd: string) => `交互式引导：\`${cmd}\``,
  },
  en: {
    step: (i: number) => `Step ${i}`,
    intro: 'Introduction',
    objectives: 'Objectives',
    tutorial: 'Tutorial',
    doIt: 'What to do',
    runForMe: (cmd: string) => `"Run it for me" in \`${cmd}\` does the same: copies the files from the reference answer, runs lab apply and the commands in the containers.`,
    edit: (p: string) => `Edit \`${p}\``,
    apply: 'Then apply it (validated first, then a graceful reload):',
    shell: (s: string) => `In \`${s}\`, run:`,
    noCommands: 'Nothing to run for this step.',
    expect: 'What to expect',
    expectChecks: (n: number) => `The step passes these checks${n ? ` (up to ${n} retries)` : ''}:`,
    expectNone: 'No automatic check: the step is done once you have seen the output above.',
    hints: 'Hints',
    answer: 'Reference answer',
    finish: 'Finish',
    score: (cmd: string) => `Score: \`${cmd}\``,
    guide: (cmd: string) => `Interactive guide: \`${cmd}\``,
  },
} as const;

function stepMarkdown(lab: Lab, step: Step, index: number, where: Where, lang: Lang, findRef?: (s: string) => TutorialRef): string[] {
  const w = WORDS[lang];
  const out = [`## ${w.step(index + 1)}: ${pick(step.title, lang)}`, '', `<!-- step: ${step.id} -->`, '', pick(step.text, lang).trimEnd(), ''];
  if (step.tutorial) out.push(`*${w.tutorial}: ${refLabel((findRef ?? tutorialRef)(step.tutorial))}*`, '');
  out.push(`### ${w.doIt}`, '');
  const list = instructions(step, where);
  if (!list.length) out.push(w.noCommands, '');
  for (const ins of list) {
    if (ins.kind === 'edit') out.push(`- ${w.edit(ins.path)}`);
    else {
      if (out[out.length - 1] !== '') out.push('');
      if (ins.kind === 'apply') out.push(w.apply, '', '```sh', ins.command, '```', '');
      else out.push(w.shell(ins.shell), '', '```sh', ins.cmd, '```', '');
    }
  }
  if (out[out.length - 1] !== '') out.push('');
  if (list.length) out.push(w.runForMe(labCmd(where.labName, `guide ${lab.id}`)), '');
  out.push(`### ${w.expect}`, '');
  if (step.verify) {
    out.push(w.expectChecks(step.verify.retries), '');
    for (const id of step.verify.checks) {
      const c = lab.def.checks.find((x) => x.id === id);
      out.push(`- ${c ? pick(c.title, lang) : id} (\`${id}\`)`);
    }
    out.push('');
  } else out.push(w.expectNone, '');
  const ladder = hintLadder(step, lang, findRef).filter((h) => h.kind !== 'solution');
  if (ladder.length) {
    out.push(`### ${w.hints}`, '');
    ladder.forEach((h, i) => out.push(`${i + 1}. ${hintBody(h, lang)}`));
    out.push('');
  }
  if (step.solve) out.push('<details>', `<summary>${w.answer}</summary>`, '', pick(step.solve, lang), '', '</details>', '');
  return out;
}

export function renderMarkdown(lab: Lab, where: Where, lang: Lang, findRef?: (s: string) => TutorialRef): string {
  const w = WORDS[lang];
  const d = lab.def;
  const out = [`# ${pick(d.title, lang)}`, ''];
  if (d.tutorial) out.push(`*${w.tutorial}: ${refLabel((findRef ?? tutorialRef)(d.tutorial))}*`, '');
  out.push(`> ${w.guide(labCmd(where.labName, `guide ${lab.id}${lang === 'en' ? ' --lang en' : ''}`))}`, '');
  if (d.intro) out.push(`## ${w.intro}`, '', pick(d.intro, lang).trimEnd(), '');
  if (d.objectives.length) out.push(`### ${w.objectives}`, '', ...d.objectives.map((o) => `- ${pick(o, lang)}`), '');
  d.steps.forEach((s, i) => out.push(...stepMarkdown(lab, s, i, where, lang, findRef)));
  out.push(`## ${w.finish}`, '');
  if (d.finish) out.push(pick(d.finish, lang).trimEnd(), '');
  out.push(w.score(labCmd(where.labName, `check ${lab.id}`)), '');
  // The whole document with the lab's own stats password where the course says admin:123456 (texts,
  // hints, the reference answer), as the commands already have it; the terminal shows it masked.
  return withStatsPassword(out.join('\n'), where.statsPassword);
}
