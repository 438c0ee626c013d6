// lab guide's flow against a scripted student and a fake lab: progress saved/resumed/--restart/--step,
// the hint ladder's order (nudges, tutorial, solution diff), skip and quit, Ctrl-C in a prompt, and the
// errata warning printed before the student's apply.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/guide/diff.js';
import { hintLadder, hintText } from '../../src/guide/hints.js';
import { freshProgress, loadProgress, progressFile, recordHint, recordStep, resolveStepArg, saveProgress, startPoint } from '../../src/guide/progress.js';
import type { Choice, Prompter } from '../../src/guide/prompts.js';
import { runSession, type GuideEnv, type SessionOptions } from '../../src/guide/session.js';
import { findSection } from '../../src/guide/tutorial-ref.js';
import type { FilePitfall } from '../../src/guide/pitfall-warnings.js';
import type { Verdict } from '../../src/guide/verify.js';
import { loadLab } from '../../src/labs/load.js';
import type { Step } from '../../src/labs/steps-schema.js';

const exp2 = loadLab('exp2');
const ids = exp2.def.steps.map((s) => s.id);
const stepById = (id: string) => exp2.def.steps.find((s) => s.id === id)!;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'guide-session-'));
  file = progressFile(path.join(dir, 'workspace', 'exp2'), 'exp2');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A student who answers from a script: each entry picks a choice by value (or answers a confirm). */
class ScriptedStudent implements Prompter {
  asked: string[] = [];
  constructor(private answers: (string | boolean | Error)[]) {}
  private next(q: string): string | boolean {
    this.asked.push(q);
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`no scripted answer for: ${q}`);
    if (a instanceof Error) throw a;
    return a;
  }
  async select<T extends string>(message: string, choices: Choice<T>[]): Promise<T> {
    const a = this.next(`${message} [${choices.map((c) => c.value).join('|')}]`);
    const c = choices.find((x) => x.value === a);
    if (!c) throw new Error(`"${String(a)}" is not offered for "${message}": ${choices.map((x) => x.value).join(', ')}`);
    return c.value;
  }
  async confirm(message: string): Promise<boolean> {
    return this.next(message) as boolean;
  }
}

/** A lab where steps pass unless told otherwise. */
function fakeEnv(o: { failTimes?: Record<string, number>; pitfalls?: FilePitfall[]; applyOk?: () => boolean } = {}) {
  const calls: string[] = [];
  const fails = { ...o.failTimes };
  const env: GuideEnv = {
    perform: async (step: Step) => {
      calls.push(`perform ${step.id}`);
      return { backups: [], outputs: step.run.map((r) => ({ node: r.node, cmd: r.cmd, exitCode: 0, stdout: 'out', stderr: '' })), apply: step.edit.length ? { ok: true, lines: ['✓ haproxy: reloaded'], errors: [] } : undefined };
    },
    apply: async () => {
      calls.push('apply');
      const ok = o.applyOk ? o.applyOk() : true;
      return ok ? { ok, lines: ['✓ haproxy: reloaded'], errors: [] } : { ok, lines: ['✗ haproxy: haproxy -c rejected the config'], errors: ['haproxy.cfg:41: block'] };
    },
    verify: async (step: Step): Promise<Verdict> => {
      calls.push(`verify ${step.id}`);
      if ((fails[step.id] ?? 0) > 0) {
        fails[step.id]!--;
        return { passed: false, results: [{ id: step.verify!.checks[0]!, title: 'T', status: 'fail', message: 'nope', hint: 'h', points: 0, maxPoints: 5 }] };
      }
      return { passed: true, results: step.verify!.checks.map((id) => ({ id, title: id, status: 'pass' as const, message: 'ok', hint: '', points: 5, maxPoints: 5 })) };
    },
    score: async () => {
      calls.push('score');
      return { score: 100, maxScore: 100, passed: true, results: [] };
    },
    pitfalls: () => o.pitfalls ?? [],
    solutionDiff: () => '--- mine\n+++ solution\n@@ -1,1 +1,1 @@\n-old\n+new\n',
  };
  return { env, calls };
}

function session(student: ScriptedStudent, env: GuideEnv, extra: Partial<SessionOptions> = {}) {
  const out: string[] = [];
  const run = runSession(
    { lab: exp2, lang: 'en', where: { experiment: 'exp2', labName: 'lab', workspaceRoot: 'workspace/exp2' }, progressFile: file, findRef: (s) => ({ section: s, heading: s, file: '/t.md', line: 7 }), ...extra },
    { prompter: student, print: (t) => out.push(t) },
    env,
  );
  return { run, out };
}

describe('progress', () => {
  it('saves, loads and resumes at the saved step; --restart forgets; --step jumps by number or id', () => {
    let p = freshProgress('exp2', ids);
    p = recordStep(p, ids, ids[0]!, 'passed', 'run');
    p = recordStep(p, ids, ids[1]!, 'skipped');
    p = recordHint(p, ids[2]!, 2);
    p = recordHint(p, ids[2]!, 1);
    saveProgress(file, p);
    const back = loadProgress(file, 'exp2', ids);
    expect(back.current).toBe(ids[2]);
    expect(back.steps[ids[0]!]).toMatchObject({ status: 'passed', mode: 'run', hints: 0 });
    expect(back.steps[ids[1]!]!.status).toBe('skipped');
    expect(back.steps[ids[2]!]).toMatchObject({ status: 'pending', hints: 2 });
    expect(startPoint(back, ids, {}).index).toBe(2);
    const restart = startPoint(back, ids, { restart: true });
    expect(restart.index).toBe(0);
    expect(Object.values(restart.progress.steps).every((r) => r.status === 'pending' && r.hints === 0)).toBe(true);
    expect(startPoint(back, ids, { step: '5' }).index).toBe(4);
    const byId = startPoint(back, ids, { step: 'http-frontend', restart: true });
    expect(byId.index).toBe(ids.indexOf('http-frontend'));
    expect(byId.progress.current).toBe('http-frontend');
    expect(() => resolveStepArg('0', ids)).toThrow(/no step "0"/);
    expect(() => resolveStepArg('nope', ids)).toThrow(expect.objectContaining({ hint: expect.stringContaining(`Steps are 1..${ids.length}: 1 ${ids[0]}`) }));
  });

  it('lives beside the experiment folder, so lab reset/solve (which make workspace/<exp> exact) never delete it', () => {
    expect(file).toBe(path.join(dir, 'workspace', '.lab-guide', 'exp2.json'));
  });

  it('a damaged or foreign file starts fresh; steps added since get pending records; all done resumes at the end', () => {
    saveProgress(file, freshProgress('exp2', ids));
    writeFileSync(file, '{not json');
    expect(loadProgress(file, 'exp2', ids).current).toBe(ids[0]);
    saveProgress(file, { ...freshProgress('exp1', ['a']), current: 'a' });
    expect(loadProgress(file, 'exp2', ids).steps[ids[3]!]!.status).toBe('pending');
    saveProgress(file, { ...freshProgress('exp2', ids.slice(0, 2)), current: null });
    const p = loadProgress(file, 'exp2', ids);
    expect(p.steps[ids[5]!]).toEqual({ status: 'pending', hints: 0 });
    expect(startPoint(p, ids, {}).index).toBe(ids.length);
  });
});

describe('hints', () => {
  it('escalate: the nudges in order, then the tutorial section, then the reference answer with its diff', () => {
    const step = stepById('http-frontend');
    const ladder = hintLadder(step, 'en', (s) => ({ section: s, heading: 'frontend 与 backend 作用说明', file: '/t.md', line: 563 }));
    expect(ladder.map((h) => h.kind)).toEqual([...step.hints.map(() => 'nudge'), 'tutorial', 'solution']);
    expect(hintText(ladder[0]!, 0, ladder, 'en')).toBe(`Hint 1/${ladder.length}: ${step.hints[0]!.en}`);
    expect(hintText(ladder[step.hints.length]!, step.hints.length, ladder, 'en')).toContain('实验二 frontend 与 backend 作用说明');
    expect(hintText(ladder[step.hints.length]!, step.hints.length, ladder, 'en', '/')).toContain(': t.md:563');
    const last = ladder[ladder.length - 1]!;
    expect(last).toMatchObject({ kind: 'solution', files: ['haproxy/haproxy.cfg'], solve: step.solve!.en });
    const zh = hintLadder(step, 'zh');
    expect(hintText(zh[0]!, 0, zh, 'zh')).toBe(`提示 1/${zh.length}：${step.hints[0]!.zh}`);
  });

  it('the tutorial pointer finds the section heading and its line in the course tutorial', () => {
    const md = '# T\n## 五\n### 5.3 安全\n#### 5.3.2 ACL 访问控制\n### 实验二 配置\n```\n# not a heading\n```\n#### Nginx 配置文件调整\n';
    expect(findSection(md, '5.3.2')).toMatchObject({ text: '5.3.2 ACL 访问控制', line: 4 });
    expect(findSection(md, '实验二 Nginx 配置文件调整')).toMatchObject({ text: 'Nginx 配置文件调整', line: 9 });
    expect(findSection(md, '实验二')).toMatchObject({ line: 5 });
    // Against the real tutorial (when LAB_TUTORIAL names it): test/unit/tutorial-sections.test.ts.
  });

  it('the solution diff is a unified diff of the student file against solution/', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
    const d = unifiedDiff('1\n2\n3\n4\n5\n6\n7\n8\nblock if x\n10\n', '1\n2\n3\n4\n5\n6\n7\n8\nhttp-request deny if x\n10\n', 'mine', 'solution');
    expect(d).toBe('--- mine\n+++ solution\n@@ -6,5 +6,5 @@\n 6\n 7\n 8\n-block if x\n+http-request deny if x\n 10\n');
    expect(unifiedDiff('', 'new\n', 'a', 'b')).toBe('--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n');
  });
});

describe('a guided session', () => {
  it('"run it for me" at every step: performs, verifies, finishes with the summary and the lab check score', async () => {
    const student = new ScriptedStudent(ids.map(() => 'run'));
    const { env, calls } = fakeEnv();
    const { run, out } = session(student, env);
    const r = await run;
    expect(r.end).toBe('finished');
    expect(calls).toEqual([...exp2.def.steps.flatMap((s) => [`perform ${s.id}`, ...(s.verify ? [`verify ${s.id}`] : [])]), 'score']);
    const text = out.join('\n');
    expect(text).toContain(exp2.def.intro!.en.trim());
    expect(text).toContain(exp2.def.finish!.en);
    for (const s of exp2.def.steps) expect(text).toMatch(new RegExp(`✔ \\d\\. .*\\[${s.id}\\]: passed`));
    expect(text).toContain('lab check score: 100/100');
    expect(JSON.parse(readFileSync(file, 'utf8')).current).toBeNull();
  });

  it('a failed check shows the first hint at once; further hints escalate to the tutorial, then the offered diff; retry passes', async () => {
    const step = stepById('http-frontend');
    const n = step.hints.length;
    const student = new ScriptedStudent(['self', 'again', ...Array(n - 1).fill('hint'), 'hint', 'hint', true, 'again', 'quit']);
    const { env, calls } = fakeEnv({ failTimes: { 'http-frontend': 1 } });
    const { run, out } = session(student, env, { step: 'http-frontend', cwd: '/' });
    const r = await run;
    expect(r.end).toBe('quit');
    const text = out.join('\n');
    const at = (s: string) => {
      const i = text.indexOf(s);
      expect(i, s).toBeGreaterThan(-1);
      return i;
    };
    const total = n + 2;
    // the order the student meets them in
    const order = [
      at('In `lab shell client`'),
      at('✘ The check did not pass'),
      at(`Hint 1/${total}: ${step.hints[0]!.en}`),
      at(`Hint ${n}/${total}: ${step.hints[n - 1]!.en}`),
      at(`Hint ${n + 1}/${total}: Read the tutorial's "${step.tutorial}": t.md:7`),
      at(`Hint ${n + 2}/${total}: Reference answer: ${step.solve!.en}`),
      at('+new'),
      at('✔ Step done'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(student.asked.filter((q) => q.startsWith('Show the diff'))).toHaveLength(1);
    // the ladder is used up: no more "hint" entry
    expect(student.asked[student.asked.length - 1]).not.toContain('hint');
    expect(calls).toEqual(['apply', 'verify http-frontend', 'apply', 'verify http-frontend']);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.steps['http-frontend']).toMatchObject({ status: 'passed', mode: 'self', hints: total });
    expect(saved.current).toBe(ids[ids.indexOf('http-frontend') + 1]);
    expect(text).toContain('Resume with: lab guide exp2 --lang en');
  });

  it('warns about errata pitfalls before applying the student files; a rejected apply fails the step without running the checks', async () => {
    const pit: FilePitfall = { errata: 1, line: 41, file: 'haproxy/haproxy.cfg', severity: 'error', message: "the 'block' directive was removed", fix: 'write `http-request deny if x` instead' };
    let fixed = false;
    const student = new ScriptedStudent(['self', 'again', 'again', 'quit']);
    const { env, calls } = fakeEnv({ applyOk: () => fixed });
    env.pitfalls = () => (fixed ? [] : [pit]);
    env.apply = async () => {
      calls.push('apply');
      const ok = fixed;
      fixed = true; // the student fixes the file before the retry
      return ok ? { ok, lines: [], errors: [] } : { ok, lines: ['✗ haproxy: haproxy -c rejected the config, nothing reloaded'], errors: ['workspace/exp2/haproxy/haproxy.cfg:41: block'] };
    };
    const { run, out } = session(student, env, { step: 'haproxy-backends' });
    await run;
    const text = out.join('\n');
    const warn = text.lastIndexOf('⚠ Careful (errata 1): workspace/exp2/haproxy/haproxy.cfg:41');
    expect(warn).toBeGreaterThan(text.indexOf('Your turn:'));
    expect(text.indexOf('Fix: write `http-request deny if x` instead', warn)).toBeGreaterThan(warn);
    expect(text.indexOf('haproxy -c rejected')).toBeGreaterThan(warn);
    expect(text.indexOf('Hint 1/')).toBeGreaterThan(text.indexOf('haproxy -c rejected'));
    expect(calls).toEqual(['apply', 'apply', 'verify haproxy-backends']);
  });

  it('skip is recorded as skipped and shown in the summary; the run goes on', async () => {
    const student = new ScriptedStudent(['skip', ...ids.slice(1).map(() => 'run')]);
    const { env } = fakeEnv();
    const { run, out } = session(student, env);
    expect((await run).progress.steps[ids[0]!]!.status).toBe('skipped');
    expect(out.join('\n')).toMatch(new RegExp(`↷ 1\\. .*\\[${ids[0]}\\]: skipped`));
  });

  it('Ctrl-C in a prompt ends the run as interrupted with progress saved, and the next run resumes there', async () => {
    const ctrlC = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    const { env } = fakeEnv();
    const first = session(new ScriptedStudent(['run', 'run', ctrlC]), env);
    const r = await first.run;
    expect(r.end).toBe('interrupted');
    expect(first.out.join('\n')).toContain('Progress saved; the lab and your workspace are untouched. Resume with: lab guide exp2 --lang en');
    expect(JSON.parse(readFileSync(file, 'utf8')).current).toBe(ids[2]);

    const student = new ScriptedStudent(ids.slice(2).map(() => 'run'));
    const again = session(student, env);
    expect((await again.run).end).toBe('finished');
    expect(again.out.join('\n')).toContain(`Step 3/${ids.length}`);
    expect(again.out.join('\n')).not.toContain(`Step 1/${ids.length}`);
    expect(student.asked).toHaveLength(ids.length - 2);
  });

  it('resuming when every step is done goes straight to the summary; zh by default', async () => {
    saveProgress(file, { ...freshProgress('exp2', ids), current: null });
    const { env, calls } = fakeEnv();
    const { run, out } = session(new ScriptedStudent([]), env, { lang: 'zh' });
    expect((await run).end).toBe('finished');
    expect(calls).toEqual(['score']);
    expect(out.join('\n')).toContain('所有步骤都已完成。重新开始：lab guide exp2 --restart');
    expect(out.join('\n')).toContain('lab check 得分：100/100');
  });
});
