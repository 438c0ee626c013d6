#!/usr/bin/env node
// `npm run bench` lists the benchmarks in this folder with what they measure; `npm run bench -- <name>
// [args…]` runs one (npm builds dist/ first). Each benchmark prints its own results on stdout.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -'.mjs'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name) {
  // The opening comment of each file, up to its first blank comment line.
  for (const b of benches) {
    const lines = readFileSync(path.join(here, `${b}.mjs`), 'utf8').split('\n');
    const comment = [];
    for (const l of lines.slice(lines[0]?.startsWith('#!') ? 1 : 0)) {
      if (!l.startsWith('//') || l.trim() === '//') break;
      comment.push(l.replace(/^\/\/ ?/, ''));
    }
    process.stdout.write(`${b}\n${comment.map((l) => `  ${l}`).join('\n')}\n\n`);
  }
  process.stdout.write(`Run one with: npm run bench -- <${benches.join('|')}> [args…]\n`);
} else if (!benches.includes(name)) {
  process.stderr.write(`no benchmark "${name}"; there are: ${benches.join(', ')}\n`);
  process.exitCode = 2;
} else {
  const r = spawnSync(process.execPath, [path.join(here, `${name}.mjs`), ...args], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
