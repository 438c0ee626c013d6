// lab guide --print (and any run without a terminal): every experiment's exercise as Markdown, with
// every step, and exactly the commands "run it for me" runs — both derived from stepActions() and
// compared here with the lab data and with what performStep really sends to the containers.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepCommands } from '../../src/guide/actions.js';
import { renderMarkdown } from '../../src/guide/render-markdown.js';
import { performStep, type StepWorld } from '../../src/guide/run-step.js';
import { listLabs, loadLab } from '../../src/labs/load.js';
import { seedWorkspace } from '../../src/workspace/seed.js';
import type { ApplyResult } from '../../src/apply/apply.js';
import { silentProgress } from '../../src/progress/progress.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab as runLab } from '../helpers/cli.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const labs = listLabs();
const readText = (f: string) => readFileSync(f, 'utf8');

/** The (shell, command) pairs of a Markdown document, in order. */
function commandsIn(markdown: string): { node: string; cmd: string }[] {
  return [...markdown.matchAll(/`lab (?:-n \S+ )?shell (\S+)`[^\n]*\n\n```sh\n([\s\S]*?)\n```/g)].map((m) => ({ node: m[1]!, cmd: m[2]! }));
}

/** The part of the document for one step. */
function section(markdown: string, id: string): string {
  const start = markdown.indexOf(`<!-- step: ${id} -->`);
  const next = markdown.indexOf('<!-- step: ', start + 1);
  return markdown.slice(start, next < 0 ? markdown.indexOf('\n## ', start) : next);
}

const where = (exp: string) => ({ experiment: exp, labName: 'lab', workspaceRoot: `workspace/${exp}` });

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'guide-print-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lab guide --print', () => {
  it('finds the experiments', () => {
    expect(labs).toEqual(expect.arrayContaining(['exp1', 'exp2']));
  });

  for (const exp of labs) {
    for (const lang of ['zh', 'en'] as const) {
      it(`${exp} (${lang}): intro, every step with its commands, what to expect, finish`, () => {
        const lab = loadLab(exp);
        const md = renderMarkdown(lab, where(exp), lang);
        expect(md.startsWith(`# ${lab.def.title[lang]}\n`)).toBe(true);
        if (lab.def.intro) expect(md).toContain(lab.def.intro[lang].trim());
        if (lab.def.finish) expect(md).toContain(lab.def.finish[lang].trim());
        expect(lab.def.steps.length).toBeGreaterThan(0);
        for (const step of lab.def.steps) {
          const part = section(md, step.id);
          expect(part, step.id).toContain(step.text[lang].trim());
          expect(md).toContain(step.title[lang]);
          // The commands of the document are the guide's and the lab data's, in order.
          expect(commandsIn(part), step.id).toEqual(stepCommands(step));
          expect(stepCommands(step)).toEqual(step.run.map((r) => ({ node: r.node, cmd: r.cmd })));
          for (const e of step.edit) expect(part).toContain(`workspace/${exp}/${e.file}`);
          if (step.edit.length) expect(part).toContain(`lab apply ${exp}`);
          for (const id of step.verify?.checks ?? []) expect(part).toContain(`(\`${id}\`)`);
        }
        const all = commandsIn(md);
        expect(all).toEqual(lab.def.steps.flatMap((s) => stepCommands(s)));
      });
    }

    it(`${exp}: "run it for me" sends exactly the printed commands to the right containers, after copying the step's files`, async () => {
      const lab = loadLab(exp);
      const md = renderMarkdown(lab, where(exp), 'en');
      const workspaceDir = path.join(tmp, exp, 'workspace', exp);
      seedWorkspace(lab, workspaceDir);
      const runtime = new FakeRuntime();
      const sent: { container: string; cmd: string[] }[] = [];
      runtime.exec = async (container: string, cmd: string[]) => {
        sent.push({ container, cmd });
        return { exitCode: 0, stdout: 'ok\n', stderr: '' };
      };
      let applies = 0;
      const world: StepWorld = {
        runtime,
        lab,
        labName: 'lab',
        cwd: path.join(tmp, exp),
        workspaceDir,
        lang: 'en',
        progress: silentProgress(),
        containerOf: (node) => `lab-${node}`,
        apply: async () => {
          applies++;
          return { ok: true, outcomes: [], warnings: [], target: {} as ApplyResult['target'] };
        },
      };
      for (const step of lab.def.steps) {
        sent.length = 0;
        const before = applies;
        const r = await performStep(world, step);
        const printed = commandsIn(section(md, step.id));
        expect(sent, step.id).toEqual(printed.map((c) => ({ container: `lab-${c.node}`, cmd: ['sh', '-c', c.cmd] })));
        expect(r.outputs.map((o) => ({ node: o.node, cmd: o.cmd }))).toEqual(printed);
        expect(applies - before, step.id).toBe(step.edit.length ? 1 : 0);
        for (const e of step.edit) expect(readText(path.join(workspaceDir, e.file))).toBe(readText(path.join(lab.solutionDir, e.file)));
      }
    });
  }

  it('without a terminal: Markdown on stdout, exit 0, no prompt, no engine needed', async () => {
    const cwd = path.join(tmp, 'cli');
    mkdirSync(cwd, { recursive: true });
    for (const args of [['guide', 'exp2'], ['guide', 'exp2', '--print', '--lang', 'en'], ['guide', 'exp1', '--step', '2']]) {
      const r = await runLab(args, { cwd, runtime: new DockerRuntime({ socketPath: '/nonexistent.sock' }) });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^# /);
      expect(r.stdout).not.toMatch(/这一步怎么做|How do you want/);
      const lab = loadLab(args[1]!);
      for (const s of lab.def.steps) expect(r.stdout).toContain(`<!-- step: ${s.id} -->`);
    }
  });

  it('a bad --step or --lang is a usage error (exit 2) naming the choices', async () => {
    const r = await runLab(['guide', 'exp2', '--step', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no step "99"');
    expect(r.stderr).toContain('explore-start');
    const l = await runLab(['guide', 'exp2', '--lang', 'fr']);
    expect(l.code).toBe(2);
  });
});
