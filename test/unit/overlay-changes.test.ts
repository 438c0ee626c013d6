// overlay2's layers read as the engine's list of changes (runtime/overlay-changes.ts): whiteouts and
// names an opaque directory hides are deletions, what the image has is a change, the rest is added; a
// directory copied up only for what it holds is listed when something in it is; links are listed and
// never followed; a layer that is not here answers undefined (the runtime then asks the engine). The
// e2e twin compares a real container with `docker diff`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { overlayChanges, type OverlayLayers } from '../../src/runtime/overlay-changes.js';

let dir: string;
let L: OverlayLayers;
const at = (layer: string, ...p: string[]) => path.join(layer, ...p);
const mkdir = (...p: string[]) => mkdirSync(path.join(...p), { recursive: true });
const write = (p: string, s = 'x') => {
  mkdir(path.dirname(p));
  writeFileSync(p, s);
};
// A whiteout: what overlayfs leaves for a deleted file (mknod needs root, as the engine does).
const whiteout = (p: string) => {
  mkdir(path.dirname(p));
  execFileSync('mknod', [p, 'c', '0', '0']);
};
const sorted = (cs: { path: string; kind: string }[] | undefined) => [...(cs ?? [])].sort((a, b) => a.path.localeCompare(b.path));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-overlay-'));
  // Two image layers (top first), the container's layer, and its view (here a plain copy of what it shows).
  L = { upper: at(dir, 'upper'), lowers: [at(dir, 'img2'), at(dir, 'img1')], merged: at(dir, 'merged') };
  for (const d of [L.upper, ...L.lowers, L.merged]) mkdir(d);
  for (const f of ['etc/hostname', 'etc/issue', 'etc/old', 'tmp/.keep', 'srv/site/a', 'srv/site/b']) write(at(L.lowers[1]!, f));
  whiteout(at(L.lowers[0]!, 'etc/old')); // the image itself removed /etc/old
  for (const f of ['etc/hostname', 'etc/issue', 'tmp/.keep', 'srv/site/a', 'srv/site/b']) write(at(L.merged, f));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('overlayChanges', () => {
  it('lists added, changed and deleted paths, and links without following them', () => {
    write(at(L.upper, 'etc/hostname'), 'b');
    write(at(L.upper, 'etc/new'));
    whiteout(at(L.upper, 'etc/issue'));
    write(at(dir, 'outside/secret'));
    symlinkSync(at(dir, 'outside'), at(L.upper, 'link'));
    mkdir(L.upper, 'opt/deep');
    write(at(L.upper, 'opt/deep/file'));
    expect(sorted(overlayChanges(L))).toEqual([
      { path: '/etc', kind: 'changed' },
      { path: '/etc/hostname', kind: 'changed' },
      { path: '/etc/issue', kind: 'deleted' },
      { path: '/etc/new', kind: 'added' },
      { path: '/link', kind: 'added' },
      { path: '/opt', kind: 'added' },
      { path: '/opt/deep', kind: 'added' },
      { path: '/opt/deep/file', kind: 'added' },
    ]);
  });

  it('a directory copied up for a file that is gone again is no change; one whose mode changed is', () => {
    mkdir(L.upper, 'tmp'); // mktemp -d, then rm -rf: the directory stays in the upper layer, empty
    mkdir(L.upper, 'srv');
    chmodSync(at(L.upper, 'srv'), 0o700);
    write(at(L.merged, 'srv/site/a'));
    // /srv/site's entries all show in the view, so it is not an opaque directory.
    expect(sorted(overlayChanges(L))).toEqual([{ path: '/srv', kind: 'changed' }]);
  });

  it('names an opaque directory hides (rm -rf d && mkdir d) are deletions, not what the image had already removed', () => {
    mkdir(L.upper, 'srv/site');
    rmSync(at(L.merged, 'srv/site'), { recursive: true });
    mkdir(L.merged, 'srv/site');
    mkdir(L.upper, 'etc');
    write(at(L.upper, 'etc/new'));
    write(at(L.merged, 'etc/new'));
    expect(sorted(overlayChanges(L))).toEqual([
      { path: '/etc', kind: 'changed' },
      { path: '/etc/new', kind: 'added' },
      { path: '/srv', kind: 'changed' },
      { path: '/srv/site', kind: 'changed' },
      { path: '/srv/site/a', kind: 'deleted' },
      { path: '/srv/site/b', kind: 'deleted' },
    ]);
  });

  it('an empty upper layer is no change at all', () => {
    expect(overlayChanges(L)).toEqual([]);
  });

  it('answers undefined when the layers are not on this host, or the view is not mounted', () => {
    expect(overlayChanges({ ...L, upper: at(dir, 'absent') })).toBeUndefined();
    expect(overlayChanges({ ...L, merged: at(dir, 'absent') })).toBeUndefined();
    write(at(dir, 'file'));
    expect(overlayChanges({ ...L, upper: at(dir, 'file') })).toBeUndefined();
  });
});
