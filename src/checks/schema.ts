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
      /** VIP ports asked in each round: every virtual server must take the stopped node out (a 443 without checks would not). */
      ports: z.array(z.number().int().min(1).max(65535)).min(1).default([80, 443]),
      withinMs: z.number().int().min(1000).max(60_000).default(10_000),
      /** Requests in a row that must succeed for the stopped node to count as taken out. */
      okRun: z.number().int().min(2).max(20).default(6),
    })
    .strict(),
  z.object({ kind: z.literal('ipvs-table'), ports: z.array(z.number().int().min(1).max(65535)).min(1).default([80, 443]) }).strict(),
  // exp6 (tutorial 5.4 and the runtime socket section): operating a live HAProxy.
  z
    .object({
      kind: z.literal('runtime-admin'),
      /** A socket path to try first; any stats socket of the config, or unix socket HAProxy listens on, counts. */
      path: z.string().startsWith('/').optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('httplog-line'),
      /** Marker requests go to `${path}-<random>` through the VIP. */
      path: z.string().startsWith('/').default('/api/lab-log'),
      host: z.string().min(1).optional(),
      requests: z.number().int().min(1).max(20).default(4),
      /** The node whose `lab logs` must show a marker line (lines found on other nodes are graded too). */
      node: z.string().regex(/^haproxy[0-9]+$/).default('haproxy1'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('runbook-drill'),
      /** Which part of the one maintenance drill this check grades (the drill runs once per attempt for all of them). */
      judge: z.enum(['no-drop', 'drain', 'sessions', 'restore', 'metrics']),
      /** The student's script, relative to the workspace; run with sh (bash when its first line says so) in every HAProxy node. */
      script: z.string().min(1).default('runbook.sh'),
      drainArgs: z.array(z.string()).default(['drain']),
      restoreArgs: z.array(z.string()).default(['restore']),
      /** The Nginx node the runbook takes out of rotation; lab stops and starts it between drain and restore. */
      server: z.string().regex(/^nginx[0-9]+$/).default('nginx2'),
      host: z.string().min(1).optional(),
      /**
       * The load during the drill: `slowWorkers` loops on `${path}/slow`, `quickWorkers` on `${path}/q`. One
       * HAProxy node, chosen at random per drill, has its slow requests held 0.9–1.4 × `longSlowMs`, the
       * others 0.6–1.2 × `slowMs` (drawn per drill): the same runbook must wait long on one node and little on
       * the others, by amounts it cannot know, which only watching the count does.
       */
      path: z.string().startsWith('/').default('/api/lab-drill'),
      slowMs: z.number().int().min(500).max(10_000).default(2500),
      longSlowMs: z.number().int().min(500).max(15_000).default(8000),
      slowWorkers: z.number().int().min(2).max(30).default(18),
      quickWorkers: z.number().int().min(0).max(8).default(2),
      /**
       * The drain starts once the server has this many sessions in flight on every node, and the long node's
       * took a session just now (its hold is then all ahead), or after 15 s.
       */
      warmSessions: z.number().int().min(1).max(10).default(1),
      /** The runbook must put the server in MAINT within this of its sessions reaching 0 on each node. */
      promptMs: z.number().int().min(500).max(30_000).default(3000),
      /** Each run of the script must end within this. */
      scriptTimeoutMs: z.number().int().min(2000).max(60_000).default(20_000),
      /** After the restore, every node must send the server new requests within this. */
      restoreWithinMs: z.number().int().min(1000).max(60_000).default(15_000),
      /** Where the Prometheus exporter answers on each node (judge: metrics). */
      metrics: z
        .object({ port: Port.default(8404), path: z.string().startsWith('/').default('/metrics'), credentials: Credentials.optional() })
        .strict()
        .default({}),
    })
    .strict(),
  // exp8 (tutorial 5.1.3, 5.1.6–5.1.8, 5.2.1, 5.2.3): the other algorithms and health checks.
  z
    .object({
      kind: z.literal('lb-leastconn'),
      /** URL prefix of the backend: holds go to `${path}slow?ms=holdMs`, then `requests` quick ones to `${path}lab-check-<i>`. */
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      hold: z.number().int().min(1).max(6).default(2),
      holdMs: z.number().int().min(5000).max(60_000).default(30_000),
      requests: z.number().int().min(6).max(200).default(72),
    })
    .strict(),
  z
    .object({
      kind: z.literal('lb-hash-key'),
      /** The key travels in a query parameter or a request header named `name`. */
      by: z.enum(['query', 'header']),
      name: z.string().min(1),
      /** URL prefix of the backend; every request gets its own path below it. */
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      keys: z.number().int().min(2).max(64).default(16),
      /** At least 3, so two requests of a key meet on one HAProxy node (two nodes in lockstep round robin can mimic stickiness). */
      repeat: z.number().int().min(3).max(10).default(3),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rdp-cookie'),
      port: Port.default(3389),
      /** The cookie name in the X.224 Connection Request (`Cookie: mstshash=<user>`). */
      cookie: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('mstshash'),
      cookies: z.number().int().min(2).max(32).default(14),
      /** At least 3, so two connections of a user meet on one HAProxy node (two nodes in lockstep round robin can mimic stickiness). */
      repeat: z.number().int().min(3).max(10).default(3),
      /** The client sends its Connection Request this long after connecting (a client on a real network is never instant). */
      delayMs: z.number().int().min(0).max(3000).default(300),
    })
    .strict(),
  z
    .object({
      kind: z.literal('health-check-answers'),
      /** How the grader finds the backend: requests for `path` over this scheme through the VIP. */
      scheme: Scheme.default('http'),
      path: z.string().startsWith('/'),
      host: z.string().min(1).optional(),
      /** check_status values that count (L7OK: a tcp-check expect rule passed; L6OK: ssl-hello-chk or a TLS handshake). */
      expect: z.array(z.string().regex(/^L[4-7][A-Z]+$/)).min(1).default(['L7OK']),
      /** Whether an HTTP check (option httpchk, which reports an HTTP status) counts. */
      httpCheck: z.boolean().default(false),
      minServers: z.number().int().min(1).default(2),
      /** The Nginx node the grader freezes (docker pause: its port still accepts connections, nothing answers). */
      pause: z.string().regex(/^nginx[0-9]+$/).default('nginx2'),
      downWithinMs: z.number().int().min(1000).max(60_000).default(20_000),
      restoreWithinMs: z.number().int().min(0).max(60_000).default(20_000),
    })
    .strict(),
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
    /**
     * Per attempt: a guard against a hung probe, not a grading bound (probes bound their own waits). The default
     * covers a probe's few sequential `docker exec`s on a loaded 2-core machine: CI saw tls-sni's four (stats,
     * handshakes, stats, stats) pass 8 s twice in a row while five e2e files ran.
     */
    timeoutMs: z.number().int().positive().max(120_000).default(20_000),
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
