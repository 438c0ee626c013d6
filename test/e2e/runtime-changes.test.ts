// A container's file changes, read from its overlay2 layers on this host (runtime/overlay-changes.ts),
// against the engine's own `docker diff` of the same container: class grading's proof that a node is
// clean rests on them agreeing, path for path and kind for kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { overlayChanges } from '../../src/runtime/overlay-changes.js';
import { scratchContainer } from '../helpers/lab.js';

const runtime = new DockerRuntime();
let name: string;

beforeAll(async () => {
  name = await scratchContainer(runtime, 'rc');
});
afterAll(async () => {
  await runtime.removeContainer(name);
});

const KINDS: Record<string, string> = { A: 'added', C: 'changed', D: 'deleted' };
async function engineDiff(): Promise<Map<string, string>> {
  const { stdout } = await execa('docker', ['diff', name]);
  return new Map(stdout.split('\n').filter(Boolean).map((l) => [l.slice(2), KINDS[l[0]!]!]));
}

describe('a container\'s file changes', () => {
  it('read from its overlay2 layers, agree with the engine\'s docker diff', async () => {
    // Added, changed, deleted, a new tree, a symbolic link out of the container, a directory made and
    // removed again (a probe's mktemp -d), a directory removed and made again (opaque: it hides the
    // image's entries without a whiteout each), a mode changed.
    const script = [
      'echo x > /etc/lab-added', 'echo y >> /etc/debian_version', 'rm -f /etc/issue', 'mkdir -p /srv/a/b', 'echo z > /srv/a/b/c',
      'ln -s /etc/shadow /srv/link', 'd=$(mktemp -d) && touch "$d/f" && rm -rf "$d"', 'rm -rf /etc/default && mkdir /etc/default',
      'chmod 700 /opt',
    ].join(' && ');
    expect((await runtime.exec(name, ['sh', '-c', script])).exitCode).toBe(0);

    const { stdout } = await execa('docker', ['inspect', '-f', '{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}} {{.GraphDriver.Data.LowerDir}} {{.GraphDriver.Data.MergedDir}}', name]);
    const [driver, upper, lower, merged] = stdout.trim().split(' ');
    expect(driver).toBe('overlay2');
    const direct = overlayChanges({ upper: upper!, lowers: lower!.split(':'), merged: merged! });
    expect(direct, `${upper} should be readable here`).toBeDefined();
    const viaRuntime = await runtime.changes(name);
    expect(viaRuntime).toEqual(direct);

    const engine = await engineDiff();
    for (const p of ['/etc/lab-added', '/etc/debian_version', '/etc/issue', '/srv/a/b/c', '/srv/link', '/opt']) expect(engine.has(p), p).toBe(true);
    expect([...engine.keys()].some((p) => p.startsWith('/etc/default/')), 'the opaque directory hides the image\'s entries').toBe(true);
    const mine = new Map(direct!.map((c) => [c.path, c.kind]));
    expect(Object.fromEntries([...mine].sort())).toEqual(Object.fromEntries([...engine].sort()));
  });
});
