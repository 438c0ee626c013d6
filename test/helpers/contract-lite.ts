// A small experiment contract for the check-exp6/exp8 e2e files (to be unified with the shared
// describeExperimentContract later): one lab per file; the start state fails every check; the reference
// solution passes every check; each mutation of the solution's workspace files is caught by exactly the
// checks it names (only the checks it concerns are graded, without retries, to keep the run short);
// each correct variant written differently passes the checks it concerns.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { labContext } from '../../src/checks/context.js';
import { runChecks } from '../../src/checks/runner.js';
import type { Report } from '../../src/checks/types.js';
import { loadLab } from '../../src/labs/load.js';
import { converge, explain, failing } from './grading.js';
import { startLab, type TestLab } from './lab.js';

/** Workspace file (relative path) → its new text, computed from the solution's text. */
export type Edits = Record<string, (solution: string) => string>;

export interface Case {
  name: string;
  edits: Edits;
  /** Checks graded for this case (default: those in `fails`). */
  only?: string[];
  /** Checks that must fail; every other graded check must pass. */
  fails: string[];
}

export interface ContractLite {
  exp: string;
  tag: string;
  /** A URL the client must get an answer from after a reload. */
  waitFor: string;
  settleMs?: number;
  mutations: Case[];
  /** `repeat`: graded that many times in a row, each passing (what one run leaves behind must not fail the next). */
  variants: (Omit<Case, 'fails'> & { repeat?: number })[];
  /** Extra tests with the lab (run after the contract's own). */
  more?: (get: () => TestLab) => void;
  /**
   * false: a second file of the same experiment's cases (so two e2e workers share a long experiment);
   * it starts from the reference solution and leaves the start-state and reference tests to the first.
   */
  contract?: boolean;
}

/** Replaces `from` with `to` and insists the text changed (a mutation that changes nothing proves nothing). */
export function swap(from: string | RegExp, to: string): (s: string) => string {
  return (s) => {
    const out = s.replace(from, to);
    if (out === s) throw new Error(`edit did not apply: ${String(from)}`);
    return out;
  };
}

export function describeContractLite(c: ContractLite): void {
  const lab = loadLab(c.exp);
  const checks = lab.def.checks;
  const ids = checks.map((x) => x.id);
  const solution = (rel: string) => readFileSync(path.join(lab.solutionDir, rel), 'utf8');
  let t: TestLab;

  const grade = async (only?: string[], retries?: number): Promise<Report> => {
    const base = labContext(t.runtime, await t.view(), c.exp);
    return (await runChecks(c.exp, checks, base, { lang: 'en', only, retries })).report;
  };
  const settle = () => converge(t, c.exp, { waitFor: c.waitFor, settleMs: c.settleMs ?? 600 });
  const write = (edits: Edits) => {
    for (const [rel, edit] of Object.entries(edits)) writeFileSync(path.join(t.result.workspaceDir, rel), edit(solution(rel)));
  };
  // A case puts the solution's files back without applying them: the next case writes its own edits
  // over them and converges once. Tests of `more` meet the solution applied (beforeEach below).
  let pending = false;
  const putBack = (edits: Edits) => {
    for (const rel of Object.keys(edits)) writeFileSync(path.join(t.result.workspaceDir, rel), solution(rel));
    pending = true;
  };
  const own = new Set<string>();
  const inOrder = (xs: string[]) => ids.filter((id) => xs.includes(id));

  beforeAll(async () => {
    t = await startLab(c.exp, c.tag);
    if (c.contract === false) {
      cpSync(lab.solutionDir, t.result.workspaceDir, { recursive: true });
      await settle();
    }
  });

  afterAll(async () => {
    await t?.destroy();
  });

  describe(`lab check ${c.exp}`, () => {
    beforeEach(async (ctx) => {
      if (pending && !own.has(ctx.task.name)) {
        await settle();
        pending = false;
      }
    });

    if (c.contract !== false) {
      it('start state: every check fails, score 0', async () => {
        const r = await grade();
        expect(failing(r), explain(r)).toEqual(ids);
        expect(r).toMatchObject({ experiment: c.exp, score: 0, passed: false });
      });

      it('reference solution: every check passes, full score', async () => {
        cpSync(lab.solutionDir, t.result.workspaceDir, { recursive: true });
        await settle();
        const r = await grade();
        expect(failing(r), explain(r)).toEqual([]);
        expect(r).toMatchObject({ score: r.maxScore, passed: true });
      });
    }

    for (const m of c.mutations) {
      own.add(`mutation: ${m.name} → ${m.fails.join(', ')}`);
      it(`mutation: ${m.name} → ${m.fails.join(', ')}`, async () => {
        const only = inOrder(m.only ?? m.fails);
        try {
          write(m.edits);
          await settle();
          pending = false;
          const r = await grade(only, 0);
          expect(failing(r), explain(r)).toEqual(inOrder(m.fails));
        } finally {
          putBack(m.edits);
        }
      });
    }

    for (const v of c.variants) {
      own.add(`variant: ${v.name} passes`);
      it(`variant: ${v.name} passes`, async () => {
        try {
          write(v.edits);
          await settle();
          pending = false;
          for (let i = 0; i < (v.repeat ?? 1); i++) {
            const r = await grade(v.only ? inOrder(v.only) : undefined);
            expect(failing(r), `run ${i + 1}: ${explain(r)}`).toEqual([]);
          }
        } finally {
          putBack(v.edits);
        }
      });
    }

    c.more?.(() => t);
  });
}
