// A graded submission whose config a validator rejected keeps its score (that service ran the start
// files) and says why: the validator's message is in the stored result, the CSV's notes column and
// report.html, in the lab's language, and as text (never markup).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { parseCsv } from '../../src/grade/csv.js';
import { applyNotes, writeGradebook } from '../../src/grade/gradebook.js';
import { listFinished, writeResult } from '../../src/grade/results.js';
import { record } from '../fixtures/grade/records.js';

const exp2 = loadLab('exp2');

describe('notes about configs that were not loaded', () => {
  it('are stored, listed in gradebook.csv and shown in report.html', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'lab-notes-'));
    const dir = path.join(root, 'grades', 'exp2');
    try {
      const applied = [
        { role: 'haproxy', tool: 'haproxy -c', status: 'invalid' as const, file: 'haproxy/haproxy.cfg', line: 7, message: "unknown keyword '<blink>' in 'frontend' section" },
        { role: 'nginx', tool: 'nginx -t', status: 'reloaded' as const },
      ];
      await writeResult(dir, { ...record(exp2, { name: 'dave', pass: ['domains-answer'] }), applied });
      await writeResult(dir, record(exp2, { name: 'erin', pass: [] }));
      const stored = (await listFinished(dir)).records;
      expect(stored.get('dave')!.applied).toEqual(applied);
      expect(stored.get('erin')!.applied).toEqual([]);

      await writeGradebook(dir, exp2, 'en');
      const rows = parseCsv(readFileSync(path.join(dir, 'gradebook.csv'), 'utf8').replace(/^\ufeff/, '')).map((r) => r.cells);
      const dave = rows.find((r) => r[0] === 'dave')!;
      expect(dave.at(-1)).toBe("haproxy -c rejected the config: haproxy/haproxy.cfg:7: unknown keyword '<blink>' in 'frontend' section (haproxy was graded on the start files)");
      expect(dave.at(-2)).toBe('');
      expect(rows.find((r) => r[0] === 'erin')!.at(-1)).toBe('');
      const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
      expect(html).toContain('Configs that were not loaded');
      expect(html).toContain('&lt;blink&gt;');
      expect(html).not.toContain('<blink>');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('speak the lab language', () => {
    expect(applyNotes({ applied: [{ role: 'nginx', tool: 'nginx -t', status: 'invalid', message: 'x' }] }, 'zh')).toEqual(['nginx -t 拒绝了配置：x（nginx 按起始文件评分）']);
    expect(applyNotes({ applied: [{ role: 'haproxy', tool: 'haproxy -c', status: 'reload-failed', message: 'refused' }] }, 'en')).toEqual(['haproxy failed to reload: refused']);
  });
});
