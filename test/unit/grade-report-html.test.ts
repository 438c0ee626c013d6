// report.html as text: escaped everywhere, self-contained, one row and one <details> per student.
// (test/unit/grade-report-browser.test.ts renders it in a real browser.)
import { describe, it, expect } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { buildGradebook } from '../../src/grade/gradebook.js';
import { escapeHtml, renderReportHtml } from '../../src/grade/report-html.js';
import { GradeRecord } from '../../src/grade/results.js';
import { record } from '../fixtures/grade/records.js';

const exp2 = loadLab('exp2');
const ids = exp2.def.checks.map((c) => c.id);
const now = new Date('2026-03-01T10:00:00.000Z');
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_MESSAGE = '</td></table><script>window.__xss=2</script><a href="javascript:alert(1)">x</a>';
const XSS_PROBLEM = { file: '"><svg onload=alert(3)>.cfg', line: 1, message: "' onmouseover='alert(4)", hint: '<style>*{display:none}</style>' };

const g = (lang: 'en' | 'zh' = 'en') =>
  buildGradebook(
    [
      GradeRecord.parse(record(exp2, { name: 'alice', pass: ids })),
      GradeRecord.parse(record(exp2, { name: XSS_NAME, pass: ids.slice(0, 2), message: XSS_MESSAGE, hint: XSS_MESSAGE })),
      GradeRecord.parse(record(exp2, { name: 'mallory', problems: [XSS_PROBLEM] })),
    ],
    exp2,
    lang,
    now,
  );

describe('report.html', () => {
  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps student-controlled text inert: no element or attribute comes from a name, message, hint or problem', () => {
    const html = renderReportHtml(g());
    // Every tag and attribute in the page is one the template writes; escaped text cannot add any.
    const tags = [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)];
    const TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'h1', 'h2', 'p', 'dl', 'div', 'dt', 'dd', 'section', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'a', 'details', 'summary', 'strong', 'ul', 'li', 'footer']);
    const ATTRS = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'href', 'title', 'style', 'role', 'aria-label']);
    for (const [, tag, attrs] of tags) {
      expect(TAGS.has(tag!.toLowerCase()), tag).toBe(true);
      for (const [, attr] of attrs!.matchAll(/([^\s=]+)="[^"]*"/g)) expect(ATTRS.has(attr!), `${tag} ${attr}`).toBe(true);
      // Nothing outside quoted attribute values: no bare attribute smuggled in.
      expect(attrs!.replace(/([^\s=]+)="[^"]*"/g, '').trim(), tag).toBe('');
    }
    expect(html).not.toMatch(/<script|<img|<svg|javascript:alert\(1\)">/i);
    expect(html).toContain(escapeHtml(XSS_NAME));
    expect(html).toContain(escapeHtml(XSS_MESSAGE));
    expect(html).toContain(escapeHtml(`"><svg onload=alert(3)>.cfg:1: ' onmouseover='alert(4)`));
    // The only <style> is ours, in <head>.
    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it('is self-contained: a CSP that forbids every fetch and script, no URL but in-page anchors', () => {
    const html = renderReportHtml(g());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`);
    const refs = [...html.matchAll(/\b(?:src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
    expect(refs.every((r) => /^#s-\d+$/.test(r!))).toBe(true);
    expect(html).not.toMatch(/https?:\/\/(?!evil)|@import|url\(/i);
  });

  it('has one class-table row and one <details> per student, and a pass-rate bar per check', () => {
    const html = renderReportHtml(g());
    const classBody = html.split('<table class="class">')[1]!.split('</table>')[0]!.split('<tbody>')[1]!;
    expect(classBody.match(/<tr>/g)).toHaveLength(3);
    expect(html.match(/<details id="s-\d+">/g)).toHaveLength(3);
    const rates = html.split('<table class="rates">')[1]!.split('</table>')[0]!;
    expect(rates.match(/<tr>/g)).toHaveLength(ids.length);
    expect(rates).toContain('<span style="width:66.7%"></span>');
  });

  it('speaks the requested language, with lab.yaml\'s titles', () => {
    const zh = renderReportHtml(g('zh'));
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain(`<title>${escapeHtml(exp2.def.title.zh)} — 班级成绩报告</title>`);
    expect(zh).toContain(escapeHtml(exp2.def.checks[0]!.title.zh));
    const en = renderReportHtml(g('en'));
    expect(en).toContain(`<title>${escapeHtml(exp2.def.title.en)} — Class report</title>`);
  });
});
