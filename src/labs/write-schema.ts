// `npm run schema`: regenerate labs/schema.json from the zod schema.
import { writeFileSync } from 'node:fs';
import { renderLabJsonSchema, schemaFile } from './json-schema.js';

writeFileSync(schemaFile, renderLabJsonSchema());
process.stdout.write(`wrote ${schemaFile}\n`);
