// Orders test files so that a run with a few e2e workers finishes early: the longest e2e files start
// first (exp4's checks take six minutes), instead of one of them starting last. The figures
// are seconds each file took alone on the 2-core CI machine; unknown files count as short.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SECONDS: Record<string, number> = {
  'check-exp6-drills.test.ts': 350,
  'check-exp6.test.ts': 270,
  'check-exp4.test.ts': 362,
  'check-exp7.test.ts': 308,
  'reliability.test.ts': 300,
  'check-exp8.test.ts': 256,
  'check-exp5.test.ts': 190,
  'grade-isolation.test.ts': 85,
  'check-exp2.test.ts': 88,
  'check-exp3.test.ts': 79,
  'grade-engines.test.ts': 75,
  'stats-password.test.ts': 95,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Files of a project that runs one at a time keep the config's order (the engine restart last).
    const listed = (f: TestSpecification) => f.project.config.include.indexOf(path.relative(f.project.config.root, f.moduleId));
    const base = await super.sort(files);
    const seconds = (f: TestSpecification) => SECONDS[path.basename(f.moduleId)] ?? 0;
    // Stable: groups and projects keep the base order; within one, longest first.
    return base
      .map((f, i) => ({ f, i }))
      .sort((a, b) => {
        const group = a.f.project.config.sequence.groupOrder - b.f.project.config.sequence.groupOrder;
        if (group !== 0) return group;
        if (a.f.project.name !== b.f.project.name) return a.i - b.i;
        if (listed(a.f) >= 0 && listed(b.f) >= 0) return listed(a.f) - listed(b.f);
        return seconds(b.f) - seconds(a.f) || a.i - b.i;
      })
      .map(({ f }) => f);
  }
}
