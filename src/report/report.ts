// `lab report`: one archive a teacher can ask a student for. It holds what a teacher needs to see why a
// lab misbehaves: `lab status --json`, `lab doctor --json`, each node's last log lines, the workspace
// files, and the last `lab check` result of each experiment. It never holds a private key (the CA's, a
// leaf's, an HAProxy bundle) or a password: key files are left out whole, passwords masked everywhere
// (src/report/mask.ts), and manifest.json says what was left out and why.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import type { Runtime } from '../runtime/types.js';
import { observeLab, type LabView } from '../lifecycle/observe.js';
import { labStatus } from '../lifecycle/status.js';
import { listLabs, loadLab } from '../labs/load.js';
import { readLastResult } from '../state/store.js';
import { workspaceFiles } from '../workspace/replace.js';
import { walkFiles } from '../util/files.js';
import { textProblem } from '../util/text.js';
import { LAB_VERSION } from '../version.js';
import { findSecrets, isKeyMaterial, maskText, passwordsIn } from './mask.js';
import { readSecrets } from '../state/secrets.js';

/** Lines of each node's log in the report. */
export const LOG_LINES = 200;

export interface ReportOptions {
  labName: string;
  cwd: string;
  /** The archive to write (absolute). */
  out: string;
  now: Date;
  /** `lab doctor`'s diagnosis (passed in: it lives with the doctor command). */
  diagnose(runtime: Runtime, labName: string): Promise<unknown>;
}

export interface ReportResult {
  file: string;
  /** Paths inside the archive (below its top folder). */
  included: string[];
  leftOut: { path: string; why: string }[];
  /** How many secrets were masked. */
  masked: number;
}

/** `lab-report-<lab>-<yyyymmdd-hhmmss>.tar.gz`, in local time (no colons: safe on every file system). */
export function defaultReportName(labName: string, now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const t = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `lab-report-${labName}-${t}.tar.gz`;
}

const errorOf = (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) });

async function settle<T>(p: Promise<T>): Promise<T | { error: string }> {
  try {
    return await p;
  } catch (e) {
    return errorOf(e);
  }
}

/** The workspace folders to include: the running lab's, else every ./workspace/<exp>/ here. */
function workspaceRoots(view: LabView | undefined, cwd: string): { dir: string; name: string }[] {
  if (view?.workspaceDir) return [{ dir: view.workspaceDir, name: path.basename(view.workspaceDir) }];
  const root = path.join(view?.rootDir ?? cwd, 'workspace');
  if (!existsSync(root)) return [];
  return listLabs().filter((id) => existsSync(path.join(root, id))).map((id) => ({ dir: path.join(root, id), name: id }));
}

export async function writeReport(runtime: Runtime, o: ReportOptions): Promise<ReportResult> {
  const view = await observeLab(runtime, o.labName).catch(() => undefined);
  const rootDir = view?.rootDir ?? o.cwd;
  const top = path.basename(o.out).replace(/\.tar\.gz$|\.tgz$/, '') || 'lab-report';
  const staging = mkdtempSync(path.join(os.tmpdir(), 'lab-report-'));
  chmodSync(staging, 0o700);
  const included: string[] = [];
  const leftOut: ReportResult['leftOut'] = [];
  let masked = 0;

  // Every secret we can know of, gathered before anything is written, so each file is masked with all.
  const secrets = new Set<string>();
  const workspace: { rel: string; bytes: Buffer }[] = [];
  for (const ws of workspaceRoots(view, o.cwd)) {
    for (const rel of workspaceFiles(ws.dir)) {
      const inReport = `workspace/${ws.name}/${rel}`;
      const bytes = readFileSync(path.join(ws.dir, rel));
      if (isKeyMaterial(rel, bytes)) {
        leftOut.push({ path: inReport, why: 'private key material' });
        continue;
      }
      const bad = textProblem(bytes);
      if (bad) {
        leftOut.push({ path: inReport, why: `not a text config: it ${bad.message}` });
        continue;
      }
      const text = bytes.toString('utf8');
      for (const s of findSecrets(text)) secrets.add(s);
      for (const m of text.matchAll(/\bstats\s+auth\s+([^:\s]+):(\S+)/g)) secrets.add(Buffer.from(`${m[1]}:${m[2]}`).toString('base64'));
      workspace.push({ rel: inReport, bytes });
    }
  }
  // The lab's own stats password, and its Basic-auth form (admin:<pw> as a header would carry it).
  const own = readSecrets(rootDir, o.labName).statsPassword;
  if (own) for (const s of [own, Buffer.from(`admin:${own}`).toString('base64')]) secrets.add(s);
  for (const id of listLabs()) {
    try {
      for (const s of passwordsIn(loadLab(id).def)) secrets.add(s);
    } catch {
      /* a broken lab.yaml has no secrets to offer */
    }
  }

  const put = (rel: string, content: string) => {
    const m = maskText(content, secrets);
    masked += m.masked;
    const file = path.join(staging, top, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, m.text, { mode: 0o600 });
    included.push(rel);
  };
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

  try {
    put('status.json', json(await settle(labStatus(runtime, o.labName))));
    put('doctor.json', json(await settle(o.diagnose(runtime, o.labName))));
    for (const n of view?.nodes ?? []) {
      let text = '';
      try {
        const stream = await runtime.logs(n.container, { follow: false, tail: LOG_LINES });
        for await (const chunk of stream as AsyncIterable<Buffer>) text += Buffer.from(chunk).toString();
      } catch (e) {
        text = `(could not read the log: ${errorOf(e).error})\n`;
      }
      put(`logs/${n.node}.log`, text);
    }
    for (const w of workspace) put(w.rel, w.bytes.toString('utf8'));
    for (const id of listLabs()) {
      const last = readLastResult(rootDir, o.labName, id);
      if (last !== undefined) put(`last-check/${id}.json`, json(last));
    }
    // Never the certificates folder: its keys are left out by design, and its public half is in status.
    const certsDir = view?.certsDir ?? path.join(rootDir, 'certs');
    if (existsSync(certsDir)) for (const rel of walkFiles(certsDir)) if (isKeyMaterial(rel, readFileSync(path.join(certsDir, rel)))) leftOut.push({ path: `certs/${rel}`, why: 'private key material' });
    put(
      'manifest.json',
      json({
        lab: o.labName,
        experiment: view?.experiment ?? null,
        labVersion: LAB_VERSION,
        createdAt: o.now.toISOString(),
        host: os.hostname(),
        included: [...included, 'manifest.json'],
        leftOut,
        masked: `${masked} secret(s) replaced by ********`,
      }),
    );
    mkdirSync(path.dirname(o.out), { recursive: true });
    await tarCreate({ gzip: true, file: o.out, cwd: staging, portable: true }, [top]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!statSync(o.out).isFile()) throw new Error(`${o.out} was not written`);
  return { file: o.out, included, leftOut, masked };
}
