// Engine provisioning helpers that need no engine: which systems lab may install docker.io on.
import { describe, it, expect } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readOsRelease, isDebianLike, findExecutable } from '../../src/engine/provision.js';

async function osRelease(text: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-osr-'));
  try {
    await fs.writeFile(path.join(dir, 'os-release'), text);
    return readOsRelease(path.join(dir, 'os-release'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('os-release', () => {
  it('Debian, Ubuntu and derivatives are Debian-like', async () => {
    expect(isDebianLike(await osRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'))).toBe(true);
    expect(isDebianLike(await osRelease('ID=ubuntu\nID_LIKE=debian\n'))).toBe(true);
    expect(isDebianLike(await osRelease('ID=linuxmint\nID_LIKE="ubuntu debian"\n'))).toBe(true);
  });

  it('others are not, and a missing file is not', async () => {
    expect(isDebianLike(await osRelease('ID="fedora"\n'))).toBe(false);
    expect(isDebianLike(await osRelease('ID=alpine\n'))).toBe(false);
    expect(readOsRelease('/nonexistent/os-release')).toBeUndefined();
    expect(isDebianLike(undefined)).toBe(false);
  });

  it('reads the pretty name for error messages', async () => {
    expect((await osRelease('PRETTY_NAME="Fedora Linux 40"\nID=fedora\n'))?.pretty).toBe('Fedora Linux 40');
  });

  it('finds executables on PATH and in sbin dirs', () => {
    expect(findExecutable('sh')).toMatch(/\/sh$/);
    expect(findExecutable('no-such-command-lab')).toBeUndefined();
  });
});
