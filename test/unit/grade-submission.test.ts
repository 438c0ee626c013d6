// Intake of untrusted submissions: layouts students really hand in, and a corpus of hostile archives
// and folders built here. Every hostile case must end in a problem naming the entry, an empty file
// set, and nothing written anywhere.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/labs/load.js';
import { walkFiles } from '../../src/util/files.js';
import { readSubmission, submissionName } from '../../src/grade/submission.js';
import { stageFiles } from '../../src/grade/staging.js';
import { submissionHash } from '../../src/grade/submission-hash.js';
import { formatProblem, gradable, type LabWorkspace } from '../../src/grade/types.js';
import { makeTarGz, makeTar, makeZip, type ZipEntry } from '../fixtures/grade/archives.js';

const exp2 = loadLab('exp2');
const solution = new Map(walkFiles(exp2.solutionDir).map((rel) => [rel, readFileSync(path.join(exp2.solutionDir, rel))]));
const CFG = 'haproxy/haproxy.cfg';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-grade-test-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes `files` under tmp/<dir>/<prefix>. */
function folder(dir: string, files: Map<string, Buffer | string>, prefix = ''): string {
  const root = path.join(tmp, dir);
  for (const [rel, data] of files) {
    const f = path.join(root, prefix, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, data);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

function zipOf(name: string, entries: ZipEntry[]): string {
  const f = path.join(tmp, name);
  writeFileSync(f, makeZip(entries));
  return f;
}

const solutionEntries = (prefix = ''): ZipEntry[] => [...solution].map(([rel, data]) => ({ name: prefix + rel, data, deflate: true }));
const messages = (s: { problems: Parameters<typeof formatProblem>[0][] }) => s.problems.map(formatProblem).join('\n');

/** Everything under tmp, to prove intake wrote nothing. */
const snapshot = () => walkFiles(tmp).join('\n');

describe('names', () => {
  it('are the base name without archive extensions', () => {
    expect(submissionName('/x/alice.tar.gz')).toBe('alice');
    expect(submissionName('/x/Bob.TGZ')).toBe('Bob');
    expect(submissionName('/x/carol.zip')).toBe('carol');
    expect(submissionName('/x/dave.git')).toBe('dave');
    expect(submissionName('/x/张三/')).toBe('张三');
    expect(submissionName('/x/erin.v2.tar')).toBe('erin.v2');
  });
});

describe('layouts students hand in', () => {
  const cases: [string, string][] = [
    ['at the top level', ''],
    ['under workspace/exp2/', 'workspace/exp2/'],
    ['in the exp2 folder itself', 'exp2/'],
    ['wrapped in one folder', 'alice/'],
    ['wrapped, under workspace/exp2/', 'alice-hw2/workspace/exp2/'],
  ];
  for (const [what, prefix] of cases) {
    it(`finds the files ${what} (folder and zip alike)`, async () => {
      const dir = folder('alice', solution, prefix);
      const fromDir = await readSubmission(dir, exp2);
      expect(messages(fromDir)).toBe('');
      expect([...fromDir.files.keys()].sort()).toEqual([...solution.keys()].sort());
      expect(fromDir.files.get(CFG)!.equals(solution.get(CFG)!)).toBe(true);
      expect(fromDir.name).toBe('alice');
      expect(fromDir.source.kind).toBe('folder');

      const fromZip = await readSubmission(zipOf('alice.zip', solutionEntries(prefix)), exp2);
      expect(messages(fromZip)).toBe('');
      expect(fromZip.source.kind).toBe('zip');
      expect(submissionHash(fromZip)).toBe(submissionHash(fromDir));
    });
  }

  it('takes exp2/ from a whole workspace with the other experiments beside it', async () => {
    const files = new Map<string, Buffer | string>([...solution].map(([k, v]) => [`exp2/${k}`, v]));
    files.set('exp1/haproxy/haproxy.cfg', 'global\n');
    files.set('exp3/haproxy/haproxy.cfg', 'global\n');
    const s = await readSubmission(folder('bob', files), exp2);
    expect(messages(s)).toBe('');
    expect(s.files.get(CFG)!.equals(solution.get(CFG)!)).toBe(true);
    expect(s.ignored).toEqual(['exp1/haproxy/haproxy.cfg', 'exp3/haproxy/haproxy.cfg']);
  });

  it('lists extra files as ignored, with noise folders (.git, __MACOSX) collapsed to one line', async () => {
    const s = await readSubmission(
      zipOf('carol.zip', [
        ...solutionEntries('carol/'),
        { name: 'carol/README.md', data: '# notes' },
        { name: 'carol/haproxy/haproxy.cfg.bak', data: 'old' },
        { name: 'carol/.git/objects/ab/cdef', data: 'x' },
        { name: 'carol/.git/HEAD', data: 'ref: refs/heads/main\n' },
        { name: '__MACOSX/carol/._README.md', data: 'x' },
        { name: 'carol/nginx/conf.d/._x.conf', data: 'apple double' },
      ]),
      exp2,
    );
    expect(messages(s)).toBe('');
    expect(s.ignored).toEqual(['__MACOSX/', 'carol/.git/', 'carol/README.md', 'carol/haproxy/haproxy.cfg.bak', 'carol/nginx/conf.d/._x.conf']);
    expect(s.files.has('nginx/conf.d/._x.conf')).toBe(false);
  });

  it('says which required file is missing, and still returns a submission (not a crash)', async () => {
    const only = new Map([...solution].filter(([k]) => k !== CFG));
    const s = await readSubmission(folder('dan', only), exp2);
    expect(gradable(s)).toBe(false);
    expect(s.problems).toEqual([expect.objectContaining({ file: CFG, message: 'is missing' })]);
    const none = await readSubmission(folder('erin', new Map([['notes.txt', 'hello']])), exp2);
    expect(messages(none)).toMatch(/none of exp2's files is in the submission/);
    expect(none.problems[0]!.hint).toMatch(/notes\.txt/);
  });

  it('refuses to guess between two equally good copies', async () => {
    const files = new Map<string, Buffer>();
    for (const [k, v] of solution) {
      files.set(`v1/${k}`, v);
      files.set(`v2/${k}`, v);
    }
    const s = await readSubmission(folder('fay', files), exp2);
    expect(messages(s)).toMatch(/more than one place: v1\/ and v2\//);
  });

  it('a missing path or an unknown kind of file is a problem, not an exception', async () => {
    expect(messages(await readSubmission(path.join(tmp, 'nobody.zip'), exp2))).toMatch(/does not exist/);
    writeFileSync(path.join(tmp, 'gus.rar'), 'Rar!');
    expect(messages(await readSubmission(path.join(tmp, 'gus.rar'), exp2))).toMatch(/not a submission lab can read/);
    writeFileSync(path.join(tmp, 'hal.zip'), 'this is not a zip');
    expect(messages(await readSubmission(path.join(tmp, 'hal.zip'), exp2))).toMatch(/not a readable zip/);
    writeFileSync(path.join(tmp, 'ian.tar.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    expect(messages(await readSubmission(path.join(tmp, 'ian.tar.gz'), exp2))).toMatch(/not a readable tar/);
  });
});

describe('tar archives', () => {
  it('reads .tar.gz, .tgz and .tar, with ./ prefixes as tar czf . makes them', async () => {
    const entries = [{ name: './', type: '5' as const }, ...[...solution].map(([rel, data]) => ({ name: `./${rel}`, data }))];
    for (const [name, bytes] of [['a.tar.gz', makeTarGz(entries)], ['b.tgz', makeTarGz(entries)], ['c.tar', makeTar(entries)]] as const) {
      writeFileSync(path.join(tmp, name), bytes);
      const s = await readSubmission(path.join(tmp, name), exp2);
      expect(messages(s)).toBe('');
      expect(s.source.kind).toBe('tar');
      expect(s.files.get(CFG)!.equals(solution.get(CFG)!)).toBe(true);
    }
  });
});

describe('hostile submissions', () => {
  const good = (prefix = '') => [...solution].map(([rel, data]) => ({ name: prefix + rel, data }));
  const tenMiB = Buffer.alloc(10 * 1024 * 1024, 'a');
  const binary = Buffer.concat([Buffer.from('global\n'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1])]);
  const latin1 = Buffer.from('global\n  # caf\xe9\n', 'latin1');

  /** Each hostile case as zip and tar.gz: entries, the expected problem, and whether files are withheld. */
  const corpus: { what: string; zip?: ZipEntry[]; tar?: Parameters<typeof makeTar>[0]; problem: RegExp }[] = [
    { what: 'zip-slip ../../x', zip: [...good(), { name: '../../x', data: 'pwned' }], tar: [...good(), { name: '../../x', data: 'pwned' }], problem: /\.\.\/\.\.\/x: is a path traversal/ },
    { what: 'traversal inside a folder', zip: [...good(), { name: 'haproxy/../../../x', data: 'p' }], tar: [...good(), { name: 'haproxy/../../../x', data: 'p' }], problem: /path traversal/ },
    { what: 'Windows traversal ..\\..\\x', zip: [...good(), { name: '..\\..\\x', data: 'p' }], tar: [...good(), { name: '..\\..\\x', data: 'p' }], problem: /path traversal/ },
    { what: 'absolute /etc/passwd', zip: [...good(), { name: '/etc/passwd', data: 'root::0:0::/:/bin/sh' }], tar: [...good(), { name: '/etc/passwd', data: 'root' }], problem: /\/etc\/passwd: is an absolute path/ },
    { what: 'drive letter C:/x', zip: [...good(), { name: 'C:/x', data: 'p' }], problem: /C:\/x: is an absolute path/ },
    { what: 'symlink to /', zip: [...good(), { name: 'root', data: '/', mode: 0o120777 }], tar: [...good(), { name: 'root', type: '2', linkname: '/' }], problem: /^root: is a symbolic link/m },
    { what: 'haproxy.cfg as a symlink to /etc/shadow', zip: [...good().filter((e) => e.name !== CFG), { name: CFG, data: '/etc/shadow', mode: 0o120777 }], tar: [...good().filter((e) => e.name !== CFG), { name: CFG, type: '2', linkname: '/etc/shadow' }], problem: /haproxy\/haproxy\.cfg: is a symbolic link/ },
    { what: 'hard link', tar: [...good(), { name: 'x', type: '1', linkname: '/etc/passwd' }], problem: /x: is a hard link/ },
    { what: 'character device', zip: [...good(), { name: 'null', mode: 0o020666 }], tar: [...good(), { name: 'null', type: '3' }], problem: /null: is a device file/ },
    { what: 'FIFO', tar: [...good(), { name: 'pipe', type: '6' }], problem: /pipe: is a named pipe/ },
    { what: 'encrypted entry', zip: [...good().filter((e) => e.name !== CFG), { name: CFG, data: 'x', encrypted: true }], problem: /haproxy\.cfg: is encrypted/ },
    { what: 'the same file twice', zip: [...good(), { name: CFG, data: 'second copy' }], tar: [...good(), { name: CFG, data: 'second' }], problem: /haproxy\.cfg: appears twice/ },
    { what: 'control characters in a name', zip: [...good(), { name: 'a\x1b[31mred', data: 'x' }], problem: /a\\u001b\[31mred: has control characters/ },
  ];

  for (const c of corpus) {
    for (const fmt of ['zip', 'tar.gz'] as const) {
      const entries = fmt === 'zip' ? c.zip : c.tar;
      if (!entries) continue;
      it(`${fmt}: ${c.what} is refused before anything is read or written`, async () => {
        const file = path.join(tmp, 'sub', `mallory.${fmt}`);
        mkdirSync(path.dirname(file));
        writeFileSync(file, fmt === 'zip' ? makeZip(entries as ZipEntry[]) : makeTarGz(entries as Parameters<typeof makeTar>[0]));
        const before = snapshot();
        const s = await readSubmission(file, exp2);
        expect(messages(s)).toMatch(c.problem);
        expect(s.files.size).toBe(0);
        expect(gradable(s)).toBe(false);
        expect(snapshot()).toBe(before);
        expect(existsSync(path.resolve(file, '..', '..', 'x'))).toBe(false);
        expect(existsSync(path.resolve(os.tmpdir(), '..', 'x'))).toBe(false);
      });
    }
  }

  it('zip and tar.gz: a 10 MiB haproxy.cfg is refused without unpacking it', async () => {
    const withBig = [...good().filter((e) => e.name !== CFG), { name: CFG, data: tenMiB }];
    writeFileSync(path.join(tmp, 'big.zip'), makeZip(withBig.map((e) => ({ ...e, deflate: true }))));
    writeFileSync(path.join(tmp, 'big.tar.gz'), makeTarGz(withBig));
    for (const f of ['big.zip', 'big.tar.gz']) {
      const s = await readSubmission(path.join(tmp, f), exp2);
      expect(messages(s)).toMatch(/haproxy\/haproxy\.cfg: is 10 MiB, more than the 256 KiB a config file may be/);
      expect(s.files.has(CFG)).toBe(false);
    }
  });

  it('zip: a header that under-declares the size (a zip bomb in disguise) is caught while reading', async () => {
    const lying = [...good().filter((e) => e.name !== CFG).map((e) => ({ ...e })), { name: CFG, data: tenMiB, deflate: true, declaredSize: 100 }];
    const s = await readSubmission(zipOf('liar.zip', lying), exp2);
    expect(gradable(s)).toBe(false);
    expect(messages(s)).toMatch(/haproxy\/haproxy\.cfg holds more or fewer bytes than the zip archive declares/);
    expect(s.files.has(CFG)).toBe(false);
  });

  it('tar.gz: a gzip bomb stops at maxSourceBytes', async () => {
    writeFileSync(path.join(tmp, 'bomb.tar.gz'), makeTarGz([...good(), { name: 'junk.bin', data: Buffer.alloc(4 * 1024 * 1024) }]));
    const s = await readSubmission(path.join(tmp, 'bomb.tar.gz'), exp2, { limits: { maxSourceBytes: 1024 * 1024 } });
    expect(messages(s)).toMatch(/unpacks to more than 1048576 bytes/);
  });

  it('an ignored large file is fine: only experiment files are read', async () => {
    const s = await readSubmission(zipOf('video.zip', [...solutionEntries(), { name: 'demo.mp4', data: tenMiB, deflate: true }]), exp2);
    expect(messages(s)).toBe('');
    expect(s.ignored).toEqual(['demo.mp4']);
  });

  it('a binary haproxy.cfg and a non-UTF-8 Nginx file are refused with the line', async () => {
    const conf = 'nginx/conf.d/go-backend.liujun.com.conf';
    const entries = [...good().filter((e) => e.name !== CFG && e.name !== conf), { name: CFG, data: binary }, { name: conf, data: latin1 }];
    for (const [f, bytes] of [['bin.zip', makeZip(entries)], ['bin.tar.gz', makeTarGz(entries)]] as const) {
      writeFileSync(path.join(tmp, f), bytes);
      const s = await readSubmission(path.join(tmp, f), exp2);
      expect(messages(s)).toMatch(/haproxy\/haproxy\.cfg:2: is a binary file/);
      expect(messages(s)).toMatch(/go-backend\.liujun\.com\.conf:2: is not valid UTF-8 \(byte 0xe9 at offset 14\)/);
    }
  });

  it('too many entries, too many files, too many bytes altogether', async () => {
    const many = [...good(), ...Array.from({ length: 30 }, (_, i) => ({ name: `junk/${i}.txt`, data: 'x' }))];
    expect(messages(await readSubmission(zipOf('many.zip', many), exp2, { limits: { maxEntries: 20 } }))).toMatch(/more than 20 files and folders/);
    expect(messages(await readSubmission(zipOf('files.zip', good()), exp2, { limits: { maxFiles: 3 } }))).toMatch(/9 experiment files, more than the 3 allowed/);
    expect(messages(await readSubmission(zipOf('total.zip', good()), exp2, { limits: { maxTotalBytes: 2000 } }))).toMatch(/the experiment files come to .* more than the 2 KiB allowed/);
  });

  it('folder: a symlink to / anywhere in the folder is refused, and never followed', async () => {
    const dir = folder('mallory', solution);
    symlinkSync('/', path.join(dir, 'root'));
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toMatch(/^root: is a symbolic link \(→ \/\)/m);
    expect(s.files.size).toBe(0);
  });

  it('folder: haproxy.cfg as a symlink to a file outside is refused', async () => {
    const dir = folder('mallory', new Map([...solution].filter(([k]) => k !== CFG)));
    writeFileSync(path.join(tmp, 'secret'), 'teacher only');
    mkdirSync(path.join(dir, 'haproxy'));
    symlinkSync(path.join(tmp, 'secret'), path.join(dir, CFG));
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toMatch(/haproxy\/haproxy\.cfg: is a symbolic link/);
    expect([...s.files.values()].some((b) => b.toString().includes('teacher only'))).toBe(false);
  });

  it('folder: a FIFO is refused (reading it would hang the run)', async () => {
    const dir = folder('mallory', solution);
    execFileSync('mkfifo', [path.join(dir, 'haproxy', 'pipe.cfg')]);
    const s = await readSubmission(dir, exp2);
    expect(messages(s)).toMatch(/haproxy\/pipe\.cfg: is a named pipe/);
  });

  it('the submission path itself may not be a symlink', async () => {
    const dir = folder('real', solution);
    symlinkSync(dir, path.join(tmp, 'alias'));
    expect(messages(await readSubmission(path.join(tmp, 'alias'), exp2))).toMatch(/is a symbolic link; submissions are never followed/);
  });
});

describe('configs that run code', () => {
  it('are refused with the file, line and directive, unless the experiment allows the rule', async () => {
    const cfg = `${solution.get(CFG)!.toString()}\nglobal\n    lua-load /etc/haproxy/evil.lua\n`;
    const files = new Map<string, Buffer | string>(solution);
    files.set(CFG, cfg);
    const line = cfg.split('\n').findIndex((l) => l.includes('lua-load')) + 1;
    const s = await readSubmission(folder('lua', files), exp2);
    expect(s.problems).toEqual([expect.objectContaining({ file: CFG, line, message: expect.stringMatching(/^`lua-load`: loads and runs Lua code.*exp2 does not allow configs that run code/) })]);
    expect(s.findings).toEqual([{ file: CFG, line, directive: 'lua-load', rule: 'haproxy:lua', message: expect.any(String) }]);

    const allowed = await readSubmission(folder('lua2', files), exp2, { allowCode: ['haproxy:lua'] });
    expect(allowed.problems).toEqual([]);
    expect(allowed.findings).toHaveLength(1);
  });

  it('keepalived and runbook files come from the lab\'s own globs', async () => {
    const lab: LabWorkspace = { id: 'exp9', def: { workspace: ['haproxy/haproxy.cfg', 'keepalived/*.conf', 'runbook.sh'] } };
    const s = await readSubmission(
      folder('kim', new Map([
        [CFG, 'global\n'],
        ['keepalived/lvs1.conf', 'vrrp_instance VI_1 {\n  state MASTER\n  notify_master "/bin/sh -c id"\n}\n'],
        ['runbook.sh', '#!/bin/sh\necho hi\n'],
      ])),
      lab,
    );
    expect(s.problems.map((p) => [p.file, p.line])).toEqual([['keepalived/lvs1.conf', 3]]);
    expect([...s.files.keys()].sort()).toEqual([CFG, 'keepalived/lvs1.conf', 'runbook.sh']);
  });
});

describe('staging', () => {
  it('writes the accepted files into a fresh private folder, and nothing else', async () => {
    const s = await readSubmission(zipOf('alice.zip', solutionEntries('alice/')), exp2);
    const dir = await stageFiles(s.files, tmp);
    try {
      expect(path.dirname(dir)).toBe(tmp);
      expect(walkFiles(dir)).toEqual([...solution.keys()].sort());
      expect(readFileSync(path.join(dir, CFG)).equals(solution.get(CFG)!)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses a path that is not normalised, even from a hand-built map', async () => {
    await expect(stageFiles(new Map([['../escape', Buffer.from('x')]]), tmp)).rejects.toThrow(/refusing to stage/);
    await expect(stageFiles(new Map([['/abs', Buffer.from('x')]]), tmp)).rejects.toThrow(/refusing to stage/);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('the submission hash', () => {
  it('changes with any file or problem, not with the container format', async () => {
    const a = await readSubmission(folder('a', solution), exp2);
    const changed = new Map<string, Buffer | string>(solution);
    changed.set(CFG, `${solution.get(CFG)}\n# one more line\n`);
    const b = await readSubmission(folder('b', changed), exp2);
    expect(submissionHash(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(submissionHash(b)).not.toBe(submissionHash(a));
    expect(submissionHash({ files: a.files, problems: [{ message: 'x' }] })).not.toBe(submissionHash(a));
  });
});
