// Orders test files so that a run with a few e2e workers finishes early: the longest e2e files start
// first, instead of one of them starting last while the other workers idle. The figures are seconds each
// file took in a CI run on the 2-core machine, five at a time (2026-11-27, 1387 s in all); what matters
// is their order. With the figures of files run alone, grade-engines (75 s alone, 223 s in the run)
// started after files shorter than it. Unknown files count as short.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SECONDS: Record<string, number> = {
  'check-exp6-drills.test.ts': 452,
  'check-exp7.test.ts': 451,
  'check-exp6.test.ts': 408,
  'check-exp4.test.ts': 399,
  'check-exp8.test.ts': 352,
  'grade-engines.test.ts': 223,
  'check-exp5.test.ts': 207,
  'stats-password.test.ts': 206,
  'grade-isolation.test.ts': 201,
  'check-exp3.test.ts': 183,
  'check-exp2.test.ts': 159,
  'topology.test.ts': 134,
  'guide.test.ts': 119,
  'apply.test.ts': 107,
  'check-exp1.test.ts': 87,
  'security.test.ts': 75,
  'report.test.ts': 60,
  'bad-input.test.ts': 56,
  'doctor.test.ts': 30,
  'runtime-exec.test.ts': 28,
};

/**
 * The project whose files take the engine alone (test/helpers/alone.ts) and share group 0 with the
 * unit files: its first file starts the group, so it overlaps the unit files; the rest follow them,
 * so a file waiting for the lock never holds a worker a unit file could use.
 */
const ALONE = 'e2e-alone';

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Files of a project that runs one at a time keep the config's order.
    const listed = (f: TestSpecification) => f.project.config.include.indexOf(path.relative(f.project.config.root, f.moduleId));
    const base = await super.sort(files);
    const seconds = (f: TestSpecification) => SECONDS[path.basename(f.moduleId)] ?? 0;
    const firstAlone = files.filter((f) => f.project.name === ALONE).sort((a, b) => listed(a) - listed(b))[0];
    const rank = (f: TestSpecification) => (f.project.name !== ALONE ? 1 : f === firstAlone ? 0 : 2);
    // Stable: groups and projects keep the base order; within one, longest first.
    return base
      .map((f, i) => ({ f, i }))
      .sort((a, b) => {
        const group = a.f.project.config.sequence.groupOrder - b.f.project.config.sequence.groupOrder;
        if (group !== 0) return group;
        const r = rank(a.f) - rank(b.f);
        if (r !== 0) return r;
        if (a.f.project.name !== b.f.project.name) return a.i - b.i;
        if (listed(a.f) >= 0 && listed(b.f) >= 0) return listed(a.f) - listed(b.f);
        return seconds(b.f) - seconds(a.f) || a.i - b.i;
      })
      .map(({ f }) => f);
  }
}
