#!/usr/bin/env node
// `npm run docs` (after tsc): writes docs/errata.md from the pitfall catalogue in src/labs/pitfalls.ts.
// Where the teacher's copy of the course tutorial is configured (LAB_TUTORIAL, or `tutorial:` in
// lab.config.yaml), also labs/tutorial-sections.yaml, the section table extracted from it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { renderErrataDoc } = await dist('labs/errata-doc.js');
const { renderSectionsYaml, sectionsOf, SECTIONS_FILE } = await dist('guide/tutorial-ref.js');
const { tutorialFile } = await dist('labs/config.js');

const write = (file, text) => {
  const old = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  })();
  if (old !== text) writeFileSync(file, text);
  process.stdout.write(`${old === text ? 'unchanged' : 'wrote'} ${path.relative(root, file)}\n`);
};

write(path.join(root, 'docs', 'errata.md'), renderErrataDoc());
const tutorial = tutorialFile(process.cwd());
if (tutorial) write(SECTIONS_FILE, renderSectionsYaml(sectionsOf(readFileSync(tutorial, 'utf8'))));
else process.stdout.write(`kept ${path.relative(root, SECTIONS_FILE)} (set LAB_TUTORIAL to the course tutorial to extract it again)\n`);
