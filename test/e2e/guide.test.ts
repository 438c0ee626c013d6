// `lab guide exp2` driven through a pseudo-terminal as a student would, on one real exp2 lab shared by
// the file (removed afterwards, also when a test fails): first "run it for me" at every step up to a
// full `lab check` score, then a student who writes the tutorial's `block` directive, is warned before
// applying, fails verification with the first hint, fixes the file and passes on retry, then presses Ctrl-C.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import { progressFile } from '../../src/guide/progress.js';
import { startLab, type TestLab } from '../helpers/lab.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const exp2 = loadLab('exp2');
const steps = exp2.def.steps;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r/g;
const KEY = { enter: '\r', down: '\x1b[B', ctrlC: '\x03' };

/** A `lab` process on a pseudo-terminal: wait for text on the screen, then type. */
class Terminal {
  private raw = '';
  private pos = 0;
  readonly exited: Promise<number>;
  private readonly p: pty.IPty;
  constructor(args: string[], cwd: string) {
    const env = { ...process.env, NO_COLOR: '1', LAB_DEBUG: '' } as Record<string, string>;
    delete env.LAB_PROGRESS; // the real listr2 progress, as a student sees it
    delete env.CI;
    this.p = pty.spawn('node', [bin, ...args], { cwd, env, cols: 160, rows: 50, name: 'xterm' });
    this.p.onData((d) => (this.raw += d));
    this.exited = new Promise((resolve) => this.p.onExit((e) => resolve(e.exitCode)));
  }
  get screen(): string {
    return this.raw.replace(ANSI, '');
  }
  /** Waits until `re` appears after the last match; fails early on `failOn`. */
  async waitFor(re: RegExp | string, timeoutMs = 60_000, failOn?: RegExp): Promise<RegExpExecArray> {
    const pattern = typeof re === 'string' ? new RegExp(re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : re;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.screen.slice(this.pos);
      const m = pattern.exec(rest);
      if (m) {
        this.pos += m.index + m[0].length;
        return m;
      }
      if (failOn?.test(rest)) throw new Error(`saw ${failOn} while waiting for ${pattern}:\n${rest.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen tail:\n${this.screen.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async type(...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.p.write(k);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  kill(): void {
    try {
      this.p.kill();
    } catch {
      // already gone
    }
  }
}

let lab: TestLab;
const open: Terminal[] = [];
const guide = (...args: string[]) => {
  const t = new Terminal(['guide', 'exp2', '--name', lab.name, '--lang', 'en', ...args], lab.cwd);
  open.push(t);
  return t;
};
const FAIL = /The check did not pass|did not validate|internal error|error:/;

beforeAll(async () => {
  await execa('npx', ['tsc', '-p', '.'], { cwd: root, reject: false });
  lab = await startLab('exp2', 'guide');
}, 600_000);
afterAll(async () => {
  // GUIDE_SCREENS=dir keeps what each run showed, for reading.
  if (process.env.GUIDE_SCREENS) open.forEach((t, i) => writeFileSync(path.join(process.env.GUIDE_SCREENS!, `guide-${i + 1}.txt`), t.screen));
  for (const t of open) t.kill();
  await lab?.destroy();
});

describe('lab guide exp2 on a pseudo-terminal', () => {
  it('without the lab up, says so with the exact lab up command and offers to run it', async () => {
    const name = `t-gnone-${process.pid}`;
    const t = new Terminal(['guide', 'exp2', '--name', name, '--lang', 'en'], lab.cwd);
    open.push(t);
    await t.waitFor(`Lab "${name}" is not running exp2.`);
    await t.waitFor(`Run \`lab -n ${name} up exp2\` now?`);
    await t.type('n', KEY.enter);
    await t.waitFor(`Start it first: lab -n ${name} up exp2`);
    expect(await t.exited).toBe(2);
  });

  it('"run it for me" at every step: each step verifies and the summary shows a full lab check score', async () => {
    const t = guide('--restart');
    await t.waitFor(exp2.def.title.en);
    for (const [i, s] of steps.entries()) {
      await t.waitFor(`Step ${i + 1}/${steps.length} · ${s.title.en}`, 60_000, FAIL);
      await t.waitFor('How do you want to do this step?', 30_000, FAIL);
      await t.type(KEY.enter); // the first choice: run it for me
      await t.waitFor(/✔ Step done/, 180_000, FAIL);
    }
    await t.waitFor('All steps done', 30_000, FAIL);
    const score = await t.waitFor(/lab check score: (\d+)\/(\d+)/, 180_000);
    expect(Number(score[2])).toBeGreaterThan(0);
    expect(score[1], t.screen.slice(-4000)).toBe(score[2]);
    expect(await t.exited).toBe(0);
    const summary = t.screen.slice(t.screen.lastIndexOf('Summary'));
    for (const s of steps) expect(summary).toMatch(new RegExp(`✔ \\d\\. .*\\[${s.id}\\]: passed`));
    const saved = JSON.parse(readFileSync(progressFile(lab.result.workspaceDir, 'exp2'), 'utf8'));
    expect(saved.current).toBeNull();
  });

  it('a mistake: the block directive is warned about before applying, fails with the first hint, passes after the fix; Ctrl-C during the checks saves progress and exits 130', async () => {
    const cfg = path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');
    const good = readFileSync(path.join(exp2.solutionDir, 'haproxy', 'haproxy.cfg'), 'utf8');
    // The tutorial's 5.3.2 snippet, as a student copies it into http-in.
    const bad = good.replace(/(frontend http-in\n)/, '$1    acl is_admin path_beg /admin\n    acl allowed_ip src 10.0.0.0/8\n    block if is_admin !allowed_ip\n');
    expect(bad).toContain('block if');
    const backends = steps.findIndex((s) => s.id === 'haproxy-backends');

    const t = guide('--step', 'haproxy-backends');
    await t.waitFor(`Step ${backends + 1}/${steps.length}`);
    await t.waitFor('How do you want to do this step?');
    await t.type(KEY.down, KEY.enter); // I'll do it myself
    await t.waitFor('Your turn:');
    await t.waitFor(`lab -n ${lab.name} apply exp2`);
    await t.waitFor('What now?');
    writeFileSync(cfg, bad);
    await t.type(KEY.enter); // Done: check my work
    const warned = await t.waitFor(/Careful \(errata 1\): workspace\/exp2\/haproxy\/haproxy\.cfg:\d+:[^\n]*\n[^\n]*http-request deny if is_admin !allowed_ip/);
    expect(warned[0]).toContain('block');
    await t.waitFor(/haproxy -c rejected the config/);
    await t.waitFor(/did not validate/);
    await t.waitFor(`Hint 1/`);
    await t.waitFor(steps[backends]!.hints[0]!.en.slice(0, 30));
    await t.waitFor('What now?');

    writeFileSync(cfg, good);
    await t.type(KEY.enter); // Retry: check again
    await t.waitFor(/✔ Step done/, 120_000, FAIL);
    await t.waitFor(`Step ${backends + 2}/${steps.length}`);
    await t.waitFor('How do you want to do this step?');
    // Ctrl-C while the checks run (outside any prompt): the process leaves with 130 and says how to resume.
    await t.type(KEY.enter);
    await t.waitFor(/Checking /, 60_000, FAIL);
    await t.type(KEY.ctrlC);
    await t.waitFor(`Resume with: lab -n ${lab.name} guide exp2 --lang en`);
    expect(await t.exited).toBe(130);

    const saved = JSON.parse(readFileSync(progressFile(lab.result.workspaceDir, 'exp2'), 'utf8'));
    expect(saved.steps['haproxy-backends']).toMatchObject({ status: 'passed', mode: 'self' });
    expect(saved.steps['haproxy-backends'].hints).toBeGreaterThanOrEqual(1);
    // Interrupted mid-check, the step stays current (had the checks just finished, the next one would be).
    expect([steps[backends + 1]!.id, steps[backends + 2]!.id]).toContain(saved.current);
    expect(readFileSync(cfg, 'utf8')).toBe(good); // the workspace is as the student left it
  });
});
