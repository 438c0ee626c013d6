// `lab images` (list), `lab images save <file>`, `lab images load <file>`, `lab images prune`:
// the lab's images on this engine, in one archive for classrooms without a registry, and the tags of
// older template versions removed (see src/images/bundle.ts and prune.ts).
import path from 'node:path';
import type { Command } from 'commander';
import type { Act } from '../action.js';
import type { Deps } from '../deps.js';
import { note, printJson, say, table } from '../output.js';

const mb = (n: number) => `${Math.round(n / 1e6)} MB`;

export interface ListOptions {
  json: boolean;
}

export async function runList(o: ListOptions, deps: Deps): Promise<number> {
  const { listLabImages } = await import('../../images/prune.js');
  const imgs = await listLabImages(deps.runtime);
  if (o.json) {
    printJson(deps.io, imgs);
    return 0;
  }
  if (!imgs.length) {
    say(deps.io, 'No lab images on this engine (`lab doctor --fix` builds them, `lab images load FILE` loads a bundle).');
    return 0;
  }
  const s = deps.io.style;
  say(
    deps.io,
    table([
      ['IMAGE', 'ROLE', 'ID', 'SIZE', 'STATE'],
      ...imgs.map((i) => [i.ref, i.role, i.id.replace(/^sha256:/, '').slice(0, 12), mb(i.sizeBytes), i.current ? s.green('current') : i.usedBy.length ? `old, used by ${i.usedBy.length} container(s)` : s.dim('old (lab images prune removes it)')]),
    ]),
  );
  return 0;
}

export interface FileOptions {
  file: string;
  json: boolean;
}

export async function runSave(o: FileOptions, deps: Deps): Promise<number> {
  const { saveBundle } = await import('../../images/bundle.js');
  const file = path.resolve(deps.cwd, o.file);
  const m = await saveBundle(deps.runtime, file, { log: (l) => note(deps.io, l) });
  if (o.json) printJson(deps.io, { file, ...m });
  else {
    say(deps.io, `Saved ${m.images.length} images (${mb(m.dockerSave.bytes)}) to ${o.file}:`);
    for (const i of m.images) say(deps.io, `  ${i.ref}  ${i.id.slice(7, 19)}`);
    say(deps.io, `Load it on a classroom machine with: lab images load ${path.basename(o.file)}`);
  }
  return 0;
}

export async function runLoad(o: FileOptions, deps: Deps): Promise<number> {
  const { loadBundle } = await import('../../images/bundle.js');
  const file = path.resolve(deps.cwd, o.file);
  const m = await loadBundle(deps.runtime, file, { log: (l) => note(deps.io, l) });
  if (o.json) printJson(deps.io, { file, ...m });
  else {
    say(deps.io, `Loaded ${m.images.length} images from ${o.file} (saved by lab ${m.labVersion} on ${m.createdAt}); each tag checked against its image ID.`);
    for (const i of m.images) say(deps.io, `  ${i.ref}  ${i.id.slice(7, 19)}`);
  }
  return 0;
}

export interface PruneOptions {
  dryRun: boolean;
  json: boolean;
}

export async function runPrune(o: PruneOptions, deps: Deps): Promise<number> {
  const { pruneImages } = await import('../../images/prune.js');
  const r = await pruneImages(deps.runtime, { dryRun: o.dryRun });
  if (o.json) {
    printJson(deps.io, r);
    return r.failed.length ? 1 : 0;
  }
  const verb = o.dryRun ? 'Would remove' : 'Removed';
  if (!r.removed.length) say(deps.io, 'No lab images of older template versions to remove.');
  else {
    say(deps.io, `${verb} ${r.removed.length} old lab image tag(s):`);
    for (const i of r.removed) say(deps.io, `  ${i.ref}  (${i.role}, ${mb(i.sizeBytes)})`);
  }
  for (const i of r.inUse) say(deps.io, `Kept ${i.ref}: used by ${i.usedBy.length ? i.usedBy.join(', ') : 'a container (through another tag)'}`);
  for (const f of r.failed) note(deps.io, `${deps.io.errStyle.red('error:')} could not remove ${f.image.ref}: ${f.message}`);
  return r.failed.length ? 1 : 0;
}

/** `images` has a --json of its own, and commander may hand a subcommand's to it. */
const parentJson = (cmd: Command) => !!(cmd.parent?.opts() as { json?: boolean } | undefined)?.json;

export function define(program: Command, act: Act): void {
  const images = program
    .command('images')
    .description("the lab's images on this engine: list them, save them to one file, load that file, prune older versions")
    .option('--json', 'print the list as JSON')
    .action((f: { json?: boolean }, cmd: Command) => act(cmd, runList, { json: !!f.json }));
  images
    .command('save')
    .description('write every lab image (base and roles) into FILE, with a manifest of tags, image IDs and checksums')
    .argument('<file>', 'the bundle to write, e.g. lab-images.tar')
    .option('--json', 'print the manifest as JSON')
    .action((file: string, f: { json?: boolean }, cmd: Command) => act(cmd, runSave, { file, json: !!(f.json || parentJson(cmd)) }));
  images
    .command('load')
    .description('load a bundle made by `lab images save`, after checking it is this lab version\'s and unchanged')
    .argument('<file>', 'the bundle')
    .option('--json', 'print the manifest as JSON')
    .action((file: string, f: { json?: boolean }, cmd: Command) => act(cmd, runLoad, { file, json: !!(f.json || parentJson(cmd)) }));
  images
    .command('prune')
    .description('remove lab image tags of older template versions (never an image a container uses)')
    .option('--dry-run', 'only say what would be removed')
    .option('--json', 'print what was removed as JSON')
    .action((f: { dryRun?: boolean; json?: boolean }, cmd: Command) => act(cmd, runPrune, { dryRun: !!f.dryRun, json: !!(f.json || parentJson(cmd)) }));
}
