// `lab report [--out FILE]`: one archive for a teacher (src/report/report.ts), secrets left out.
import path from 'node:path';
import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { printJson, say } from '../output.js';

export interface Options {
  out?: string;
  json: boolean;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { writeReport, defaultReportName } = await import('../../report/report.js');
  const { assertWritableFolder } = await import('../../util/files.js');
  const { diagnose } = await import('./doctor.js');
  const now = new Date(deps.clock.now());
  const out = path.resolve(deps.cwd, o.out ?? defaultReportName(deps.labName, now));
  assertWritableFolder(path.dirname(out), '--out');
  const r = await writeReport(deps.runtime, { labName: deps.labName, cwd: deps.cwd, out, now, diagnose });
  if (o.json) {
    printJson(deps.io, r);
    return 0;
  }
  const shown = path.relative(deps.cwd, r.file) || r.file;
  say(deps.io, `${deps.io.style.green('ok')} wrote ${shown}: ${r.included.length} file(s) (status, doctor, ${r.included.filter((f) => f.startsWith('logs/')).length} node log(s), workspace, last check results)`);
  say(deps.io, `  left out: ${r.leftOut.length ? r.leftOut.map((l) => `${l.path} (${l.why})`).join(', ') : 'nothing'}; ${r.masked} secret(s) masked`);
  say(deps.io, '  Send this file to your teacher; it holds no private key and no password.');
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('report')
    .description('write one archive for your teacher: status, doctor, node logs, workspace files, last check results (no keys, passwords masked)')
    .option('-o, --out <file>', 'the archive to write (default: lab-report-<lab>-<time>.tar.gz here)')
    .option('--json', 'print what went into the archive as JSON')
    .action((f: { out?: string; json?: boolean }, cmd: Command) => act(cmd, run, { out: f.out, json: !!f.json }));
}
