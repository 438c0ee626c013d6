// The `checks:` section of labs/<exp>/lab.yaml: each check is data (id, bilingual title and hint, points)
// plus one probe, chosen by `kind` from the kinds in src/checks/probes/index.ts. The probe parameter
// shapes live here, in one discriminated union, so the lab file schema (and the JSON Schema generated
// from it) knows every kind and its parameters. A unit test keeps this list and the registry in sync.
import { z } from 'zod';
import { Text } from '../labs/steps-schema.js';

const Port = z.number().int().min(1).max(65535);
const Domains = z.array(z.string().min(1)).min(1).optional();
/** YAML reads 123456 as a number; a password is a string either way. */
const Secret = z.union([z.string(), z.number()]).transform(String);
const Credentials = z.object({ user: z.string().min(1), password: Secret }).strict();
const Scheme = z.enum(['http', 'https']);

/** Stats page parameters shared by the stats probes (tutorial 6.2: :8404/stats, admin:123456). */
const statsParams = {
  port: Port.default(8404),
  uri: z.string().startsWith('/').default('/stats'),
  credentials: Credentials,
};

export const PROBE_SCHEMAS = [
  z
    .object({
      kind: z.literal('haproxy-config-valid'),
      /** Also require this many backends (proxies with servers) to have a server UP in the running HAProxy. */
      backendsUp: z.number().int().min(0).default(0),
    })
    .strict(),
  z.object({ kind: z.literal('stats-auth'), ...statsParams }).strict(),
  z.object({ kind: z.literal('stats-admin'), ...statsParams }).strict(),
  z.object({ kind: z.literal('stats-hide-version'), ...statsParams }).strict(),
  z
    .object({
      kind: z.literal('prometheus'),
      port: Port.default(8404),
      path: z.string().startsWith('/').default('/metrics'),
      /** Tried only when the exporter asks for a login. */
      credentials: Credentials.optional(),
      prefix: z.string().min(1).default('haproxy_'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('runtime-socket'),
      /** A socket path to try first (the tutorial's); any socket HAProxy listens on counts. */
      path: z.string().startsWith('/').optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('log-reaches-stdout'),
      /** A port HAProxy serves HTTP on, for the marker request. */
      port: Port.default(8404),
    })
    .strict(),
  z
    .object({
      kind: z.literal('domains-answer'),
      domains: Domains,
      schemes: z.array(Scheme).min(1).default(['http', 'https']),
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('domain-routing'),
      domains: Domains,
      schemes: z.array(Scheme).min(1).default(['http', 'https']),
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('tls-sni'),
      domains: Domains,
      /** In a lab: the Nginx nodes must not answer TLS on this port any more (Nginx serves plain HTTP; HAProxy terminates). */
      nginxTlsPort: Port.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('no-redirect-loop'),
      domains: Domains,
      schemes: z.array(Scheme).min(1).default(['http', 'https']),
      maxRedirects: z.number().int().min(1).max(20).default(5),
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('default-backend'),
      /** A Host no frontend rule should know. */
      host: z.string().min(1).default('unknown-host.lab-check.invalid'),
      schemes: z.array(Scheme).min(1).default(['http', 'https']),
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('forwarded-proto'),
      domains: Domains,
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('forwarded-for'),
      domains: Domains,
      path: z.string().startsWith('/').default('/api/lab-check'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('lb-distribution'),
      /** One URL, asked `requests` times one after another on new connections; its backend must cycle by `ratio`. */
      path: z.string().startsWith('/'),
      /** Host header (default: the first lab domain). */
      host: z.string().min(1).optional(),
      requests: z.number().int().min(6).max(200).default(24),
      /** Shares of one cycle, whichever server holds which: [1, 1, 1] round robin, [3, 1, 1] the tutorial's weights. */
      ratio: z.array(z.number().int().min(1)).min(1).default([1, 1, 1]),
      /** Keep one request open on a server first: round robin still gives it its turn, least-connections does not. */
      hold: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kind: z.literal('lb-sticky'),
      /** source: each client address stays on one server, and addresses spread; uri: the same for URIs. */
      by: z.enum(['source', 'uri']),
      /** URL prefix of the backend under test. */
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      /** by source: requests per source address (the client, the office and its extra addresses), each a new connection to a different URI. */
      requests: z.number().int().min(2).max(20).default(4),
      /** by uri: how many different URIs, each asked `repeat` times from different source addresses. */
      uris: z.number().int().min(2).max(32).default(16),
      repeat: z.number().int().min(2).max(11).default(3),
    })
    .strict(),
  z
    .object({
      kind: z.literal('health-checks-l7'),
      /** A URL whose backend is graded (found by its counters). */
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      minServers: z.number().int().min(1).default(3),
      /**
       * Make GET /health fail on every app while every other path still answers 200 (`lab fault appN
       * unhealthy`): the servers must go DOWN within downWithinMs, and come back within restoreWithinMs
       * once /health heals. A check on any other path, or a TCP check, never notices.
       */
      failHealth: z.boolean().default(true),
      downWithinMs: z.number().int().min(1000).max(60_000).default(15_000),
      restoreWithinMs: z.number().int().min(1000).max(60_000).default(15_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('health-failover'),
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      /** The Nginx node the grader stops (and always starts again). */
      stop: z.string().regex(/^nginx[0-9]+$/).default('nginx2'),
      /** HAProxy must mark it DOWN on every node within this time. */
      downWithinMs: z.number().int().min(1000).max(60_000).default(15_000),
      /** Requests sent once it is DOWN; all must succeed. */
      requests: z.number().int().min(1).max(100).default(12),
      /** The server must be UP again on every node this long after the container is started again. */
      restoreWithinMs: z.number().int().min(1000).max(60_000).default(15_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('acl-deny'),
      /** The path an ACL must deny to the client, and allow to the office network. */
      path: z.string().startsWith('/').default('/admin/lab-check'),
      /** A path that must still reach the app (so "deny everything" fails). */
      allowedPath: z.string().startsWith('/').default('/api/lab-check'),
      host: z.string().min(1).optional(),
      requests: z.number().int().min(1).max(50).default(6),
      status: z.number().int().min(400).max(599).default(403),
      /** How many office addresses (its own, then its extra ones) must reach `path`: the allowed network is LAB_OFFICE_NET. */
      officeSources: z.number().int().min(1).max(11).default(3),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rate-limit'),
      path: z.string().startsWith('/').default('/api/lab-check'),
      host: z.string().min(1).optional(),
      /** New connections sent at once; at least minRefused of them must not reach the app (a few stray failures under load are not a limit). */
      burst: z.number().int().min(10).max(300).default(60),
      minRefused: z.number().int().min(1).default(10),
      /** While the client is limited, the office (another source) must still reach the app: the limit is per source. */
      otherSource: z.boolean().default(true),
      /** After the burst, one request every intervalMs until the client is answered again, within this long… */
      recoverWithinMs: z.number().int().min(1000).max(60_000).default(45_000),
      /** …and then `slow` requests in a row, intervalMs apart, must all reach the app. */
      slow: z.number().int().min(1).max(20).default(5),
      intervalMs: z.number().int().min(200).max(10_000).default(1000),
    })
    .strict(),
  // exp7, the LVS tier (probes/lvs.ts).
  z.object({ kind: z.literal('vip-holder'), sampleMs: z.number().int().min(500).max(30_000).default(3000) }).strict(),
  z
    .object({
      kind: z.literal('vip-failover'),
      /** Requests before the VIP holder stops. */
      beforeMs: z.number().int().min(500).max(10_000).default(2000),
      recoverWithinMs: z.number().int().min(1000).max(30_000).default(5000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('l4-spread'),
      ports: z.array(z.number().int().min(1).max(65535)).min(1).default([80, 443]),
      /** At least this many new connections per port (rounded up to whole cycles of the weights). */
      requests: z.number().int().min(4).max(200).default(24),
    })
    .strict(),
  z
    .object({
      kind: z.literal('l4-health'),
      stop: z.string().min(1).default('haproxy1'),
      withinMs: z.number().int().min(1000).max(60_000).default(10_000),
      /** Requests in a row that must succeed for the stopped node to count as taken out. */
      okRun: z.number().int().min(2).max(20).default(6),
    })
    .strict(),
  z.object({ kind: z.literal('ipvs-table'), ports: z.array(z.number().int().min(1).max(65535)).min(1).default([80, 443]) }).strict(),
] as const;

export const PROBE_KINDS: string[] = PROBE_SCHEMAS.map((s) => s.shape.kind.value);

export const Probe = z.discriminatedUnion('kind', [...PROBE_SCHEMAS], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union_discriminator'
      ? { message: `unknown probe kind ${JSON.stringify((ctx.data as { kind?: unknown })?.kind)}; supported kinds: ${PROBE_KINDS.join(', ')}` }
      : { message: ctx.defaultError },
});
export type Probe = z.infer<typeof Probe>;
export type ProbeKindName = Probe['kind'];
export type ProbeOf<K extends ProbeKindName> = Extract<Probe, { kind: K }>;

export const CheckDef = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lowercase letters, digits and dashes, e.g. stats-auth'),
    title: Text,
    points: z.number().int().min(0),
    /** `lab check` exits 0 only when every required check passes. */
    required: z.boolean().default(true),
    /** Nudges toward the fix without giving the answer away. */
    hint: Text,
    /** Per attempt. */
    timeoutMs: z.number().int().positive().max(120_000).default(8000),
    /** Extra attempts after a failure, for a lab that is still converging (e.g. right after a reload). */
    retries: z.number().int().min(0).max(10).default(1),
    retryDelayMs: z.number().int().min(0).max(30_000).default(500),
    probe: Probe,
  })
  .strict();
export type CheckDef = z.infer<typeof CheckDef>;

export const Checks = z
  .array(CheckDef)
  .default([])
  .superRefine((checks, ctx) => {
    const seen = new Set<string>();
    checks.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'id'], message: `duplicate check id "${c.id}"` });
      seen.add(c.id);
    });
  });
