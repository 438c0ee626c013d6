// ensureImages against the real engine: builds what is missing (all five on a fresh CI machine, with the
// offline debootstrap base), and a second call builds nothing. The images are kept: later tests reuse them.
import { describe, it, expect } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { ensureImages, imageRefs, imageStatus, resolveBaseRef, IMAGE_ROLES } from '../../src/images/index.js';
import { detectForwarding } from '../../src/engine/index.js';

const runtime = new DockerRuntime();

async function idsByTag(): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const img of await runtime.listImages()) for (const t of img.tags) ids.set(t, img.id);
  return ids;
}

describe('lab images on the real engine', () => {
  it('ensureImages builds what is missing, then a second call builds nothing', async () => {
    const first: string[] = [];
    const refs = await ensureImages(runtime, (l) => first.push(l));
    const baseRef = await resolveBaseRef(runtime);
    expect(refs).toEqual(imageRefs(baseRef));
    // Every role was either found or built, and now exists.
    for (const role of IMAGE_ROLES) {
      expect(first.some((l) => l === `${refs[role]} is present` || l.startsWith(`built ${refs[role]} in `))).toBe(true);
      expect(await runtime.imageExists(refs[role])).toBe(true);
    }
    const images = await runtime.listImages({ 'lab.image': '' });
    for (const role of IMAGE_ROLES) {
      const img = images.find((i) => i.tags.includes(refs[role]));
      expect(img?.labels['lab.image']).toBe(role);
    }
    const idsBefore = await idsByTag();

    const second: string[] = [];
    const again = await ensureImages(runtime, (l) => second.push(l));
    expect(again).toEqual(refs);
    expect(second.filter((l) => /^(building|built|pulling|no registry answered|debootstrap)/.test(l))).toEqual([]);
    expect(second).toContain(`base image ${baseRef} is present`);
    for (const role of IMAGE_ROLES) expect(second).toContain(`${refs[role]} is present`);
    const idsAfter = await idsByTag();
    for (const ref of [baseRef, ...Object.values(refs)]) expect(idsAfter.get(ref)).toBe(idsBefore.get(ref));

    const status = await imageStatus(runtime);
    expect(status.every((s) => s.present && (s.sizeBytes ?? 0) > 0)).toBe(true);
  }, 900_000);

  it('the forwarding probe sees what this kernel does (no IPVS, nftables NAT) and leaves no container', async () => {
    const refs = imageRefs(await resolveBaseRef(runtime));
    const before = (await runtime.listContainers({ 'lab.probe': '' })).length;
    const r = await detectForwarding(runtime, refs.director);
    // The machines this project runs on have CONFIG_IP_VS unset and CONFIG_NFT_NAT set (shared/environment.md).
    expect(r.ipvs.ok).toBe(false);
    expect(r.ipvs.detail).toMatch(/ipvs/i);
    expect(r.nftNat.ok).toBe(true);
    expect(r.mode).toBe('nftables');
    expect((await runtime.listContainers({ 'lab.probe': '' })).length).toBe(before);
  }, 60_000);
});
