// A local git repository, read as its committed HEAD tree without ever letting the student's
// repository configure git.
//
// Why not just run `git ls-tree` in the student's repository? Everything in .git/ is student-written:
//  - .git/config can run programs: core.fsmonitor (run by any command that refreshes the index, e.g.
//    status or diff), core.hooksPath and hooks/ (commit, checkout, merge…), filter.*.clean/smudge and
//    diff.*.textconv (checkout, add, cat-file --filters/--textconv), core.sshCommand, core.gitProxy,
//    credential.helper, gpg.program with log.showSignature, core.pager/core.editor, and
//    extensions.partialClone, which makes a missing object trigger a fetch from a remote the student
//    chose (remote.*.uploadpack runs a command). include.path/includeIf pull in more config from
//    anywhere, and a config that includes /dev/zero never finishes parsing.
//  - objects/info/alternates makes git read objects from any directory on the teacher's disk.
//  - refs/replace/ silently swaps objects; info/attributes adds filters.
//  - safe.directory is only honoured in system/global config, never the repository's, but a repository
//    owned by another user is refused by git's ownership check, so teachers are tempted to set
//    safe.directory=* globally, which re-enables all of the above for every repository on the machine.
// -c overrides and GIT_CONFIG_NOSYSTEM/GIT_CONFIG_GLOBAL only cover the keys we think of.
//
// So we never point git at the student's .git at all. We copy just the data git needs to read a tree
// (HEAD, packed-refs, refs/, objects/ without objects/info/) into a fresh directory we own, refusing
// symlinks and anything that is not a regular file, bounded in bytes and files, and write our own
// minimal `config` there. git then runs with GIT_DIR at that copy, an environment built from scratch
// (no inherited GIT_* variables; no system, global or XDG config; HOME an empty directory; prompts,
// lazy fetches and transports off) and only plumbing that never touches an index or work tree:
// rev-parse, ls-tree and cat-file on blobs (no --filters, no --textconv). What remains is git parsing
// object data, which is what git does for any clone.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceError, TooLargeError, type Entry, type EntryKind, type EntrySource } from './entries.js';

export interface GitLimits {
  /** Bytes copied from the repository's object store and refs. */
  maxRepoBytes: number;
  /** Files copied from it (loose objects, packs, refs). */
  maxRepoFiles: number;
}

const TIMEOUT_MS = 30_000;

/** Settings that, even in our own config, must stay off: belt and braces over the copy. */
const OVERRIDES = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.sshCommand=false',
  'core.gitProxy=',
  'core.alternateRefsCommand=false',
  'core.useReplaceRefs=false',
  'protocol.allow=never',
  'credential.helper=',
  'log.showSignature=false',
  'gpg.program=false',
].flatMap((kv) => ['-c', kv]);

/** A clean environment: only PATH from ours, nothing git-related inherited. */
function gitEnv(gitDir: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: home,
    LC_ALL: 'C',
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_SYSTEM: '/dev/null',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'false',
    SSH_ASKPASS: 'false',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_NO_LAZY_FETCH: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
  };
}

function run(args: string[], gitDir: string, home: string, maxBuffer: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...OVERRIDES, '--no-replace-objects', ...args],
      { cwd: gitDir, env: gitEnv(gitDir, home), encoding: 'buffer', maxBuffer, timeout: TIMEOUT_MS, windowsHide: true },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new SourceError('git is not installed, so a git repository cannot be read', 'Install git (apt-get install -y git), or hand in an archive.'));
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new SourceError(`git ${args[0]} printed more than ${maxBuffer} bytes`));
        if (e.killed) return reject(new SourceError(`git ${args[0]} took longer than ${TIMEOUT_MS / 1000} s`));
        reject(new SourceError(`git ${args[0]} failed: ${stderr.toString('utf8').trim().split('\n').pop() || e.message}`));
      },
    );
  });
}

/** Where the repository data is: `<dir>/.git/`, or `dir` itself when it is a bare repository; or why neither. */
export async function findGitDir(dir: string): Promise<{ gitDir: string } | { notGit: true } | { problem: string; hint: string }> {
  const dotGit = path.join(dir, '.git');
  const st = await fsp.lstat(dotGit).catch(() => undefined);
  if (st?.isDirectory()) return { gitDir: dotGit };
  if (st?.isFile()) {
    return { problem: '.git is a file pointing at another repository (a linked worktree or submodule)', hint: 'Hand in the main repository, or an archive of the files.' };
  }
  if (st) return { problem: `.git is a ${st.isSymbolicLink() ? 'symbolic link' : 'special file'}, refused`, hint: 'Hand in the repository itself, or an archive of the files.' };
  const head = await fsp.lstat(path.join(dir, 'HEAD')).catch(() => undefined);
  const objects = await fsp.lstat(path.join(dir, 'objects')).catch(() => undefined);
  const refs = await fsp.lstat(path.join(dir, 'refs')).catch(() => undefined);
  if (head?.isFile() && objects?.isDirectory() && refs?.isDirectory()) return { gitDir: dir };
  return { notGit: true };
}

/** Copies what git needs to read trees from `src` (a .git directory) to `dest`; refuses links and specials. */
async function copyRepoData(src: string, dest: string, limits: GitLimits): Promise<void> {
  let bytes = 0;
  let files = 0;
  const copyFile = async (rel: string, st: import('node:fs').Stats) => {
    files += 1;
    bytes += st.size;
    if (files > limits.maxRepoFiles || bytes > limits.maxRepoBytes) {
      throw new SourceError(`the repository is too large to read (more than ${limits.maxRepoFiles} files or ${limits.maxRepoBytes} bytes in .git)`, 'Hand in a fresh repository with just the experiment files, or an archive.');
    }
    await fsp.mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
    await fsp.copyFile(path.join(src, rel), path.join(dest, rel));
  };
  const visit = async (rel: string, optional: boolean): Promise<void> => {
    const st = await fsp.lstat(path.join(src, rel)).catch(() => undefined);
    if (!st) {
      if (optional) return;
      throw new SourceError(`the repository has no .git/${rel}`, 'Hand in a complete repository, or an archive of the files.');
    }
    if (st.isSymbolicLink()) throw new SourceError(`.git/${rel} is a symbolic link, refused`, 'Hand in a repository without symbolic links inside .git, or an archive of the files.');
    if (st.isFile()) return copyFile(rel, st);
    if (!st.isDirectory()) throw new SourceError(`.git/${rel} is not a regular file or folder, refused`);
    // Empty folders matter: git only takes a folder with refs/ and objects/ for a repository.
    await fsp.mkdir(path.join(dest, rel), { recursive: true });
    for (const n of (await fsp.readdir(path.join(src, rel))).sort()) {
      // objects/info/ holds alternates (objects from elsewhere on disk) and caches git can do without.
      if (rel === 'objects' && n === 'info') continue;
      await visit(`${rel}/${n}`, false);
    }
  };
  await visit('HEAD', false);
  await visit('packed-refs', true);
  await visit('refs', false);
  await visit('objects', false);
}

/** sha256 repositories name objects with 64 hex digits; our config must say so or git cannot read them. */
async function objectFormat(gitDir: string): Promise<'sha1' | 'sha256'> {
  const objects = path.join(gitDir, 'objects');
  for (const d of await fsp.readdir(objects)) {
    if (/^[0-9a-f]{2}$/.test(d)) {
      const f = (await fsp.readdir(path.join(objects, d)))[0];
      if (f) return f.length === 62 ? 'sha256' : 'sha1';
    }
  }
  const packs = await fsp.readdir(path.join(objects, 'pack')).catch(() => [] as string[]);
  return packs.some((p) => /^pack-[0-9a-f]{64}\.idx$/.test(p)) ? 'sha256' : 'sha1';
}

const MODE_KIND: Record<string, EntryKind> = { '100644': 'file', '100755': 'file', '100664': 'file', '120000': 'symlink', '160000': 'submodule' };

/** Reads the committed HEAD tree of the repository whose git data is at `studentGitDir`. */
export async function gitSource(studentGitDir: string, limits: GitLimits, tmpRoot = os.tmpdir()): Promise<EntrySource & { commit: string }> {
  const work = await fsp.mkdtemp(path.join(tmpRoot, 'lab-grade-git-'));
  const gitDir = path.join(work, 'repo.git');
  const home = path.join(work, 'home');
  const cleanup = () => fsp.rm(work, { recursive: true, force: true });
  let commit: string;
  try {
    await fsp.mkdir(home);
    await copyRepoData(studentGitDir, gitDir, limits);
    const format = await objectFormat(gitDir);
    await fsp.writeFile(
      path.join(gitDir, 'config'),
      format === 'sha256' ? '[core]\n\trepositoryformatversion = 1\n\tbare = true\n[extensions]\n\tobjectformat = sha256\n' : '[core]\n\trepositoryformatversion = 0\n\tbare = true\n',
    );
    commit = (await run(['rev-parse', '--verify', '--quiet', '--end-of-options', 'HEAD^{commit}'], gitDir, home, 4096).catch(() => {
      throw new SourceError("the repository has no commit on HEAD (nothing committed yet, or the commit's objects are not in the repository)", 'Commit the experiment files (git add … && git commit), or hand in the folder without .git.');
    })).toString('utf8').trim();
  } catch (e) {
    await cleanup();
    throw e;
  }
  const oids = new Map<string, { oid: string; size: number }>();

  return {
    commit,
    async list(maxEntries) {
      const out = await run(['ls-tree', '-r', '-z', '-l', '--full-tree', commit], gitDir, home, 16 * 1024 * 1024);
      const entries: Entry[] = [];
      let truncated = false;
      for (const rec of out.toString('utf8').split('\0')) {
        if (!rec) continue;
        if (entries.length >= maxEntries) {
          truncated = true;
          break;
        }
        const tab = rec.indexOf('\t');
        const [mode = '', , oid = '', size = '-'] = rec.slice(0, tab).split(/ +/);
        const name = rec.slice(tab + 1);
        const kind = MODE_KIND[mode] ?? 'other';
        const n = size === '-' ? 0 : Number(size);
        if (kind === 'file' && !oids.has(name)) oids.set(name, { oid, size: n });
        entries.push({ name, kind, size: n });
      }
      return { entries, truncated };
    },

    async read(names, maxBytes) {
      const out = new Map<string, Buffer>();
      for (const name of names) {
        const o = oids.get(name);
        if (!o) throw new SourceError(`no file ${name} in the commit`);
        if (o.size > maxBytes) throw new TooLargeError(name, maxBytes);
        const blob = await run(['cat-file', 'blob', o.oid], gitDir, home, maxBytes + 1);
        if (blob.length > maxBytes) throw new TooLargeError(name, maxBytes);
        out.set(name, blob);
      }
      return out;
    },

    close: cleanup,
  };
}
