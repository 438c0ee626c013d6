// Shared types of the grader: what a probe gets (ProbeContext) and gives back (Outcome), and the
// report shape of issue 4 ({experiment, score, maxScore, passed, checks: [...]}).
import type { Runtime } from '../runtime/types.js';
import type { HttpClient } from './http.js';
import type { TlsClient } from './tls.js';

import type { Lang, Text } from '../util/lang.js';

export type { Lang, Text };
export type Status = 'pass' | 'fail' | 'skip';

export interface Outcome {
  status: Status;
  message: Text;
  /** The raw observations the decision was made on (counters, counts, statuses), for --explain. */
  observed?: unknown;
  /** Extra hint for this particular failure (e.g. a known pitfall), shown after the check's own hint. */
  hint?: Text;
}

/** A place where HAProxy serves HTTP that a probe can reach: one per HAProxy node, or the target host. */
export interface HaproxyEndpoint {
  /** haproxy1, haproxy2, or the --target host. */
  name: string;
  /** Address to connect to from where `http` runs (the first of `addresses`). */
  address: string;
  /**
   * Every address to try, in order: in a lab 127.0.0.1 first (the node's own view, so a stats page bound
   * to loopback or `stats admin if LOCALHOST` is judged as its author meant), then the node's own addresses.
   */
  addresses: string[];
  http: HttpClient;
}

/** `show stat` of one HAProxy node (or the --target host), one record per CSV line. */
export interface StatsSnapshot {
  node: string;
  rows: Record<string, string>[];
}

/** Where HAProxy's own counters come from: lab's master socket, or the stats page CSV of --target. */
export interface StatsSource {
  /** For messages: "lab's master socket", "the stats page http://HOST:8404/stats;csv". */
  where: string;
  read(): Promise<StatsSnapshot[]>;
}

/** Lab-only handles; absent with --target. */
export interface LabHandle {
  runtime: Runtime;
  labName: string;
  experiment: string | null;
  client: string;
  /** The office node's container (a second source network), when the lab has one. */
  office?: string;
  /** Container names of the HAProxy nodes, by node name. */
  haproxy: { node: string; container: string; address: string }[];
  nginx: { node: string; container: string }[];
  directors: { node: string; container: string }[];
  apps: { node: string; container: string }[];
  /** The lab's subnets by network key (edge, proxy, web, app, office). */
  subnets: Partial<Record<string, string>>;
  /** The workspace the nodes mount (absolute), e.g. to read the student's keepalived configs. */
  workspaceDir: string | null;
  /** Every address of every node → node name (to say which HAProxy and which Nginx served a request). */
  names: Record<string, string>;
}

export interface ProbeContext {
  mode: 'lab' | 'target';
  lab?: LabHandle;
  /** Where client traffic goes: the VIP (lab) or --target. */
  edgeAddress: string;
  ports: { http: number; https: number };
  /** The source address HAProxy should see for edge traffic (for X-Forwarded-For); undefined when unknown. */
  clientAddress?: string;
  /** The office node's own address (a second source network); lab only. */
  officeAddress?: string;
  /** Requests from the client's vantage point: curl in the client container, or node:http on the host. */
  edge: HttpClient;
  /** Requests from the office network (lab only). */
  office?: HttpClient;
  /**
   * The office node's source addresses (its own first, then its extra ones), for `source` in requests
   * from `office`: many clients of one network, for hashes and `src` ACLs. Lab only.
   */
  officeSources?: string[];
  /**
   * The client's extra addresses in its own network (not its own), for `source` in requests from
   * `edge`: a neighbour of the client, for per-source limits. Lab only.
   */
  clientNeighbours?: string[];
  /** HAProxy's counters (lab: master socket; --target: the stats page with --stats-auth); absent when unknown. */
  stats?: StatsSource;
  /** Why `stats` is absent (learner-facing, says which flag would give it). */
  statsMissing?: Text;
  tls: TlsClient;
  /** The stats endpoints: every HAProxy node (lab) or the target. */
  haproxy: HaproxyEndpoint[];
  domains: string[];
  /** The lab CA (PEM) certificates must chain to; undefined when unknown. */
  ca(): Promise<string | undefined>;
  /**
   * The lab's own stats password (lab up --stats-password-file / LAB_STATS_PASSWORD), in place of the
   * course's 123456 wherever a check logs in as admin:123456 (the runner swaps it in).
   */
  statsPassword?: string;
  /** Overrides every stats probe's port (--stats-port with --target). */
  statsPort?: number;
  /** Reads haproxy.cfg as HAProxy sees it (lab only). */
  haproxyConfig?(): Promise<string>;
  /** 0 for the first try of a check, then 1, 2… for its retries. */
  attempt: number;
  /** Lives for one `lab check` run (e.g. the last counter snapshot of the exclusive phase). */
  scratch: Map<string, unknown>;
  /** Shares one result between probes of the same attempt (e.g. the sweep over the seven domains). */
  shared<T>(key: string, make: () => Promise<T>): Promise<T>;
  /**
   * Settles once every 'exclusive' probe of the run has finished. A quiet probe whose connections reach
   * the backends on a wrong config (TLS handshakes through a `mode tcp` pass-through) waits for it, or
   * the grader's own handshakes would read as the student's traffic in the routing counters.
   */
  exclusiveDone?: Promise<void>;
}

export interface ProbeImpl<P> {
  kind: string;
  /** 'lab': needs the lab's containers (skipped with --target). */
  needs: 'lab' | 'any';
  /**
   * 'exclusive': reads HAProxy's counters, so no other probe may send traffic meanwhile;
   * 'traffic': sends requests through HAProxy; 'quiet': sends none.
   */
  traffic: 'exclusive' | 'traffic' | 'quiet';
  /** Why the probe is skipped with --target (learner-facing). */
  skipReason?: Text;
  run(ctx: ProbeContext, params: P): Promise<Outcome>;
}

export interface CheckResult {
  id: string;
  title: string;
  status: Status;
  points: number;
  maxPoints: number;
  message: string;
  hint: string;
  /** With --explain: the observations the check decided on. */
  explain?: unknown;
}

export interface Report {
  experiment: string;
  score: number;
  maxScore: number;
  passed: boolean;
  checks: CheckResult[];
}

/** Extra facts the human/JUnit/TAP reporters use; not part of the JSON shape. */
export interface ReportMeta {
  required: Record<string, boolean>;
  durationMs: Record<string, number>;
  attempts: Record<string, number>;
  totalMs: number;
  lang: Lang;
  target?: string;
  /** Per check id: the raw observations its probe decided on (for --explain). */
  observations?: Record<string, unknown>;
}

export { t } from '../util/lang.js';
