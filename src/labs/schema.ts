// The lab file (labs/<exp>/lab.yaml) as a zod schema: the single source of truth.
// labs/schema.json is generated from it (npm run schema) and a test keeps the two in sync.
import { z } from 'zod';
import { Steps, Text } from './steps-schema.js';
import { Checks } from '../checks/schema.js';

export { Text };

export const TopologyOverrides = z
  .object({
    /** Mount each domain's crt/key into Nginx at /etc/nginx/ssl/<domain>/ (start states where Nginx terminates TLS). */
    nginxTls: z.boolean().default(false),
    /**
     * Who writes the directors' keepalived configuration: lab (rendered from templates/keepalived/), or the
     * student (workspace/<exp>/keepalived/lvs1.conf and lvs2.conf, which include lab's /run/lab/lab.conf).
     */
    keepalived: z.enum(['lab', 'workspace']).default('lab'),
    /** The ports the experiment's frontends serve on the VIP (drawn by `lab graph`). */
    ports: z.array(z.number().int().min(1).max(65535)).min(1).default([80, 443]),
  })
  .strict()
  .default({});

/** Rules of config directives that run code (src/grade/code-exec.ts), which an experiment may allow. */
export const CODE_RULES = [
  'haproxy:program', 'haproxy:lua', 'haproxy:external-check', 'haproxy:fork', 'haproxy:env-keyword',
  'nginx:perl', 'nginx:njs', 'nginx:load-module', 'nginx:lua',
  'keepalived:notify', 'keepalived:misc-check', 'keepalived:script', 'keepalived:variable',
] as const;

/** How `lab grade` treats submissions of this experiment. */
export const GradeSettings = z
  .object({
    /**
     * Config directives that run code which submissions may use (rule ids, e.g. haproxy:lua); none by
     * default. Nodes that ran an allowed one are recreated after the student, never reused.
     */
    allowCode: z.array(z.enum(CODE_RULES)).default([]),
  })
  .strict();

export const LabFile = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lowercase letters, digits and dashes, e.g. exp3'),
    title: Text,
    objectives: z.array(Text).default([]),
    /** Where in the tutorial this experiment comes from, e.g. "6.2–6.4" or "实验二". */
    tutorial: z.string().optional(),
    topology: TopologyOverrides,
    /** The files the student edits, relative to the workspace (globs allowed). */
    workspace: z.array(z.string().min(1)).min(1),
    /** What `lab up` suggests to try first: one URL the experiment serves on the VIP, or a command in a node. */
    try: z
      .union([
        z.object({ scheme: z.enum(['http', 'https']).default('http'), host: z.string().min(1), path: z.string().startsWith('/') }).strict(),
        z.object({ node: z.string().min(1), cmd: z.string().min(1) }).strict(),
      ])
      .optional(),
    /** Shown by `lab guide` before the first step and after the last. */
    intro: Text.optional(),
    finish: Text.optional(),
    steps: Steps,
    checks: Checks,
    /** Class grading (`lab grade`): optional. */
    grade: GradeSettings.optional(),
  })
  .strict();

export type LabFile = z.infer<typeof LabFile>;
