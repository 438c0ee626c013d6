// lab.yaml's optional `grade: { allowCode: [...] }` names the rules of src/grade/code-exec.ts: the two
// lists must not drift apart, and a rule the intake does not know is a lab file error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE_RULES, GradeSettings, LabFile } from '../../src/labs/schema.js';
import { loadLab } from '../../src/labs/load.js';

describe('grade.allowCode in lab.yaml', () => {
  it('lists exactly the rules intake can report', () => {
    const src = readFileSync(new URL('../../src/grade/code-exec.ts', import.meta.url), 'utf8');
    const rules = new Set([...src.matchAll(/rule: '([a-z-]+:[a-z-]+)'/g)].map((m) => m[1]!));
    expect([...rules].sort()).toEqual([...CODE_RULES].sort());
  });

  it('is optional, defaults to nothing allowed, and refuses unknown rules', () => {
    const lab = loadLab('exp2');
    expect(lab.def.grade).toBeUndefined();
    expect(GradeSettings.parse({}).allowCode).toEqual([]);
    expect(GradeSettings.safeParse({ allowCode: ['haproxy:lua'] }).success).toBe(true);
    expect(GradeSettings.safeParse({ allowCode: ['haproxy:shell'] }).success).toBe(false);
    expect(LabFile.shape.grade.safeParse({ allowCode: ['nginx:njs'], extra: 1 }).success).toBe(false);
  });
});
