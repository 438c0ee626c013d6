// report.html in a real browser (Debian's chromium through playwright-core, which never downloads
// one): it renders, the class table has one row per student, hostile names stay text, nothing logs
// an error, and the page makes no request besides its own file.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { loadLab } from '../../src/labs/load.js';
import { writeGradebook } from '../../src/grade/gradebook.js';
import { writeResult } from '../../src/grade/results.js';
import { record } from '../fixtures/grade/records.js';

const CHROMIUM = '/usr/bin/chromium';
const exp2 = loadLab('exp2');
const ids = exp2.def.checks.map((c) => c.id);
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_MESSAGE = '</td></table><script>window.__xss=2</script><img src="http://127.0.0.1:9/x.png">';
const students = ['alice', 'bob', '张三', XSS_NAME, 'mallory'];

let tmp: string;
let context: BrowserContext;

beforeAll(async () => {
  // Fail loudly: a skipped browser test would pass without checking anything.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (this test must not pass without a browser)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-report-browser-'));
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function render(lang: 'en' | 'zh') {
  const dir = path.join(tmp, `grades-${lang}`, 'exp2');
  await writeResult(dir, record(exp2, { name: 'alice', pass: ids, lang }));
  await writeResult(dir, record(exp2, { name: 'bob', pass: ids.slice(0, 4), lang }));
  await writeResult(dir, record(exp2, { name: '张三', pass: ids.slice(0, 1), lang }));
  await writeResult(dir, record(exp2, { name: XSS_NAME, pass: [], message: XSS_MESSAGE, hint: XSS_MESSAGE, lang }));
  await writeResult(dir, record(exp2, { name: 'mallory', problems: [{ file: 'haproxy/haproxy.cfg', line: 3, message: `\`lua-load\`: ${XSS_MESSAGE}` }], lang }));
  await writeGradebook(dir, exp2, lang);
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const url = pathToFileURL(path.join(dir, 'report.html')).href;
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, requests, problems, dialogs };
}

describe('report.html in chromium', () => {
  it('renders the class: one row per student, bars drawn, names as text, no errors, no requests', async () => {
    const { page, url, requests, problems, dialogs } = await render('en');
    expect(await page.title()).toBe(`${exp2.def.title.en} — Class report`);
    await expect(page.locator('#class tbody tr').count()).resolves.toBe(students.length);
    await expect(page.locator('#students details').count()).resolves.toBe(students.length);
    await expect(page.locator('#checks tbody tr').count()).resolves.toBe(ids.length);

    // The hostile name is shown as typed, and made no element.
    const names = await page.locator('#class tbody td.name').allTextContents();
    expect([...names].sort()).toEqual([...students].sort());
    await expect(page.locator('img, script, svg, iframe').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    // Inline styles are allowed by the CSP: alice's score bar is drawn full width, the hostile one's empty.
    const widths = await page.locator('#class tbody tr .bar span').evaluateAll((els) => els.map((e) => (e as HTMLElement).getBoundingClientRect().width / (e.parentElement as HTMLElement).getBoundingClientRect().width));
    expect(Math.max(...widths)).toBeCloseTo(1, 2);
    expect(Math.min(...widths)).toBe(0);

    // Details are collapsed until opened; then the message is there, as text.
    const details = page.locator('#students details').filter({ hasText: 'mallory' });
    await expect(details.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(false);
    await details.locator('summary').click();
    await expect(details.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(true);
    await expect(details.locator('.problems li').textContent()).resolves.toContain('<script>window.__xss=2</script>');

    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('renders in Chinese with lab.yaml\'s Chinese titles', async () => {
    const { page, problems, requests, url } = await render('zh');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await expect(page.locator('h1').textContent()).resolves.toBe(`${exp2.def.title.zh} — 班级成绩报告`);
    await expect(page.locator('#checks tbody tr').first().textContent()).resolves.toContain(exp2.def.checks[0]!.title.zh);
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});
