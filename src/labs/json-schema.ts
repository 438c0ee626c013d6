// labs/schema.json, generated from the zod schema (src/labs/schema.ts) so editors validate lab.yaml
// as they type (`# yaml-language-server: $schema=../schema.json`). `npm run schema` rewrites the file;
// test/unit/schema-sync.test.ts fails when the committed file is stale.
import path from 'node:path';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { labsDir } from '../util/paths.js';
import { LabFile } from './schema.js';
import { Step, StepEdit, StepRun, StepVerify, Text } from './steps-schema.js';

export const schemaFile = path.join(labsDir, 'schema.json');

export function labJsonSchema(): Record<string, unknown> {
  const schema = zodToJsonSchema(LabFile, {
    name: 'LabFile',
    target: 'jsonSchema7',
    // lab.yaml is input: fields with defaults are optional there.
    pipeStrategy: 'input',
    effectStrategy: 'input',
    definitions: { Text, Step, StepRun, StepEdit, StepVerify },
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'lab.yaml: one experiment of the HAProxy course lab',
    description: 'Generated from src/labs/schema.ts by `npm run schema`. Do not edit by hand.',
    $ref: schema.$ref,
    definitions: schema.definitions,
  };
}

export function renderLabJsonSchema(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
