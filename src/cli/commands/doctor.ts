// `lab doctor [--json] [--fix] [--yes]`: is the engine there, are the images built, what can the kernel
// forward with, do the lab's subnets clash. `--fix` provisions the engine and builds missing images.
import type { Command } from 'commander';
import type { Runtime } from '../../runtime/types.js';
import { ensureEngine } from '../../engine/provision.js';
import { detectForwarding } from '../../forwarding/probe.js';
import { ensureImages, imageStatus, type ImageState } from '../../images/index.js';
import { labSelector } from '../../topology/labels.js';
import { subnetReport } from '../../topology/subnets.js';
import { isLabError } from '../../util/errors.js';
import type { Act } from '../action.js';
import type { Deps, Io } from '../deps.js';
import { note, printJson, say, table } from '../output.js';

export interface Options {
  json?: boolean;
  fix?: boolean;
  yes?: boolean;
}

/** null: could not be tested (engine down or director image missing). */
interface Probe {
  ok: boolean | null;
  detail: string;
}

export interface DoctorReport {
  name: string;
  engine: { ok: boolean; version?: string; apiVersion?: string; os?: string; desktop?: boolean; detail?: string; hint?: string };
  images: ImageState[];
  ipvs: Probe;
  nftNat: Probe;
  forwarding: 'ipvs' | 'nftables' | null;
  subnets: { network: string; subnet: string; conflictsWith?: string }[];
  ok: boolean;
}

const FIX_HINT = 'Run `lab doctor --fix` (add --yes without a terminal).';

export async function diagnose(runtime: Runtime, labName: string): Promise<DoctorReport> {
  const report: DoctorReport = {
    name: labName,
    engine: { ok: false },
    images: [],
    ipvs: { ok: null, detail: 'unknown (engine not reachable)' },
    nftNat: { ok: null, detail: 'unknown (engine not reachable)' },
    forwarding: null,
    subnets: [],
    ok: false,
  };
  try {
    const v = await runtime.version();
    report.engine = { ok: true, version: v.version, apiVersion: v.apiVersion, os: v.os, desktop: v.desktop };
  } catch (e) {
    report.engine = {
      ok: false,
      detail: (e as Error).message,
      hint: isLabError(e) && e.hint ? e.hint : FIX_HINT,
    };
    return report;
  }
  const [images, subnets] = await Promise.all([imageStatus(runtime), subnetReport(runtime, labName)]);
  report.images = images;
  report.subnets = subnets;
  const director = images.find((i) => i.role === 'director');
  if (director?.present) {
    try {
      // With this lab's name, so `lab down` sweeps a probe a killed doctor left behind.
      const fwd = await detectForwarding(runtime, director.ref, labSelector(labName));
      report.ipvs = fwd.ipvs;
      report.nftNat = fwd.nftNat;
      report.forwarding = fwd.ipvs.ok || fwd.nftNat.ok ? fwd.mode : null;
    } catch (e) {
      const detail = `probe failed: ${(e as Error).message}`;
      report.ipvs = { ok: null, detail };
      report.nftNat = { ok: null, detail };
    }
  } else {
    report.ipvs = { ok: null, detail: 'unknown (director image not built yet)' };
    report.nftNat = { ok: null, detail: 'unknown (director image not built yet)' };
  }
  report.ok =
    report.engine.ok &&
    images.every((i) => i.present) &&
    report.forwarding !== null &&
    subnets.every((s) => !s.conflictsWith);
  return report;
}

function mb(bytes?: number): string {
  return bytes === undefined ? '' : `${(bytes / 1e6).toFixed(0)} MB`;
}

function printHuman(io: Io, r: DoctorReport): void {
  const style = io.style;
  const OK = style.green('✓');
  const BAD = style.red('✗');
  const WARN = style.yellow('!');
  const rows: string[][] = [];
  const hints = new Map<number, string>();
  const line = (mark: string, what: string, detail: string, hint?: string) => {
    rows.push([mark, what, detail]);
    if (hint) hints.set(rows.length - 1, hint);
  };

  if (r.engine.ok) {
    line(OK, 'engine', `Docker ${r.engine.version} (API ${r.engine.apiVersion}) on ${r.engine.os || 'unknown OS'}`);
    if (r.engine.desktop) {
      line(WARN, 'desktop', 'Docker Desktop: the host has no route to container addresses; lab up publishes the VIP on a localhost port');
    }
  } else {
    line(BAD, 'engine', `not reachable: ${r.engine.detail ?? ''}`, r.engine.hint ?? FIX_HINT);
  }

  if (!r.engine.ok) {
    line(BAD, 'images', 'unknown (engine not reachable)');
  } else {
    for (const img of r.images) {
      if (img.present) line(OK, `image ${img.role}`, `${img.ref}  ${mb(img.sizeBytes)}`);
      else line(BAD, `image ${img.role}`, `${img.ref}  missing`, 'Run `lab doctor --fix` or `lab up` to build it (about a minute for all images, cold).');
    }
  }

  const probe = (p: Probe, what: string, failIsWarning: boolean, okText: string, hint: string) => {
    if (p.ok === null) line(r.engine.ok ? BAD : WARN, what, p.detail, r.engine.ok ? FIX_HINT : undefined);
    else if (p.ok) line(OK, what, okText);
    else line(failIsWarning ? WARN : BAD, what, `not available: ${p.detail}`, failIsWarning ? undefined : hint);
  };
  const neither = r.ipvs.ok === false && r.nftNat.ok === false;
  probe(r.ipvs, 'ipvs', !neither, 'IPVS works in the kernel (ipvsadm -Ln)', 'This kernel has no IPVS; nftables NAT is the fallback.');
  probe(r.nftNat, 'nftables', r.ipvs.ok === true, 'nftables NAT with a numgen dnat map works',
    'Neither IPVS nor nftables NAT works in a container here, so the directors cannot forward the VIP. Use a kernel with CONFIG_IP_VS or CONFIG_NFT_NAT.');

  if (r.forwarding) {
    line(OK, 'forwarding', r.forwarding === 'ipvs'
      ? 'lab up will use IPVS (keepalived virtual_server)'
      : 'lab up will use nftables (no IPVS in this kernel: the directors forward with an nftables numgen map)');
  } else if (r.engine.ok && r.ipvs.ok !== null) {
    line(BAD, 'forwarding', 'no forwarding mode available');
  } else {
    line(WARN, 'forwarding', 'unknown until the director image is built');
  }

  if (r.engine.ok) {
    for (const s of r.subnets) {
      if (s.conflictsWith) {
        line(BAD, 'subnet', `${s.network} ${s.subnet} overlaps Docker network "${s.conflictsWith}"`,
          `Remove network "${s.conflictsWith}" if it is yours, or give lab up another subnet.`);
      } else {
        line(OK, 'subnet', `${s.network} ${s.subnet}`);
      }
    }
  }

  const text = table(rows).split('\n');
  text.forEach((t, i) => {
    say(io, t);
    const hint = hints.get(i);
    if (hint) say(io, style.dim(`    hint: ${hint}`));
  });
  say(io);
  say(io, r.ok ? `${style.green('ok')} everything lab up needs is in place` : `${style.red('not ok')} see the ✗ lines above`);
}

export async function run(flags: Options, deps: Deps): Promise<number> {
  const { io } = deps;
  const runtime: Runtime = deps.runtime;
  let report = await diagnose(runtime, deps.labName);
  if (flags.fix && !report.ok) {
    if (!report.engine.ok) {
      await ensureEngine(runtime, { yes: !!flags.yes, interactive: io.stdinTTY && io.stderrTTY, log: (s) => note(io, io.errStyle.dim(s)) });
      report = await diagnose(runtime, deps.labName);
    }
    if (report.images.some((i) => !i.present)) {
      note(io, 'building the missing lab images');
      await ensureImages(runtime, deps.progress);
      report = await diagnose(runtime, deps.labName);
    }
  }
  if (flags.json) printJson(io, report);
  else printHuman(io, report);
  return report.ok ? 0 : 1;
}

export function define(program: Command, act: Act): void {
  program
    .command('doctor')
    .description('check the Docker engine, the lab images, IPVS/nftables forwarding and subnet conflicts')
    .option('--json', 'print one JSON document')
    .option('--fix', 'provision what is missing: start or install the engine, build the images')
    .option('-y, --yes', 'with --fix: do not ask before installing or starting the engine')
    .action((flags: Options, cmd: Command) => act(cmd, run, flags));
}
