// ensureImages against the real engine: builds what is missing (all five on a fresh CI machine, with the
// offline debootstrap base), and a second call builds nothing. The images are kept: later tests reuse them.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { ensureImages, imageRefs, imageStatus, resolveBaseRef, IMAGE_NAMES as IMAGE_ROLES } from '../../src/images/index.js';
import { detectForwarding } from '../../src/forwarding/probe.js';
import { silentProgress } from '../../src/progress/progress.js';

const runtime = new DockerRuntime();

async function idsByTag(): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const img of await runtime.listImages()) for (const t of img.tags) ids.set(t, img.id);
  return ids;
}

describe('lab images on the real engine', () => {
  it('ensureImages builds what is missing, then a second call builds nothing', async () => {
    const refs = await ensureImages(runtime, silentProgress());
    const baseRef = await resolveBaseRef(runtime);
    expect(refs).toEqual(imageRefs(baseRef));
    // Every image was either found or built, and now exists.
    for (const role of IMAGE_ROLES) expect(await runtime.imageExists(refs[role]!)).toBe(true);
    const images = await runtime.listImages({ 'lab.image': '' });
    for (const role of IMAGE_ROLES) {
      const img = images.find((i) => i.tags.includes(refs[role]!));
      expect(img?.labels['lab.image']).toBe(role);
    }
    const idsBefore = await idsByTag();

    const second: string[] = [];
    const again = await ensureImages(runtime, silentProgress((l) => second.push(l)));
    expect(again).toEqual(refs);
    // Everything present: no task ran at all (no build, no pull, no debootstrap).
    expect(second).toEqual([]);
    const idsAfter = await idsByTag();
    for (const ref of [baseRef, ...Object.values(refs)]) expect(idsAfter.get(ref)).toBe(idsBefore.get(ref));

    const status = await imageStatus(runtime);
    expect(status.every((s) => s.present && (s.sizeBytes ?? 0) > 0)).toBe(true);
  }, 900_000);

  it('the forwarding probe sees what this kernel does (no IPVS, nftables NAT) and leaves no container', async () => {
    const refs = imageRefs(await resolveBaseRef(runtime));
    // This probe's containers only: other e2e files run beside this one, and their labs' probes come and go.
    const mine = { 'lab.test': `images-probe-${process.pid}` };
    const before = (await runtime.listContainers(mine)).length;
    const r = await detectForwarding(runtime, refs.director!, mine);
    // What the kernel reports: /proc/net/ip_vs exists exactly when IPVS is in the running kernel.
    const kernelHasIpvs = existsSync('/proc/net/ip_vs');
    expect(r.ipvs.ok).toBe(kernelHasIpvs);
    if (!kernelHasIpvs) expect(r.ipvs.detail).toMatch(/ipvs/i);
    expect(r.nftNat.ok).toBe(true);
    expect(r.mode).toBe(kernelHasIpvs ? 'ipvs' : 'nftables');
    expect((await runtime.listContainers(mine)).length).toBe(before);
  }, 60_000);
});
