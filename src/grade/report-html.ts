// report.html: the class at a glance, as one self-contained page a teacher can open from disk, mail
// or put on a course site. No scripts, fonts, images or styles from anywhere (the Content Security
// Policy forbids them, so even a mistake here could not load or run anything): inline CSS, CSS bars.
// Student-controlled text (names, and messages that quote submissions) is escaped everywhere it goes,
// and element ids are generated, never taken from names.
import type { Lang, Status } from '../checks/types.js';
import type { Gradebook, GradebookStudent } from './gradebook.js';

const WORDS = {
  en: {
    report: 'Class report',
    generated: 'Generated',
    students: 'Students',
    passedAll: 'Passed',
    notGraded: 'Not graded',
    mean: 'Mean score',
    median: 'Median score',
    rates: 'Pass rate per check',
    rateOf: (p: number, n: number) => `${p} of ${n}`,
    classTable: 'Class',
    name: 'Student',
    score: 'Score',
    passed: 'Passed',
    yes: 'yes',
    no: 'no',
    details: 'Messages and hints',
    problems: 'Problems with the submission',
    notes: 'Configs that were not loaded',
    check: 'Check',
    status: 'Status',
    points: 'Points',
    message: 'Message',
    hint: 'Hint',
    optional: 'optional',
    pass: 'pass',
    fail: 'fail',
    skip: 'skip',
    missing: 'not in this result',
    gradedBy: (w: string, at: string) => `graded by ${w} at ${at}`,
    footer: 'Made by lab from the stored results; regenerate with lab grade report.',
  },
  zh: {
    report: '班级成绩报告',
    generated: '生成时间',
    students: '学生人数',
    passedAll: '通过',
    notGraded: '未评分',
    mean: '平均分',
    median: '中位数',
    rates: '各检查项通过率',
    rateOf: (p: number, n: number) => `${p} / ${n}`,
    classTable: '全班成绩',
    name: '学生',
    score: '得分',
    passed: '通过',
    yes: '是',
    no: '否',
    details: '评分信息与提示',
    problems: '提交的文件有问题',
    notes: '未能加载的配置',
    check: '检查项',
    status: '结果',
    points: '分数',
    message: '说明',
    hint: '提示',
    optional: '选做',
    pass: '通过',
    fail: '失败',
    skip: '跳过',
    missing: '该结果中没有此项',
    gradedBy: (w: string, at: string) => `由 ${w} 于 ${at} 评分`,
    footer: '由 lab 根据保存的评分结果生成；可用 lab grade report 重新生成。',
  },
} as const;

/** Text and attribute values: the five characters HTML gives meaning to. */
export function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const MARK: Record<Status, string> = { pass: '✔', fail: '✘', skip: '–' };

const CSS = `
:root{--fg:#1d2430;--muted:#5d6776;--line:#d9dee6;--bg:#fff;--alt:#f5f7fa;--pass:#1a7f37;--fail:#c62828;--skip:#8a6d00;--bar:#2f6fdf;--barbg:#e6ebf3}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ee;--muted:#9aa4b2;--line:#38404c;--bg:#161a20;--alt:#1e232b;--pass:#4cc26a;--fail:#ff6b6b;--skip:#e0b84a;--bar:#6b9cff;--barbg:#2a313c}}
*{box-sizing:border-box}
body{margin:0;padding:24px;font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.2em;margin:32px 0 12px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 16px}
.summary{display:flex;flex-wrap:wrap;gap:12px;margin:0;padding:0}
.summary div{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.summary dt{color:var(--muted);font-size:.85em}
.summary dd{margin:0;font-size:1.4em;font-weight:600}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
thead th{font-size:.85em;color:var(--muted);font-weight:600}
tbody tr:nth-child(even){background:var(--alt)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.c{text-align:center}
.rates td.label{width:40%}
.rates .id,.muted{color:var(--muted);font-size:.85em}
.bar{background:var(--barbg);border-radius:4px;height:14px;min-width:120px;overflow:hidden}
.bar span{display:block;height:100%;background:var(--bar)}
.bar.score span{background:var(--pass)}
.pass{color:var(--pass)}.fail{color:var(--fail)}.skip{color:var(--skip)}
.name{font-weight:600;word-break:break-word}
.class th.ck{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;text-align:left;max-height:12em}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 12px}
details[open]{padding-bottom:12px}
summary{cursor:pointer;padding:10px 0;font-weight:600}
summary .muted{font-weight:400}
.problems{border-left:4px solid var(--fail);padding:4px 12px;margin:8px 0;background:var(--alt)}
.problems ul{margin:4px 0;padding-left:20px}
.msg,.hint{white-space:pre-wrap;word-break:break-word}
.hint{color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:.85em}
@media print{details{break-inside:avoid}}
`;

const pct = (x: number) => `${Math.round(x * 100)}%`;

function statusCell(st: Status | null, w: (typeof WORDS)[Lang]): string {
  if (!st) return `<td class="c muted" title="${escapeHtml(w.missing)}">·</td>`;
  return `<td class="c ${st}" title="${escapeHtml(w[st])}"><span aria-label="${escapeHtml(w[st])}">${MARK[st]}</span></td>`;
}

function studentDetails(s: GradebookStudent, i: number, g: Gradebook, w: (typeof WORDS)[Lang]): string {
  const required = new Map(g.checks.map((c) => [c.id, c.required]));
  const problems = s.problems.length
    ? `<div class="problems"><strong>${escapeHtml(w.problems)}</strong><ul>${s.problems.map((p) => `<li class="msg">${escapeHtml(p)}</li>`).join('')}</ul></div>`
    : '';
  const notes = s.notes.length
    ? `<div class="problems notes"><strong>${escapeHtml(w.notes)}</strong><ul>${s.notes.map((p) => `<li class="msg">${escapeHtml(p)}</li>`).join('')}</ul></div>`
    : '';
  const rows = s.checks
    .map((c) => {
      const opt = required.get(c.id) === false ? ` <span class="muted">(${escapeHtml(w.optional)})</span>` : '';
      return (
        `<tr><td>${escapeHtml(c.title)}${opt}<div class="muted">${escapeHtml(c.id)}</div></td>` +
        `<td class="${c.status}">${MARK[c.status]} ${escapeHtml(w[c.status])}</td>` +
        `<td class="num">${escapeHtml(c.points)}/${escapeHtml(c.maxPoints)}</td>` +
        `<td><div class="msg">${escapeHtml(c.message)}</div>${c.status === 'pass' ? '' : `<div class="hint">${escapeHtml(w.hint)}: ${escapeHtml(c.hint)}</div>`}</td></tr>`
      );
    })
    .join('\n');
  return `<details id="s-${i + 1}">
<summary><span class="name">${escapeHtml(s.name)}</span> — ${escapeHtml(s.score)}/${escapeHtml(s.maxScore)} <span class="${s.passed ? 'pass' : 'fail'}">${escapeHtml(s.passed ? w.yes : s.notGraded ? w.notGraded : w.no)}</span> <span class="muted">${escapeHtml(w.gradedBy(s.grader.worker, s.gradedAt))}</span></summary>
${problems}${notes}<table><thead><tr><th>${escapeHtml(w.check)}</th><th>${escapeHtml(w.status)}</th><th class="num">${escapeHtml(w.points)}</th><th>${escapeHtml(w.message)} / ${escapeHtml(w.hint)}</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</details>`;
}

export function renderReportHtml(g: Gradebook): string {
  const w = WORDS[g.lang];
  const title = `${g.title} — ${w.report}`;
  const summary = [
    [w.students, g.summary.students],
    [w.passedAll, g.summary.passed],
    [w.notGraded, g.summary.notGraded],
    [w.mean, `${g.summary.meanScore}/${g.maxScore}`],
    [w.median, `${g.summary.medianScore}/${g.maxScore}`],
  ]
    .map(([k, v]) => `<div><dt>${escapeHtml(k!)}</dt><dd>${escapeHtml(v!)}</dd></div>`)
    .join('');
  const rates = g.checks
    .map(
      (c) =>
        `<tr><td class="label">${escapeHtml(c.title)}${c.required ? '' : ` <span class="muted">(${escapeHtml(w.optional)})</span>`}<div class="id">${escapeHtml(c.id)} · ${escapeHtml(c.points)}</div></td>` +
        `<td><div class="bar" role="img" aria-label="${escapeHtml(pct(c.passRate))}"><span style="width:${(c.passRate * 100).toFixed(1)}%"></span></div></td>` +
        `<td class="num">${escapeHtml(w.rateOf(c.passed, c.students))}</td><td class="num">${escapeHtml(pct(c.passRate))}</td></tr>`,
    )
    .join('\n');
  const head = g.checks.map((c) => `<th class="ck c" title="${escapeHtml(c.title)}">${escapeHtml(c.id)}</th>`).join('');
  const rows = g.students
    .map((s, i) => {
      const frac = s.maxScore ? s.score / s.maxScore : 0;
      return (
        `<tr><td class="num">${i + 1}</td><td class="name"><a href="#s-${i + 1}">${escapeHtml(s.name)}</a></td>` +
        `<td class="num">${escapeHtml(s.score)}/${escapeHtml(s.maxScore)}</td>` +
        `<td><div class="bar score" role="img" aria-label="${escapeHtml(pct(frac))}"><span style="width:${(frac * 100).toFixed(1)}%"></span></div></td>` +
        `<td class="c ${s.passed ? 'pass' : 'fail'}">${escapeHtml(s.passed ? w.yes : s.notGraded ? w.notGraded : w.no)}</td>` +
        g.checks.map((c) => statusCell(s.status[c.id] ?? null, w)).join('') +
        '</tr>'
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="${g.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(g.experiment)}${g.tutorial ? ` · ${escapeHtml(g.tutorial)}` : ''} · ${escapeHtml(w.generated)} ${escapeHtml(g.generatedAt)}</p>
<dl class="summary">${summary}</dl>
</header>
<section id="checks">
<h2>${escapeHtml(w.rates)}</h2>
<table class="rates"><tbody>
${rates}
</tbody></table>
</section>
<section id="class">
<h2>${escapeHtml(w.classTable)}</h2>
<table class="class"><thead><tr><th class="num">#</th><th>${escapeHtml(w.name)}</th><th class="num">${escapeHtml(w.score)}</th><th></th><th class="c">${escapeHtml(w.passed)}</th>${head}</tr></thead>
<tbody>
${rows}
</tbody></table>
</section>
<section id="students">
<h2>${escapeHtml(w.details)}</h2>
${g.students.map((s, i) => studentDetails(s, i, g, w)).join('\n')}
</section>
<footer>${escapeHtml(w.footer)}</footer>
</main>
</body>
</html>
`;
}
