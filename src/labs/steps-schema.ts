// The guided exercise of an experiment, as data (after Killercoda's and Instruqt's step files).
// `lab guide` walks these steps; `lab validate` checks them; labs/schema.json documents them for editors.
//
// A step says what to do and why (text), where the tutorial explains it (tutorial), what lab can run
// for the student ("run it for me": run, edit), how to tell the step is done (verify: check ids from
// the lab's `checks:`), escalating hints, and what the reference answer does (solve).
import { z } from 'zod';

/** Text in both languages of the course. */
export const Text = z
  .object({
    zh: z.string().min(1).describe('中文'),
    en: z.string().min(1).describe('English'),
  })
  .strict();
export type Text = z.infer<typeof Text>;

export const StepId = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'use lowercase letters, digits and dashes, e.g. add-frontends')
  .describe('Stable identifier of the step (lab guide --step <id>, progress files).');

/** A node of the lab topology: client, lvs1, lvs2, haproxy1, haproxy2, nginx1..3, app1..3. */
export const NodeName = z
  .string()
  .regex(/^[a-z]+[0-9]*$/, 'name a node of the lab, e.g. client or haproxy1')
  .describe('Node the command runs in, e.g. client, haproxy1, nginx2.');

/** A path inside the student's workspace, e.g. haproxy/haproxy.cfg. */
export const WorkspacePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'use a path relative to the workspace, without ".."')
  .describe('Path relative to the workspace, e.g. haproxy/haproxy.cfg.');

export const StepRun = z
  .object({
    node: NodeName,
    cmd: z.string().min(1).describe('Shell command, run with sh -c inside the node.'),
  })
  .strict();
export type StepRun = z.infer<typeof StepRun>;

export const StepEdit = z
  .object({
    file: WorkspacePath,
    from: z.literal('solution').default('solution').describe('Copy the file from the experiment\'s solution/ (the student\'s copy is backed up first), then `lab apply`.'),
  })
  .strict();
export type StepEdit = z.infer<typeof StepEdit>;

export const StepVerify = z
  .object({
    checks: z.array(z.string().min(1)).min(1).describe('Ids from the lab\'s `checks:` list; the step is done when all pass.'),
    retries: z.number().int().min(0).max(60).default(3).describe('Extra attempts before reporting failure (configs converge).'),
    intervalSeconds: z.number().min(0).max(30).default(1).describe('Pause between attempts.'),
  })
  .strict();
export type StepVerify = z.infer<typeof StepVerify>;

export const Step = z
  .object({
    id: StepId,
    title: Text,
    /** What to do and why. Markdown. */
    text: Text,
    tutorial: z.string().min(1).optional().describe('Tutorial section this step follows, e.g. "6.2" or "实验二 HAProxy 配置文件示例".'),
    run: z.array(StepRun).default([]).describe('"Run it for me": commands that perform or demonstrate the step.'),
    edit: z.array(StepEdit).default([]).describe('"Do it for me": files copied from solution/ into the workspace, then applied.'),
    verify: StepVerify.optional(),
    hints: z.array(Text).default([]).describe('Hints, from a gentle nudge to nearly the answer.'),
    solve: Text.optional().describe('What the reference answer does in this step.'),
  })
  .strict();
export type Step = z.infer<typeof Step>;

export const Steps = z.array(Step).default([]);
