// `lab list`: every experiment, where the tutorial teaches it, and how far this project is with it.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { printJson, say, table } from '../output.js';

export interface Options {
  json: boolean;
  lang?: string;
}

export interface ListEntry {
  id: string;
  title: string;
  tutorial: string | null;
  state: 'not started' | 'in progress' | 'passed';
  running: boolean;
  lastScore: { score: number; maxScore: number; passed: boolean; at: string } | null;
}

export async function run(o: Options, deps: Deps): Promise<number> {
  const { listLabs, loadLab } = await import('../../labs/load.js');
  const { readLastResult } = await import('../../state/store.js');
  const { defaultWorkspaceDir } = await import('../../workspace/seed.js');
  const { resolveLang } = await import('../../util/lang.js');
  const lang = resolveLang(o.lang, deps.env);
  // Which experiment runs now (no engine is fine: the list is about this folder).
  let running: string | null = null;
  try {
    const { observeLab } = await import('../../lifecycle/observe.js');
    running = (await observeLab(deps.runtime, deps.labName)).experiment;
  } catch {
    running = null;
  }
  const entries: ListEntry[] = listLabs().map((id) => {
    const lab = loadLab(id);
    const last = readLastResult<{ score: number; maxScore: number; passed: boolean; at: string }>(deps.cwd, deps.labName, id) ?? null;
    const started = existsSync(defaultWorkspaceDir(deps.cwd, id)) || !!last;
    return {
      id,
      title: lab.def.title[lang],
      tutorial: lab.def.tutorial ?? null,
      state: last?.passed ? 'passed' : started ? 'in progress' : 'not started',
      running: running === id,
      lastScore: last ? { score: last.score, maxScore: last.maxScore, passed: last.passed, at: last.at } : null,
    };
  });
  if (o.json) {
    printJson(deps.io, entries);
    return 0;
  }
  const s = deps.io.style;
  say(
    deps.io,
    table([
      ['EXP', 'TUTORIAL', 'STATE', 'LAST SCORE', 'TITLE'],
      ...entries.map((e) => [
        `${e.id}${e.running ? '*' : ''}`,
        e.tutorial ?? '',
        e.state === 'passed' ? s.green(e.state) : e.state === 'in progress' ? s.yellow(e.state) : s.dim(e.state),
        e.lastScore ? `${e.lastScore.score}/${e.lastScore.maxScore}` : '-',
        e.title,
      ]),
    ]),
  );
  if (running) say(deps.io, s.dim(`* running in lab "${deps.labName}"`));
  return 0;
}

export function define(program: Command, act: Act): void {
  program
    .command('list')
    .description('every experiment: tutorial section, state in this folder (not started, in progress, passed) and last score')
    .option('--json', 'print the list as JSON')
    .option('--lang <zh|en>', 'language of the titles')
    .action((f: { json?: boolean; lang?: string }, cmd: Command) => act(cmd, run, { json: !!f.json, lang: f.lang }));
}
