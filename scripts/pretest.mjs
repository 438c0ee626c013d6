#!/usr/bin/env node
// `npm test`'s first step: build dist/ (the CLI the e2e tests spawn) and typecheck the tests, at the same
// time. Each is one tsc process on one core (about 22 s each on a fresh clone of the 2-core CI machine);
// one after the other, the second core idled for that long.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const jobs = [
  ['build', 'tsconfig.json'],
  ['typecheck', 'tsconfig.test.json'],
].map(
  ([name, config]) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
      child.on('error', (err) => resolve(`${name}: ${err.message}`));
      child.on('exit', (code, signal) => resolve(code === 0 ? null : `${name} (tsc -p ${config}) failed: ${signal ?? `exit ${code}`}`));
    }),
);
const failed = (await Promise.all(jobs)).filter(Boolean);
for (const f of failed) process.stderr.write(`pretest: ${f}\n`);
process.exit(failed.length ? 1 : 0);
