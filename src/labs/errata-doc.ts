// docs/errata.md, written from the catalogue in pitfalls.ts (ERRATA) by `npm run docs`. Where lab looks
// for each pitfall, and how loudly it says so, comes from running findPitfalls() on the entry's examples,
// so the document cannot promise a check that the code does not make.
import { refLabel, tutorialRef } from '../guide/tutorial-ref.js';
import { configKindOf, ERRATA, ERRATA_DOC, findPitfalls, type Bilingual, type ConfigKind, type Erratum, type PitfallSeverity } from './pitfalls.js';

type Lang = keyof Bilingual;

const FILES: Record<ConfigKind, string> = { haproxy: '`haproxy.cfg`', nginx: 'nginx `conf.d/*.conf`', keepalived: '`keepalived.conf`' };

const WORDS = {
  en: {
    tutorial: 'Tutorial',
    pitfall: 'Pitfall',
    happens: 'What happens',
    fix: 'Fix',
    lab: 'lab',
    verified: 'reproduced',
    byReading: 'found by reading',
    looksIn: 'looks for it in',
    notInFiles: 'not looked for in files',
    severity: {
      error: 'error: the tool rejects the file; `lab apply` loads nothing and shows this fix, `lab guide` warns before you apply',
      warning: 'warning: it loads, but the lab misbehaves; `lab apply` and `lab guide` warn',
      info: 'note: it works here; lab knows it but does not warn',
    } satisfies Record<PitfallSeverity, string>,
    short: { error: 'error', warning: 'warning', info: 'note' } satisfies Record<PitfallSeverity, string>,
  },
  zh: {
    tutorial: '教程',
    pitfall: '问题',
    happens: '实际情况',
    fix: '修正',
    lab: 'lab',
    verified: '已复现',
    byReading: '阅读发现',
    looksIn: '检查的文件',
    notInFiles: '不检查文件',
    severity: {
      error: '错误：工具拒绝该文件；`lab apply` 不加载并给出这个修正，`lab guide` 在应用前提醒',
      warning: '警告：能加载，但实验会出问题；`lab apply` 和 `lab guide` 会提醒',
      info: '提示：在这里能用；lab 知道但不提醒',
    } satisfies Record<PitfallSeverity, string>,
    short: { error: '错误', warning: '警告', info: '提示' } satisfies Record<PitfallSeverity, string>,
  },
} as const;

const RANK: Record<PitfallSeverity, number> = { info: 0, warning: 1, error: 2 };

/** Where lab finds an erratum, by file kind, with the severity findPitfalls() gives it there. */
export function detection(e: Erratum): { kind: ConfigKind; severity: PitfallSeverity }[] {
  return (e.examples ?? []).map((ex) => {
    const kind = configKindOf(ex.file, ex.text);
    const found = findPitfalls(ex.file, ex.text).filter((p) => p.errata === e.errata);
    if (!kind || !found.length) throw new Error(`errata ${e.errata}: findPitfalls does not report it in its example ${ex.file}`);
    return { kind, severity: found.map((p) => p.severity).reduce((a, b) => (RANK[b] > RANK[a] ? b : a)) };
  });
}

const sections = (e: Erratum) => e.sections.map((s) => `§${refLabel(tutorialRef(s))}`).join(', ');

function entry(e: Erratum): string[] {
  const found = detection(e);
  const out = [`<a id="${e.errata}"></a>`, '', `## ${e.errata} · ${e.title.en} · ${e.title.zh}`, ''];
  out.push(`${WORDS.en.tutorial} · ${WORDS.zh.tutorial}: ${sections(e)} · ${e.verified ? `${WORDS.en.verified} · ${WORDS.zh.verified}` : `${WORDS.en.byReading} · ${WORDS.zh.byReading}`}`, '');
  for (const lang of ['en', 'zh'] as Lang[]) {
    const w = WORDS[lang];
    const colon = lang === 'zh' ? '：' : ':';
    const labText = [
      ...found.map((f) => (lang === 'zh' ? `检查 ${FILES[f.kind]}（${w.severity[f.severity]}）` : `looks in ${FILES[f.kind]} (${w.severity[f.severity]})`)),
      ...(e.lab ? [e.lab[lang]] : []),
    ];
    out.push(`- **${w.tutorial}${colon}** ${e.snippet[lang]}`);
    out.push(`- **${w.happens}${colon}** ${e.happens[lang]}`);
    out.push(`- **${w.fix}${colon}** ${e.fix[lang]}`);
    if (labText.length) out.push(`- **${w.lab}${colon}** ${labText.map((t) => t.replace(/[.。]$/, '')).join(lang === 'zh' ? '；' : '; ')}${lang === 'zh' ? '。' : '.'}`);
    out.push('');
  }
  return out;
}

/** The whole of docs/errata.md. */
export function renderErrataDoc(errata: Erratum[] = ERRATA): string {
  const en = WORDS.en;
  const zh = WORDS.zh;
  const out = [
    '<!-- Written by `npm run docs` from the catalogue in src/labs/pitfalls.ts (ERRATA): change it there. A unit test fails while this file differs. -->',
    '',
    '# Where the course tutorial goes wrong on today\'s software · 教程在今天的软件上出错的地方',
    '',
    "Students copy the tutorial's snippets literally. These are the pitfalls lab knows: `lab apply` explains a rejected config with them, " +
      '`lab guide` warns about them before you apply, `lab validate` keeps them out of the reference solutions, and the checks\' hints name them. ' +
      '"Reproduced" means the behaviour was seen with the Debian bookworm packages the lab runs (HAProxy 2.6.12, nginx 1.22.1, keepalived 2.2.7); ' +
      `the others were found by reading the tutorial. Messages point here as \`${ERRATA_DOC}#<n>\`.`,
    '',
    '学生会照抄教程里的配置片段。下面是 lab 知道的问题：`lab apply` 用它们解释被拒绝的配置，`lab guide` 在你应用之前提醒，' +
      '`lab validate` 确保参考答案里没有它们，检查的提示也会提到它们。"已复现"表示在实验所用的 Debian bookworm 软件包' +
      '（HAProxy 2.6.12、nginx 1.22.1、keepalived 2.2.7）上实际观察到了该行为；其余是阅读教程时发现的。' +
      `消息里以 \`${ERRATA_DOC}#<编号>\` 指向这里。`,
    '',
    `| # | ${en.tutorial} · ${zh.tutorial} | ${en.pitfall} · ${zh.pitfall} | ${en.lab} ${en.looksIn} · ${zh.looksIn} |`,
    '|---|---|---|---|',
    ...errata.map((e) => {
      const found = detection(e);
      const where = found.length ? found.map((f) => `${FILES[f.kind]} (${en.short[f.severity]} · ${zh.short[f.severity]})`).join(', ') : `${en.notInFiles} · ${zh.notInFiles}`;
      return `| [${e.errata}](#${e.errata}) | ${sections(e)} | ${e.title.en} · ${e.title.zh} | ${where} |`;
    }),
    '',
    ...errata.flatMap(entry),
  ];
  return `${out.join('\n').trimEnd()}\n`;
}
