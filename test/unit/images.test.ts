// Content-hash image tags, the base choice, the mirror parsing and the forwarding probe parser. No engine.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  IMAGE_NAMES as IMAGE_ROLES, imageRefs, imagesTemplateDir, clearContextCache, offlineBaseRef, resolveBaseRef, REGISTRY_BASE, imageStatus,
  ensureImages, type ImageName as ImageRole,
} from '../../src/images/index.js';
import { acquireDirLock } from '../../src/util/dir-lock.js';
const acquireBuildLock = (log: (l: string) => void, dir: string) => acquireDirLock(dir, log);
import { silentProgress } from '../../src/progress/progress.js';
import { parseDeb822Mirror, parseSourcesListMirror, debianMirror, DEFAULT_MIRROR } from '../../src/images/mirror.js';
import { detectForwarding, parseForwardingProbe } from '../../src/forwarding/probe.js';
import type { Runtime, ImageInfo } from '../../src/runtime/types.js';

describe('image tags by content hash', () => {
  let copy: string;

  beforeAll(async () => {
    copy = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-images-unit-'));
    await fs.cp(imagesTemplateDir, copy, { recursive: true });
  });

  afterAll(async () => {
    await fs.rm(copy, { recursive: true, force: true });
  });

  it('names every role lab-<role>:<12 hex> and is deterministic', () => {
    const a = imageRefs('lab-base:x');
    const b = imageRefs('lab-base:x');
    expect(a).toEqual(b);
    for (const role of IMAGE_ROLES) expect(a[role]).toMatch(new RegExp(`^lab-${role}:[0-9a-f]{12}$`));
    expect(new Set(Object.values(a)).size).toBe(IMAGE_ROLES.length);
  });

  it('a copy of the templates gives the same tags as the originals', () => {
    clearContextCache();
    expect(imageRefs('lab-base:x', copy)).toEqual(imageRefs('lab-base:x'));
  });

  it.each(IMAGE_ROLES)('changing a file of %s changes that tag and no other', async (role) => {
    clearContextCache();
    const before = imageRefs('lab-base:x', copy);
    const file = path.join(copy, role, 'Dockerfile');
    const original = await fs.readFile(file, 'utf8');
    try {
      await fs.writeFile(file, `${original}# changed\n`);
      clearContextCache();
      const after = imageRefs('lab-base:x', copy);
      for (const r of IMAGE_ROLES) {
        if (r === role) expect(after[r]).not.toBe(before[r]);
        else expect(after[r]).toBe(before[r]);
      }
    } finally {
      await fs.writeFile(file, original);
      clearContextCache();
    }
  });

  it('adding or renaming a file changes the tag', async () => {
    clearContextCache();
    const before = imageRefs('lab-base:x', copy).app;
    const extra = path.join(copy, 'app', 'extra.txt');
    await fs.writeFile(extra, 'x');
    clearContextCache();
    const added = imageRefs('lab-base:x', copy).app;
    await fs.rename(extra, path.join(copy, 'app', 'other.txt'));
    clearContextCache();
    const renamed = imageRefs('lab-base:x', copy).app;
    await fs.rm(path.join(copy, 'app', 'other.txt'));
    clearContextCache();
    expect(added).not.toBe(before);
    expect(renamed).not.toBe(added);
    expect(imageRefs('lab-base:x', copy).app).toBe(before);
  });

  it('a different base changes every tag', () => {
    const a = imageRefs('lab-base:x');
    const b = imageRefs(REGISTRY_BASE);
    for (const r of IMAGE_ROLES) expect(a[r]).not.toBe(b[r]);
  });

  it('defaults to the offline base tag, which is deterministic', () => {
    expect(offlineBaseRef()).toMatch(/^lab-base:bookworm-[0-9a-f]{12}$/);
    expect(imageRefs()).toEqual(imageRefs(offlineBaseRef()));
  });
});

/** Just enough of a Runtime for the image functions that only look. */
function fakeRuntime(tags: Record<string, number>): Runtime {
  const images: ImageInfo[] = Object.entries(tags).map(([t, size], i) => ({ id: `sha256:${i}`, tags: [t], sizeBytes: size, labels: {} }));
  return {
    imageExists: async (ref: string) => ref in tags,
    listImages: async () => images,
  } as unknown as Runtime;
}

describe('base choice and image status', () => {
  it('uses debian:bookworm-slim only when it is local, else the offline base', async () => {
    expect(await resolveBaseRef(fakeRuntime({ [REGISTRY_BASE]: 1 }))).toBe(REGISTRY_BASE);
    expect(await resolveBaseRef(fakeRuntime({}))).toBe(offlineBaseRef());
  });

  it('reports present and missing images with sizes', async () => {
    const refs = imageRefs(offlineBaseRef());
    const st = await imageStatus(fakeRuntime({ [offlineBaseRef()]: 79e6, [refs.haproxy]: 102e6 }));
    expect(st.map((s) => s.role)).toEqual(['base', ...IMAGE_ROLES]);
    expect(st.find((s) => s.role === 'base')).toEqual({ role: 'base', ref: offlineBaseRef(), present: true, sizeBytes: 79e6 });
    expect(st.find((s) => s.role === 'haproxy')).toMatchObject({ present: true, sizeBytes: 102e6 });
    expect(st.find((s) => s.role === 'client')).toEqual({ role: 'client', ref: refs.client, present: false });
  });
});

describe('Debian mirror parsing', () => {
  it('takes the first URIs of a deb822 file, skipping the security archive and comments', () => {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian-security/20250520T000000Z',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb',
      '# URIs: http://commented.example/debian',
      'URIs: http://mirror.example/debian/ http://second.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
    ].join('\n');
    expect(parseDeb822Mirror(text)).toBe('http://mirror.example/debian');
  });

  it('skips deb-src-only and disabled stanzas', () => {
    const text = 'Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n\nTypes: deb deb-src\nURIs: https://on.example/debian\nSuites: bookworm\n';
    expect(parseDeb822Mirror(text)).toBe('https://on.example/debian');
  });

  it('reads this machine\'s deb822 layout', () => {
    const text = 'Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n';
    expect(parseDeb822Mirror(text)).toBe('http://deb.debian.org/debian');
  });

  it('parses one-line sources.list entries with options, skipping comments, deb-src and security', () => {
    const text = [
      '# deb http://commented.example/debian bookworm main',
      'deb-src http://src.example/debian bookworm main',
      'deb http://security.debian.org/debian-security bookworm-security main',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://ftp.example.org/debian/ bookworm main contrib',
    ].join('\n');
    expect(parseSourcesListMirror(text)).toBe('http://ftp.example.org/debian');
  });

  it('returns undefined when nothing matches and falls back to deb.debian.org', async () => {
    expect(parseDeb822Mirror('')).toBeUndefined();
    expect(parseSourcesListMirror('# nothing\n')).toBeUndefined();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-mirror-'));
    try {
      expect(debianMirror({ deb822: path.join(dir, 'none.sources'), list: path.join(dir, 'none.list') })).toBe(DEFAULT_MIRROR);
      await fs.writeFile(path.join(dir, 'sources.list'), 'deb http://list.example/debian bookworm main\n');
      expect(debianMirror({ deb822: path.join(dir, 'none.sources'), list: path.join(dir, 'sources.list') })).toBe('http://list.example/debian');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('forwarding probe parsing', () => {
  it('no IPVS, nftables works → nftables mode', () => {
    const out = "@@IPVS 2\n@@IPVSOUT Can't initialize ipvs: Protocol not available\n@@NFT 0\n";
    const r = parseForwardingProbe(out);
    expect(r.mode).toBe('nftables');
    expect(r.ipvs.ok).toBe(false);
    expect(r.ipvs.detail).toContain('Protocol not available');
    expect(r.nftNat.ok).toBe(true);
  });

  it('IPVS works → ipvs mode', () => {
    const r = parseForwardingProbe('@@IPVS 0\n@@IPVSOUT IP Virtual Server version 1.2.1\n@@NFT 1\n@@NFTOUT Error: Could not process rule\n');
    expect(r.mode).toBe('ipvs');
    expect(r.ipvs.ok).toBe(true);
    expect(r.nftNat).toEqual({ ok: false, detail: 'nft: Error: Could not process rule' });
  });

  it('no markers → both false', () => {
    const r = parseForwardingProbe('');
    expect(r.ipvs.ok).toBe(false);
    expect(r.nftNat.ok).toBe(false);
  });

  // A loaded engine can end the probe container before its output reached the log (a CI run's
  // `lab doctor` once exited 1 beside five e2e files).
  const outputs = (...stdout: string[]) => {
    const calls: string[] = [];
    const runtime = { run: async () => ({ exitCode: 0, stdout: stdout[calls.push('run') - 1] ?? '', stderr: '' }) } as unknown as Runtime;
    return { runtime, calls };
  };
  it('a probe that said nothing is run once more, and its second answer counts', async () => {
    const { runtime, calls } = outputs('', "@@IPVS 2\n@@IPVSOUT Can't initialize ipvs\n@@NFT 0\n");
    const r = await detectForwarding(runtime, 'lab-director:x');
    expect(calls).toHaveLength(2);
    expect(r.mode).toBe('nftables');
    expect(r.nftNat.ok).toBe(true);
  });

  it('a probe that answered is not run again, and two silent ones say so', async () => {
    const once = outputs("@@IPVS 2\n@@NFT 1\n@@NFTOUT Error: no\n");
    expect((await detectForwarding(once.runtime, 'lab-director:x')).nftNat.ok).toBe(false);
    expect(once.calls).toHaveLength(1);
    const silent = outputs('', '');
    const r = await detectForwarding(silent.runtime, 'lab-director:x');
    expect(silent.calls).toHaveLength(2);
    expect(r.ipvs).toEqual({ ok: false, detail: 'probe container exited 0: ' });
  });
});

describe('building what is missing (fake engine)', () => {
  // A lock of our own, so a real build running elsewhere on this machine does not make us wait.
  let LOCK_DIR: string;
  beforeAll(async () => {
    LOCK_DIR = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'lab-images-lock-')), 'lock');
    process.env.LAB_IMAGE_LOCK = LOCK_DIR;
  });
  afterAll(async () => {
    delete process.env.LAB_IMAGE_LOCK;
    await fs.rm(path.dirname(LOCK_DIR), { recursive: true, force: true });
  });

  function buildingRuntime(present: string[]) {
    const have = new Set(present);
    const builds: { tag: string; buildArgs?: Record<string, string>; labels?: Record<string, string>; contextDir: string }[] = [];
    let running = 0;
    let maxRunning = 0;
    const rt = {
      imageExists: async (ref: string) => have.has(ref),
      listImages: async () => [],
      pullImage: async () => {
        throw new Error('no registry');
      },
      buildImage: async (o: { tag: string; buildArgs?: Record<string, string>; labels?: Record<string, string>; contextDir: string }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 20));
        builds.push(o);
        have.add(o.tag);
        running--;
      },
    } as unknown as Runtime;
    return { rt, builds, maxRunning: () => maxRunning };
  }

  it('ensureImages builds only the missing roles, two at a time, with BASE and labels', async () => {
    const base = offlineBaseRef();
    const refs = imageRefs(base);
    const f = buildingRuntime([base, refs.nginx]);
    const log: string[] = [];
    const out = await ensureImages(f.rt, silentProgress((l) => log.push(l)));
    expect(out).toEqual(refs);
    expect(f.builds.map((b) => b.tag).sort()).toEqual(IMAGE_ROLES.filter((r) => r !== 'nginx').map((r) => refs[r]).sort());
    expect(f.maxRunning()).toBe(2);
    for (const b of f.builds) {
      const role = b.tag.slice(4, b.tag.indexOf(':')) as ImageRole;
      expect(b.buildArgs).toEqual({ BASE: base });
      expect(b.labels).toMatchObject({ 'lab.image': role, 'lab.base': base });
      expect(b.contextDir).toBe(path.join(imagesTemplateDir, role));
    }
    expect(log).toContain('Building 4 lab images');
    expect(log.some((l) => l.startsWith(`${refs.nginx}`))).toBe(false);
    // Lock released.
    await expect(fs.access(LOCK_DIR)).rejects.toThrow();
    await ensureImages(f.rt, silentProgress());
    expect(f.builds).toHaveLength(4);
  });

  it('the same path renders through listr2 (the CLI) and builds the same images', async () => {
    const { listrProgress } = await import('../../src/cli/progress.js');
    const base = offlineBaseRef();
    const refs = imageRefs(base);
    const f = buildingRuntime([base, refs.client, refs.app]);
    const { PassThrough } = await import('node:stream');
    const sink = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let text = '';
    sink.on('data', (c: Buffer) => (text += c.toString()));
    expect(await ensureImages(f.rt, listrProgress(sink))).toEqual(refs);
    expect(f.builds.map((b) => b.tag).sort()).toEqual([refs.director, refs.haproxy, refs.nginx].sort());
    expect(text).toContain(`${refs.director} built in`);
    await expect(fs.access(LOCK_DIR)).rejects.toThrow();
  });
});

describe('image-build lock', () => {
  it('a second acquirer waits until the first releases; a stale lock is taken over', async () => {
    const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'lab-lock-')), 'lock');
    try {
      const a = await acquireBuildLock(() => {}, dir);
      let got = false;
      const waits: string[] = [];
      const pending = acquireBuildLock((l) => waits.push(l), dir).then((l) => {
        got = true;
        return l;
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(got).toBe(false);
      expect(waits[0]).toMatch(/waiting for another lab process/);
      a.release();
      const b = await pending;
      b.release();
      // A lock whose owner is dead.
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'pid'), '999999999');
      const log: string[] = [];
      const c = await acquireBuildLock((l) => log.push(l), dir);
      expect(log[0]).toMatch(/stale/);
      c.release();
      await expect(fs.access(dir)).rejects.toThrow();
    } finally {
      await fs.rm(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
