// labs/schema.json is generated from the zod schema; this test fails when someone changes one without the other.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderLabJsonSchema, schemaFile } from '../../src/labs/json-schema.js';
import { listLabs } from '../../src/labs/load.js';
import { labsDir } from '../../src/util/paths.js';

describe('labs/schema.json', () => {
  it('matches the zod schema (run `npm run schema` after changing src/labs/schema.ts or steps-schema.ts)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(renderLabJsonSchema());
  });

  it('describes the steps: every field of a step, with Text for both languages', () => {
    const schema = JSON.parse(renderLabJsonSchema()) as { definitions: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
    expect(Object.keys(schema.definitions.Step!.properties)).toEqual(['id', 'title', 'text', 'tutorial', 'run', 'edit', 'verify', 'hints', 'solve']);
    expect(schema.definitions.Step!.required).toEqual(['id', 'title', 'text']);
    expect(schema.definitions.Text!.required).toEqual(['zh', 'en']);
    expect(Object.keys(schema.definitions.LabFile!.properties)).toEqual(expect.arrayContaining(['intro', 'finish', 'steps', 'checks']));
  });

  it('is referenced by every lab.yaml for editors', () => {
    for (const id of listLabs()) {
      expect(readFileSync(path.join(labsDir, id, 'lab.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema.json');
    }
  });
});
