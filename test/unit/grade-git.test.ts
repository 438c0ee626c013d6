// Git submissions: the committed HEAD tree is read, never the work tree, and nothing the student's
// repository configures runs. The fsmonitor trap is first shown to fire with a plain `git status`,
// so the test cannot pass just because the trap was never armed.
import { describe, it, expect, beforeAll, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { walkFiles } from '../../src/util/files.js';
import { readSubmission } from '../../src/grade/submission.js';
import { formatProblem, gradable } from '../../src/grade/types.js';

const exp2 = loadLab('exp2');
const solution = new Map<string, Buffer | string>(walkFiles(exp2.solutionDir).map((rel) => [rel, readFileSync(path.join(exp2.solutionDir, rel))]));
const CFG = 'haproxy/haproxy.cfg';

/** git as a person would run it in the repository: the repository's own config applies. */
function git(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', ['-c', 'user.name=Student', '-c', 'user.email=s@example.invalid', ...args], { cwd, env: { ...env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd }, encoding: 'utf8' });
}

beforeAll(() => {
  try {
    execFileSync('git', ['--version']);
  } catch (e) {
    throw new Error(`these tests need git on PATH (apt-get install -y git): ${(e as Error).message}`);
  }
});

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-grade-git-test-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function repo(name: string, files: Map<string, Buffer | string> = solution, initArgs: string[] = []): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main', ...initArgs);
  for (const [rel, data] of files) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'my exp2');
  return dir;
}

const messages = (s: { problems: Parameters<typeof formatProblem>[0][] }) => s.problems.map(formatProblem).join('\n');

describe('git submissions', () => {
  it('read the committed HEAD tree, not uncommitted edits or untracked files', async () => {
    const dir = repo('alice');
    writeFileSync(path.join(dir, CFG), 'uncommitted edit\n');
    writeFileSync(path.join(dir, 'untracked.txt'), 'x');
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toBe('');
    expect(s.name).toBe('alice');
    expect(s.source).toEqual({ kind: 'git', path: dir, commit: git(dir, 'rev-parse', 'HEAD').trim() });
    expect(s.files.get(CFG)!.equals(Buffer.from(solution.get(CFG)!))).toBe(true);
    expect([...s.files.keys()].sort()).toEqual([...solution.keys()].sort());
  });

  it('read packed objects and packed refs, and a bare repository named x.git', async () => {
    const dir = repo('bob');
    git(dir, 'gc', '-q');
    git(dir, 'pack-refs', '--all');
    expect(existsSync(path.join(dir, '.git', 'refs', 'heads', 'main'))).toBe(false);
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toBe('');
    git(tmp, 'clone', '-q', '--bare', dir, 'carol.git');
    const bare = await readSubmission(path.join(tmp, 'carol.git'), exp2);
    expect(bare.name).toBe('carol');
    expect(bare.source.kind).toBe('git');
    expect(messages(bare)).toBe('');
  });

  it('read sha256 repositories', async () => {
    const s = await readSubmission(repo('dan', solution, ['--object-format=sha256']), exp2);
    expect(messages(s)).toBe('');
    expect(s.source.commit).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never run the repository\'s fsmonitor, hooks, filters, pager or included config', async () => {
    const marker = path.join(tmp, 'PWNED');
    const dir = repo('mallory', new Map([...solution, ['.gitattributes', '* filter=evil diff=evil\n']]));
    const hooks = path.join(dir, 'evil-hooks');
    mkdirSync(hooks);
    for (const h of ['pre-commit', 'post-checkout', 'post-merge', 'post-index-change', 'reference-transaction', 'pre-auto-gc']) {
      writeFileSync(path.join(hooks, h), `#!/bin/sh\ntouch ${marker}\n`);
      chmodSync(path.join(hooks, h), 0o755);
    }
    writeFileSync(path.join(tmp, 'included.cfg'), `[core]\n\tfsmonitor = "touch ${marker}; false"\n`);
    const evil = `touch ${marker}; cat`;
    for (const [k, v] of [
      ['core.fsmonitor', `touch ${marker}; false`],
      ['core.hooksPath', hooks],
      ['core.pager', evil],
      ['core.sshCommand', evil],
      ['filter.evil.clean', evil],
      ['filter.evil.smudge', evil],
      ['filter.evil.required', 'true'],
      ['diff.evil.textconv', evil],
      ['include.path', path.join(tmp, 'included.cfg')],
      ['log.showSignature', 'true'],
      ['gpg.program', evil],
    ]) {
      git(dir, 'config', k!, v!);
    }
    // The trap is armed: a plain `git status` in the repository fires it.
    git(dir, 'status', '--short');
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toBe('');
    expect(s.files.get(CFG)!.equals(Buffer.from(solution.get(CFG)!))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('never read objects through objects/info/alternates (another repository on the teacher\'s disk)', async () => {
    const teacher = repo('teacher', new Map([['haproxy/haproxy.cfg', 'the teacher\'s secret answer\n']]));
    const dir = path.join(tmp, 'eve');
    mkdirSync(dir);
    git(dir, 'init', '-q', '-b', 'main');
    // HEAD points at the teacher's commit; the objects only exist through alternates.
    writeFileSync(path.join(dir, '.git', 'objects', 'info', 'alternates'), `${path.join(teacher, '.git', 'objects')}\n`);
    git(dir, 'update-ref', 'refs/heads/main', git(teacher, 'rev-parse', 'HEAD').trim());
    expect(git(dir, 'show', 'HEAD:haproxy/haproxy.cfg')).toMatch(/secret/);
    const s = await readSubmission(dir, exp2);
    expect(gradable(s)).toBe(false);
    expect(messages(s)).toMatch(/no commit on HEAD/);
    expect([...s.files.values()].some((b) => b.toString().includes('secret'))).toBe(false);
  });

  it('read a repository owned by another user without any safe.directory setting', async () => {
    const dir = repo('frank');
    execFileSync('chown', ['-R', '65534:65534', dir]);
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toBe('');
    expect(s.files.size).toBe(solution.size);
  });

  it('refuse symlinks committed in the tree', async () => {
    const dir = repo('gina');
    symlinkSync('/', path.join(dir, 'root'));
    rmSync(path.join(dir, CFG));
    symlinkSync('/etc/passwd', path.join(dir, CFG));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'links');
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toMatch(/^haproxy\/haproxy\.cfg: is a symbolic link/m);
    expect(messages(s)).toMatch(/^root: is a symbolic link/m);
    expect(s.files.size).toBe(0);
  });

  it('refuse a crafted tree with a ".." entry', async () => {
    const dir = repo('hank');
    const blob = git(dir, 'hash-object', '-w', path.join(dir, CFG)).trim();
    const sub = execFileSync('git', ['mktree'], { cwd: dir, input: `100644 blob ${blob}\tx\n`, encoding: 'utf8' }).trim();
    const root = execFileSync('git', ['mktree'], { cwd: dir, input: `040000 tree ${sub}\t..\n`, encoding: 'utf8' }).trim();
    git(dir, 'reset', '-q', '--soft', git(dir, 'commit-tree', '-m', 'evil', root).trim());
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toMatch(/^\.\.\/x: is a path traversal/m);
  });

  it('a repository without a commit, a .git file and a symlinked .git are problems', async () => {
    const empty = path.join(tmp, 'ivy');
    mkdirSync(empty);
    git(empty, 'init', '-q');
    writeFileSync(path.join(empty, 'x'), 'x');
    expect(messages(await readSubmission(empty, exp2))).toMatch(/no commit on HEAD/);

    const wt = path.join(tmp, 'jack');
    mkdirSync(wt);
    writeFileSync(path.join(wt, '.git'), 'gitdir: /elsewhere\n');
    expect(messages(await readSubmission(wt, exp2))).toMatch(/\.git: \.git is a file pointing at another repository/);

    const linked = path.join(tmp, 'kate');
    mkdirSync(linked);
    symlinkSync(path.join(repo('real'), '.git'), path.join(linked, '.git'));
    expect(messages(await readSubmission(linked, exp2))).toMatch(/\.git is a symbolic link/);
  });

  it('a symlink inside .git/refs or .git/objects is refused', async () => {
    const dir = repo('liam');
    symlinkSync('/etc', path.join(dir, '.git', 'refs', 'heads', 'evil'));
    expect(messages(await readSubmission(dir, exp2))).toMatch(/\.git\/refs\/heads\/evil is a symbolic link, refused/);
  });

  it('a huge object store is refused before git runs', async () => {
    const dir = repo('mia');
    expect(messages(await readSubmission(dir, exp2, { limits: { maxSourceBytes: 1024 } }))).toMatch(/repository is too large/);
  });
});
