// Tutorial pointers without the tutorial: labs/tutorial-sections.yaml names every section the labs point
// at, so `lab guide` always says the section's number and title; with the teacher's copy configured
// (LAB_TUTORIAL or lab.config.yaml) it adds file:line. The last block compares the table with the real
// tutorial and runs only where LAB_TUTORIAL names it (CI sets it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hintBody, hintLadder } from '../../src/guide/hints.js';
import { refFinder } from '../../src/guide/index.js';
import { renderMarkdown } from '../../src/guide/render-markdown.js';
import { refLabel, renderSectionsYaml, SECTIONS_FILE, sectionIds, sectionsOf, sectionTable, tutorialRef } from '../../src/guide/tutorial-ref.js';
import { CONFIG_FILE, loadConfig, tutorialFile } from '../../src/labs/config.js';
import { listLabs, loadLab } from '../../src/labs/load.js';
import { FileError, UsageError } from '../../src/util/errors.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Every `tutorial:` value of every lab.yaml, with where it is used. */
function tutorialValues(): { where: string; section: string }[] {
  return listLabs().flatMap((id) => {
    const def = loadLab(id).def;
    return [...(def.tutorial ? [{ where: `${id}`, section: def.tutorial }] : []), ...def.steps.filter((s) => s.tutorial).map((s) => ({ where: `${id} step ${s.id}`, section: s.tutorial! }))];
  });
}

/** A tutorial in the shape of the course's, small. */
const MINI = [
  '# HAProxy 教程',
  '## 五、HAProxy的核心功能',
  '### 5.1 负载均衡算法',
  '#### 5.1.1 轮询（Round Robin）',
  '```',
  '# not a heading',
  '```',
  '## 六、HAProxy实验环境搭建',
  '### 6.2 基础配置模板',
  '### 6.4 测试方法',
  '### 实验二 配置代理后端服务的负载均衡',
  '#### Nginx 配置文件调整',
  '##### 修改前配置（示例）',
  '### Haproxy 独有的sock 操作',
  '',
].join('\n');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tutorial-ref-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the section table (labs/tutorial-sections.yaml)', () => {
  it('resolves every `tutorial:` value of every lab.yaml, lab-level ranges like "6.2–6.4" included', () => {
    const table = sectionTable();
    const values = tutorialValues();
    expect(values.length).toBeGreaterThan(20);
    const missing = values.filter((v) => !sectionIds(v.section).every((id) => table.has(id))).map((v) => `${v.where}: "${v.section}"`);
    expect(missing, `add these to ${path.relative(root, SECTIONS_FILE)} or fix the lab.yaml`).toEqual([]);
  });

  it('sectionsOf names sections as lab.yaml does: chapters, numbers, 实验 and headings under them; code fences are not headings', () => {
    expect(sectionsOf(MINI).map((s) => [s.id, s.title, s.line])).toEqual([
      ['五', 'HAProxy的核心功能', 2],
      ['5.1', '负载均衡算法', 3],
      ['5.1.1', '轮询（Round Robin）', 4],
      ['六', 'HAProxy实验环境搭建', 8],
      ['6.2', '基础配置模板', 9],
      ['6.4', '测试方法', 10],
      ['实验二', '配置代理后端服务的负载均衡', 11],
      ['实验二 Nginx 配置文件调整', 'Nginx 配置文件调整', 12],
      ['实验二 修改前配置（示例）', '修改前配置（示例）', 13],
      ['Haproxy 独有的sock 操作', 'Haproxy 独有的sock 操作', 14],
    ]);
    // The YAML it writes reads back as the same table.
    const file = path.join(dir, 'sections.yaml');
    writeFileSync(file, renderSectionsYaml(sectionsOf(MINI)));
    expect([...sectionTable(file)]).toEqual(sectionsOf(MINI).map((s) => [s.id, s.title]));
  });
});

describe('pointers without the tutorial', () => {
  it('always name the section number and title, and no file', () => {
    expect(tutorialRef('5.1.1')).toEqual({ section: '5.1.1', heading: '轮询（Round Robin）' });
    expect(refLabel(tutorialRef('5.1.1'))).toBe('5.1.1 轮询（Round Robin）');
    expect(refLabel(tutorialRef('实验二 Nginx 配置文件调整'))).toBe('实验二 Nginx 配置文件调整');
    expect(refLabel(tutorialRef('6.2–6.4'))).toBe('6.2–6.4 基础配置模板 – 测试方法');
    expect(refLabel(tutorialRef('9.9'))).toBe('9.9');
    for (const v of tutorialValues()) expect(tutorialRef(v.section).file, v.where).toBeUndefined();
  });

  it('in the guide: the hint and the --print document say number and title', () => {
    const lab = loadLab('exp3');
    const step = lab.def.steps.find((s) => s.tutorial === '5.1.1')!;
    const hint = hintLadder(step, 'en').find((h) => h.kind === 'tutorial')!;
    expect(hintBody(hint, 'en')).toBe('Read the tutorial\'s "5.1.1 轮询（Round Robin）"');
    const md = renderMarkdown(lab, { experiment: 'exp3', labName: 'lab', workspaceRoot: 'workspace/exp3' }, 'zh');
    expect(md).toContain('*教程章节: 5.1 负载均衡算法*');
    expect(md).toContain('*教程章节: 5.1.1 轮询（Round Robin）*');
    expect(md).toContain('读一读教程的「5.1.1 轮询（Round Robin）」\n');
  });
});

describe('pointers with the teacher\'s copy', () => {
  it('add file:line of the heading', () => {
    const file = path.join(dir, 'haproxy-tutorial.zh.md');
    writeFileSync(file, MINI);
    expect(tutorialRef('5.1.1', file)).toEqual({ section: '5.1.1', heading: '轮询（Round Robin）', file, line: 4 });
    expect(tutorialRef('实验二 Nginx 配置文件调整', file)).toMatchObject({ line: 12 });
    expect(tutorialRef('6.2–6.4', file)).toMatchObject({ line: 9 });
    const hint = hintLadder(loadLab('exp3').def.steps.find((s) => s.tutorial === '5.1.1')!, 'zh', (s) => tutorialRef(s, file)).find((h) => h.kind === 'tutorial')!;
    expect(hintBody(hint, 'zh', dir)).toBe('读一读教程的「5.1.1 轮询（Round Robin）」：haproxy-tutorial.zh.md:4');
  });

  it('LAB_TUTORIAL, else `tutorial:` in lab.config.yaml (relative to that file); neither: none', () => {
    const file = path.join(dir, 'course', 'haproxy-tutorial.zh.md');
    expect(tutorialFile(dir, {})).toBeUndefined();
    writeFileSync(path.join(dir, CONFIG_FILE), '# the course tutorial\ntutorial: course/haproxy-tutorial.zh.md\n');
    expect(() => tutorialFile(dir, {})).toThrow(expect.objectContaining({ message: `lab.config.yaml:2: tutorial: no file at ${file}` }));
    mkdirSync(path.dirname(file));
    writeFileSync(file, MINI);
    expect(tutorialFile(dir, {})).toBe(file);
    expect(refFinder(dir, {})('5.1.1')).toMatchObject({ file, line: 4 });
    const other = path.join(dir, 'other.md');
    writeFileSync(other, `\n${MINI}`);
    expect(tutorialFile(dir, { LAB_TUTORIAL: 'other.md' })).toBe(other);
    expect(refFinder(dir, { LAB_TUTORIAL: other })('5.1.1')).toMatchObject({ file: other, line: 5 });
    expect(() => tutorialFile(dir, { LAB_TUTORIAL: 'nope.md' })).toThrow(UsageError);
    expect(() => tutorialFile(dir, { LAB_TUTORIAL: 'nope.md' })).toThrow('LAB_TUTORIAL=nope.md: no such file');
  });
});

describe('lab.config.yaml', () => {
  const config = (text: string) => {
    writeFileSync(path.join(dir, CONFIG_FILE), text);
    return () => loadConfig(dir);
  };

  it('is optional, and may be empty', () => {
    expect(loadConfig(dir)).toEqual({});
    expect(config('# nothing yet\n')()).toEqual({ file: path.join(dir, CONFIG_FILE) });
  });

  it('an unknown key is a one-line error naming file:line and the known keys', () => {
    const load = config('# lab settings\n\ntutoral: x.md\n');
    expect(load).toThrow(FileError);
    expect(load).toThrow(expect.objectContaining({ message: 'lab.config.yaml:3: unknown key "tutoral"', hint: 'Known keys: tutorial.' }));
  });

  it('a wrong type, a YAML error, or a list instead of keys: file:line too', () => {
    expect(config('tutorial:\n  - a.md\n')).toThrow(expect.objectContaining({ message: 'lab.config.yaml:1: tutorial: expected a path to the course tutorial (a string)' }));
    expect(config('tutorial: ""\n')).toThrow(expect.objectContaining({ message: 'lab.config.yaml:1: tutorial: expected a path to the course tutorial' }));
    expect(config('a: 1\na: 2\n')).toThrow(/^lab\.config\.yaml:2: YAML syntax error: /);
    expect(config('- tutorial\n')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^lab\.config\.yaml:1: expected keys and values/) }));
  });

  describe('through the CLI', () => {
    beforeAll(async () => {
      await execa('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root });
    }, 120_000);

    it('lab guide: the config error on one line with its hint, exit 1, no stack; a good config adds file:line', async () => {
      const cli = path.join(root, 'dist/cli/main.js');
      const env = { DOCKER_HOST: 'unix:///nonexistent.sock', NO_COLOR: '1', LAB_TUTORIAL: '' };
      writeFileSync(path.join(dir, CONFIG_FILE), 'tutorial: t.md\ncolour: red\n');
      const bad = await execa('node', [cli, 'guide', 'exp3', '--print'], { cwd: dir, env, reject: false, input: '' });
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toBe('error: lab.config.yaml:2: unknown key "colour"\nhint: Known keys: tutorial.');
      writeFileSync(path.join(dir, CONFIG_FILE), 'tutorial: t.md\n');
      writeFileSync(path.join(dir, 't.md'), MINI);
      const good = await execa('node', [cli, 'guide', 'exp3', '--print', '--lang', 'en'], { cwd: dir, env, reject: false, input: '' });
      expect(good.exitCode, good.stderr).toBe(0);
      expect(good.stdout).toContain('Read the tutorial\'s "5.1.1 轮询（Round Robin）": t.md:4');
    });
  });
});

describe.runIf(process.env.LAB_TUTORIAL)('against the real tutorial (LAB_TUTORIAL)', () => {
  const file = path.resolve(process.env.LAB_TUTORIAL ?? '');

  it('the committed table is what sectionsOf extracts from it (refresh: LAB_TUTORIAL=… npm run docs)', () => {
    expect(existsSync(file), file).toBe(true);
    expect(readFileSync(SECTIONS_FILE, 'utf8')).toBe(renderSectionsYaml(sectionsOf(readFileSync(file, 'utf8'))));
  });

  it('every `tutorial:` value of the labs points at a heading with its title', () => {
    const lines = readFileSync(file, 'utf8').split(/\r?\n/);
    for (const v of tutorialValues()) {
      const ref = tutorialRef(v.section, file);
      expect(ref.line, v.where).toBeGreaterThan(0);
      expect(lines[ref.line! - 1], v.where).toMatch(/^#+ /);
      expect(lines[ref.line! - 1], v.where).toContain(sectionTable().get(sectionIds(v.section)[0]!));
    }
  });
});
