// "I'll do it myself": exactly what to type and which files to edit, from the same actions "run it for
// me" performs (actions.ts), so both paths and the --print document stay in step.
import type { Step } from '../labs/steps-schema.js';
import { labCmd, stepActions } from './actions.js';
import { withStatsPassword } from '../state/secrets.js';

export type Instruction =
  | { kind: 'edit'; path: string }
  | { kind: 'apply'; command: string }
  | { kind: 'shell'; node: string; shell: string; cmd: string };

export interface Where {
  experiment: string;
  labName: string;
  /** Workspace as printed, e.g. workspace/exp2. */
  workspaceRoot: string;
  /** The lab's own stats password, where the course's commands say admin:123456 (printed masked). */
  statsPassword?: string;
}

export function instructions(step: Step, where: Where): Instruction[] {
  return stepActions(step).map((a): Instruction => {
    if (a.kind === 'edit') return { kind: 'edit', path: `${where.workspaceRoot}/${a.file}` };
    if (a.kind === 'apply') return { kind: 'apply', command: labCmd(where.labName, `apply ${where.experiment}`) };
    return { kind: 'shell', node: a.node, shell: labCmd(where.labName, `shell ${a.node}`), cmd: withStatsPassword(a.cmd, where.statsPassword) };
  });
}
