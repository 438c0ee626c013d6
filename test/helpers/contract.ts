// The contract every experiment's grader is held to, in one place (test/e2e/check-exp*.test.ts):
//  - the start state fails every check, with score 0;
//  - the reference solution passes every check, 100/100;
//  - each wrong variant (a config that misses the lesson) is caught by exactly the checks named;
//  - each correct variant (the lesson, written differently) scores full on the checks it concerns.
// One lab per file. A variant writes haproxy.cfg (and other workspace files), converges with
// validate-then-reload as `lab apply` does, grades only the checks it concerns when that is enough,
// and puts the solution's files back. With LAB_RECORD_OBSERVATIONS=DIR every graded check's
// observations are written to DIR/<exp>/<variant>/<check>.json (the source of test/fixtures/observations/).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../src/labs/load.js';
import type { CheckDef } from '../../src/checks/schema.js';
import type { Report, ReportMeta } from '../../src/checks/types.js';
import { FileError } from '../../src/util/errors.js';
import { startLab, type TestLab } from './lab.js';
import { converge as convergeLab, explain, failing, gradeWithMeta, type ConvergeOptions } from './grading.js';

export interface VariantEnv {
  lab: TestLab;
  /** The lab's workspace folder for this experiment. */
  ws: string;
  solution: string;
  start: string;
  /** A node's address on a lab network (getent in haproxy1), e.g. nginx2. */
  addressOf(node: string): Promise<string>;
}

export interface Variant {
  name: string;
  /** Where the case comes from (issue 8's table, the hostile review, …). */
  source?: string;
  /** haproxy.cfg, from the solution's. */
  cfg?: (solution: string, env: VariantEnv) => string | Promise<string>;
  /** Other workspace files (path relative to the workspace → content); removed or restored afterwards. */
  files?: (env: VariantEnv) => Record<string, string> | Promise<Record<string, string>>;
  /** Grade only these checks; the default is every check. */
  only?: string[];
  /** Wrong variants: exactly the ids that must not pass (among `only`). Correct variants: absent. */
  fails?: string[];
  /** `lab apply` must refuse the config with this message; the last good config (the solution's) keeps running. */
  invalid?: RegExp;
  /** Converge from the start state first (so "the last good config" is the start's). */
  fromStart?: boolean;
  /** More assertions on the report. */
  check?: (r: Report) => void;
}

export interface ContractOptions {
  /** Lab name tag (test helpers make it unique). */
  tag: string;
  converge?: ConvergeOptions;
  correct: Variant[];
  wrong: Variant[];
  /** Extra assertions on the start state's report. */
  start?: (r: Report) => void;
  /** Extra tests with the running lab (e.g. grading twice); `solution()` converges the reference solution first. */
  more?: (get: () => { lab: TestLab; env: VariantEnv; grade: (only?: string[]) => Promise<Report>; solution: () => Promise<void> }) => void;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

/** JSON with every object or array that fits in `width` characters on one line (fixtures stay readable and small). */
export function compactJson(value: unknown, width = 150, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (flat.length + indent.length <= width || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, width, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}

function record(exp: string, variant: string, checks: CheckDef[], r: Report, meta: ReportMeta, fails?: string[]): void {
  const dir = process.env.LAB_RECORD_OBSERVATIONS;
  if (!dir || variant === 'more') return;
  for (const c of r.checks) {
    const observed = meta.observations?.[c.id];
    if (observed === undefined) continue;
    const def = checks.find((x) => x.id === c.id)!;
    const out = path.join(dir, exp, slug(variant));
    mkdirSync(out, { recursive: true });
    const expected = fails ? (fails.includes(c.id) ? 'fail' : 'pass') : 'pass';
    const fixture = { exp, variant, check: c.id, kind: def.probe.kind, params: def.probe, expected, status: c.status, message: c.message, observed };
    writeFileSync(path.join(out, `${c.id}.json`), `${compactJson(fixture)}\n`);
  }
}

export function describeExperimentContract(exp: string, opts: ContractOptions): void {
  const def = loadLab(exp);
  const checks = def.def.checks;
  const ids = checks.map((c) => c.id);
  const read = (dir: string) => readFileSync(path.join(dir, 'haproxy', 'haproxy.cfg'), 'utf8');
  const SOLUTION = read(def.solutionDir);
  const START = read(def.startDir);
  let lab: TestLab;
  let env: VariantEnv;

  const cfgFile = () => path.join(env.ws, 'haproxy', 'haproxy.cfg');
  const converge = () => convergeLab(lab, exp, opts.converge);
  const grade = async (name: string, only?: string[], fails?: string[]) => {
    // Retries are for a lab still converging towards a pass; when every graded check is meant to fail,
    // they would only wait longer for the same answer.
    const all = only ?? ids;
    const retries = fails && all.every((id) => fails.includes(id)) ? 0 : undefined;
    const { report, meta } = await gradeWithMeta(lab, exp, checks, only, retries);
    record(exp, name, checks, report, meta, fails);
    return report;
  };

  beforeAll(async () => {
    lab = await startLab(exp, opts.tag);
    const ws = lab.result.workspaceDir;
    const addresses = new Map<string, string>();
    env = {
      lab,
      ws,
      solution: SOLUTION,
      start: START,
      async addressOf(node) {
        if (!addresses.has(node)) {
          const r = await lab.runtime.exec(lab.container('haproxy1'), ['getent', 'hosts', node]);
          addresses.set(node, r.stdout.trim().split(/\s+/)[0]!);
        }
        return addresses.get(node)!;
      },
    };
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  /** Writes a variant, converges, grades; always puts the solution's files back (the next case converges them). */
  async function runVariant(v: Variant): Promise<Report> {
    const written: string[] = [];
    try {
      // A refused config leaves the last good one running: make that the start's, or the solution's.
      if (v.fromStart || v.invalid) {
        writeFileSync(cfgFile(), v.fromStart ? START : SOLUTION);
        await converge();
      }
      const files = v.files ? await v.files(env) : {};
      for (const [rel, text] of Object.entries(files)) {
        const file = path.join(env.ws, rel);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        written.push(rel);
      }
      writeFileSync(cfgFile(), v.cfg ? await v.cfg(SOLUTION, env) : SOLUTION);
      if (v.invalid) {
        const err = await convergeLab(lab, exp, opts.converge).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, 'lab apply should refuse this config').toBeInstanceOf(FileError);
        expect(String((err as Error).message)).toMatch(v.invalid);
      } else await converge();
      return await grade(v.name, v.only, v.fails);
    } finally {
      writeFileSync(cfgFile(), SOLUTION);
      for (const rel of written) {
        const fromSolution = path.join(def.solutionDir, rel);
        if (existsSync(fromSolution)) cpSync(fromSolution, path.join(env.ws, rel));
        else rmSync(path.join(env.ws, rel), { force: true });
      }
    }
  }

  describe(`lab check ${exp}: the grading contract`, () => {
    it('start state: every check fails, score 0, not passed', async () => {
      const r = await grade('start', undefined, ids);
      expect(failing(r), explain(r)).toEqual(ids);
      expect(r.checks.every((c) => c.status === 'fail'), explain(r)).toBe(true);
      expect(r).toMatchObject({ experiment: exp, score: 0, passed: false });
      opts.start?.(r);
    });

    it('reference solution: every check passes, full marks', async () => {
      cpSync(def.solutionDir, env.ws, { recursive: true });
      await converge();
      const r = await grade('solution');
      expect(failing(r), explain(r)).toEqual([]);
      expect(r).toMatchObject({ score: r.maxScore, passed: true });
    });

    for (const v of opts.wrong) {
      it(`wrong: ${v.name} → caught by ${v.fails!.join(', ')}`, async () => {
        const r = await runVariant(v);
        expect(failing(r), explain(r)).toEqual(v.fails);
        for (const id of v.fails!) expect(r.checks.find((c) => c.id === id)!.status, id).toBe('fail');
        v.check?.(r);
      });
    }

    for (const v of opts.correct) {
      it(`correct: ${v.name} → full marks${v.only ? ` on ${v.only.join(', ')}` : ''}`, async () => {
        const r = await runVariant(v);
        expect(failing(r), explain(r)).toEqual([]);
        expect(r.score).toBe(r.maxScore);
        v.check?.(r);
      });
    }

    const solution = async () => {
      cpSync(def.solutionDir, env.ws, { recursive: true });
      await converge();
    };
    opts.more?.(() => ({ lab, env, grade: (only?: string[]) => grade('more', only), solution }));
  });
}
