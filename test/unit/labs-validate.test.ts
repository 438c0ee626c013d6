// lab.yaml problems are one line each: file:line, what is wrong, and a hint naming the fix.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintLabText } from '../../src/labs/lint.js';
import { listLabs, loadLab, parseLabFile } from '../../src/labs/load.js';
import { globToRegExp, validateLabPath } from '../../src/labs/validate.js';
import { FileError } from '../../src/util/errors.js';
import { labsDir } from '../../src/util/paths.js';
import { lab as runLab } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const GOOD = `id: exp9
title:
  zh: 测试
  en: Test
workspace:
  - haproxy/haproxy.cfg
steps:
  - id: first
    title: { zh: 一, en: One }
    text: { zh: 做, en: Do }
    run:
      - node: haproxy1
        cmd: haproxy -v
    edit:
      - file: haproxy/haproxy.cfg
    verify:
      checks: [config-valid]
checks:
  - id: config-valid
    title: { zh: 配置有效, en: Config is valid }
    points: 5
    hint: { zh: 运行 haproxy -c, en: Run haproxy -c }
    probe: { kind: haproxy-config-valid }
`;

const lint = (text: string) => lintLabText('labs/exp9/lab.yaml', text);

describe('lab.yaml lint (file:line + fix)', () => {
  it('accepts a good file and fills the defaults', () => {
    const r = lint(GOOD);
    expect(r.problems).toEqual([]);
    expect(r.def!.steps[0]!.edit[0]!.from).toBe('solution');
    expect(r.def!.steps[0]!.verify).toEqual({ checks: ['config-valid'], retries: 3, intervalSeconds: 1 });
    expect(r.def!.steps[0]!.hints).toEqual([]);
  });

  it('an unknown key: its own line, and the allowed keys in the hint', () => {
    const r = lint(GOOD.replace('steps:', 'titel: x\nsteps:'));
    expect(r.problems[0]).toMatchObject({ file: 'labs/exp9/lab.yaml', line: 7, message: 'titel: unknown key "titel"' });
    expect(r.problems[0]!.hint).toMatch(/remove "titel".*allowed here: id, title/);
  });

  it('an unknown key inside a step points at that key', () => {
    const r = lint(GOOD.replace('    text: { zh: 做, en: Do }', '    text: { zh: 做, en: Do }\n    hint: nope'));
    expect(r.problems[0]).toMatchObject({ line: 11, message: 'steps[0].hint: unknown key "hint"' });
    expect(r.problems[0]!.hint).toContain('hints');
  });

  it('a missing language is required, at the text line', () => {
    const r = lint(GOOD.replace('text: { zh: 做, en: Do }', 'text: { zh: 做 }'));
    expect(r.problems[0]).toMatchObject({ line: 10, message: 'steps[0].text.en: required' });
    expect(r.problems[0]!.hint).toBe('Fix: add `en:` (string).');
  });

  it('a wrong type names expected and received', () => {
    const r = lint(GOOD.replace('  - haproxy/haproxy.cfg', '  - 5'));
    expect(r.problems[0]).toMatchObject({ line: 6, message: 'workspace[0]: expected string, got number' });
  });

  it('a bad step id, an unknown node, a duplicate step id, an unknown check id', () => {
    const bad = GOOD.replace('id: first', 'id: First').replace('node: haproxy1', 'node: haproxy7');
    expect(lint(bad).problems[0]).toMatchObject({ line: 8, message: expect.stringContaining('steps[0].id: use lowercase') });
    const r = lint(GOOD.replace('node: haproxy1', 'node: haproxy7').replace('[config-valid]', '[config-vaild]'));
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '12: steps[0].run[0].node: no node "haproxy7" in the lab',
      '17: steps[0].verify.checks[0]: no check "config-vaild" in this lab\'s checks',
    ]);
    expect(r.problems[1]!.hint).toBe('Fix: use one of config-valid.');
    const dup = GOOD.replace('checks:\n  - id', `  - id: first\n    title: { zh: 二, en: Two }\n    text: { zh: 做, en: Do }\nchecks:\n  - id`);
    expect(lint(dup).problems[0]).toMatchObject({ line: 18, message: 'steps[1].id: "first" is already used by steps[0]' });
  });

  it('edit paths must stay inside the workspace', () => {
    const r = lint(GOOD.replace('file: haproxy/haproxy.cfg', 'file: ../etc/passwd'));
    expect(r.problems[0]).toMatchObject({ line: 15, message: 'steps[0].edit[0].file: use a path relative to the workspace, without ".."' });
  });

  it('YAML syntax errors and duplicate keys have a line too', () => {
    expect(lint('id: exp9\ntitle: [\n').problems[0]).toMatchObject({ line: expect.any(Number), message: expect.stringMatching(/^YAML syntax error/) });
    const dup = lint('id: exp9\nid: exp8\n');
    expect(dup.problems[0]).toMatchObject({ line: 2, hint: 'Fix: remove one of the two keys.' });
  });

  it('parseLabFile throws the first problem as a FileError', () => {
    try {
      parseLabFile('x/lab.yaml', GOOD.replace('steps:', 'titel: x\nsteps:'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FileError);
      expect((e as FileError).message).toBe('x/lab.yaml:7: titel: unknown key "titel"');
    }
  });

  it('both shipped experiments load, with steps, intro and finish', () => {
    for (const id of listLabs()) {
      const lab = loadLab(id);
      expect(lab.def.steps.length).toBeGreaterThan(3);
      expect(lab.def.intro?.zh).toBeTruthy();
      expect(lab.def.finish?.en).toBeTruthy();
    }
    expect(loadLab('exp2').def.steps.map((s) => s.id)).toEqual(['explore-start', 'nginx-plain-http', 'haproxy-backends', 'http-frontend', 'https-frontend', 'forwarded-headers']);
    expect(loadLab('exp1').def.steps.map((s) => s.id)).toEqual(['check-config', 'logging', 'stats-page', 'stats-admin', 'prometheus', 'runtime-socket']);
  });
});

describe('globs', () => {
  it('* stays in a segment, ** crosses them, {a,b} alternates', () => {
    expect(globToRegExp('nginx/conf.d/*.conf').test('nginx/conf.d/a.conf')).toBe(true);
    expect(globToRegExp('nginx/*.conf').test('nginx/conf.d/a.conf')).toBe(false);
    expect(globToRegExp('nginx/**/*.conf').test('nginx/conf.d/a.conf')).toBe(true);
    expect(globToRegExp('haproxy/*.{cfg,map}').test('haproxy/hosts.map')).toBe(true);
  });
});

describe('lab validate <path> (folder checks)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-validate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const makeLab = (name: string, text = GOOD.replace('exp9', name)) => {
    const d = path.join(dir, name);
    mkdirSync(path.join(d, 'start', 'haproxy'), { recursive: true });
    mkdirSync(path.join(d, 'solution', 'haproxy'), { recursive: true });
    writeFileSync(path.join(d, 'start', 'haproxy', 'haproxy.cfg'), 'global\n');
    writeFileSync(path.join(d, 'solution', 'haproxy', 'haproxy.cfg'), 'global\n');
    writeFileSync(path.join(d, 'lab.yaml'), text);
    return d;
  };

  it('the shipped experiments are valid', () => {
    for (const id of listLabs()) expect(validateLabPath(path.join(labsDir, id)).problems).toEqual([]);
  });

  it('a good folder, by folder or by file', () => {
    const d = makeLab('exp9');
    expect(validateLabPath(d).problems).toEqual([]);
    expect(validateLabPath(path.join(d, 'lab.yaml')).problems).toEqual([]);
  });

  it('folder name, missing solution/, unmatched glob, unlisted solution file, missing edit source, broken solution', () => {
    const d = makeLab('exp10', GOOD.replace('  - haproxy/haproxy.cfg\n', '  - haproxy/haproxy.cfg\n  - nginx/*.conf\n').replace('file: haproxy/haproxy.cfg', 'file: haproxy/other.cfg'));
    writeFileSync(path.join(d, 'solution', 'haproxy', 'extra.map'), 'x\n');
    writeFileSync(path.join(d, 'solution', 'haproxy', 'haproxy.cfg'), 'frontend f\n    bind :80\n    block if TRUE\n');
    const r = validateLabPath(d, dir);
    const lines = r.problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    expect(lines).toEqual([
      'exp10/lab.yaml:1: id is "exp9" but the folder is "exp10"',
      'exp10/lab.yaml:7: workspace[1]: "nginx/*.conf" matches no start file',
      'exp10/solution/haproxy/extra.map: solution file is not a workspace file',
      "exp10/solution/haproxy/haproxy.cfg:3: errata 1: the 'block' directive was removed in HAProxy 2.1 (tutorial 5.3.2); haproxy -c rejects it",
      'exp10/lab.yaml:16: steps[0].edit[0].file: solution/haproxy/other.cfg does not exist',
    ]);
    expect(r.problems[3]!.hint).toBe('Fix: write `http-request deny if TRUE` instead: same syntax.');
    rmSync(path.join(d, 'solution'), { recursive: true });
    expect(validateLabPath(d, dir).problems.map((p) => p.message)).toContain('missing folder solution/');
  });

  it('a path that does not exist, or a folder without lab.yaml', () => {
    expect(validateLabPath(path.join(dir, 'nope'), dir).problems[0]).toMatchObject({ file: 'nope', message: 'no such file or folder' });
    mkdirSync(path.join(dir, 'empty'));
    expect(validateLabPath(path.join(dir, 'empty'), dir).problems[0]!.message).toBe('this folder has no lab.yaml');
  });

  describe('through the CLI', () => {
    const lab = async (args: string[]) => {
      const r = await runLab(args, { cwd: dir });
      return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
    };

    it('exit 0 and "ok" for a good lab', async () => {
      const r = await lab(['validate', path.join(labsDir, 'exp2')]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^ok .*exp2\/lab\.yaml/);
    });

    it('exit 1, one line per problem with a hint, never a stack trace', async () => {
      const d = makeLab('exp11');
      writeFileSync(path.join(d, 'lab.yaml'), readFileSync(path.join(d, 'lab.yaml'), 'utf8').replace('steps:', 'titel: x\nsteps:'));
      const r = await lab(['validate', 'exp11']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('exp11/lab.yaml:7: titel: unknown key "titel"\n  hint: Fix: remove "titel"');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const bad = await lab(['validate', 'does-not-exist']);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toContain('does-not-exist: no such file or folder');
    });

    it('--json', async () => {
      const r = await lab(['validate', path.join(labsDir, 'exp1'), '--json']);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [] });
    });
  });

  it('a copied experiment is still valid (adding an experiment is adding a folder)', () => {
    const d = path.join(dir, 'exp7');
    cpSync(path.join(labsDir, 'exp2'), d, { recursive: true });
    writeFileSync(path.join(d, 'lab.yaml'), readFileSync(path.join(d, 'lab.yaml'), 'utf8').replace('id: exp2', 'id: exp7'));
    expect(validateLabPath(d).problems).toEqual([]);
  });
});
