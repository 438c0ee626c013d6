// Runs an experiment's checks against a context and scores them. Probes that read HAProxy's counters
// ('exclusive') run first, one at a time, so no other request disturbs the counters; probes that only
// read ('quiet', e.g. TLS handshakes, haproxy -c) run alongside them; probes that send traffic run
// afterwards, in parallel, reusing the answers the routing rounds already got where they can.
// Every attempt has a timeout; a failed attempt is retried after a delay (the lab may still be converging).
import type { BaseContext } from './context.js';
import { probeFor } from './probes/index.js';
import type { CheckDef } from './schema.js';
import type { CheckResult, Lang, Outcome, ProbeContext, ProbeImpl, Report, ReportMeta } from './types.js';
import { t } from './types.js';
import { sleep } from '../util/sleep.js';
import { COURSE_STATS_LOGIN, withStatsPassword } from '../state/secrets.js';

export interface RunOptions {
  lang: Lang;
  /** Run only these check ids (in lab.yaml order). */
  only?: string[];
  /** Overrides every check's retries (e.g. 0 for a quick look). */
  retries?: number;
  onResult?: (r: CheckResult) => void;
  /** Replaces probe implementations by kind (tests). */
  probes?: Partial<Record<string, ProbeImpl<never>>>;
}


function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms`)), ms);
    }),
  ]);
}

export { resolveLang } from '../util/lang.js';

/**
 * A probe's parameters with the lab's stats password where the check logs in with the course's
 * admin:123456 (a `credentials` object, or the pair inside a string); other logins are the lab's own.
 */
export function withLabLogin<T>(probe: T, pw: string | undefined): T {
  if (!pw) return probe;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return withStatsPassword(v, pw);
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (o.user === COURSE_STATS_LOGIN.user && String(o.password) === COURSE_STATS_LOGIN.password) return { ...o, password: pw };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(probe) as T;
}

interface Done {
  outcome: Outcome;
  attempts: number;
  ms: number;
}

type Impl = ProbeImpl<never>;

async function runOne(
  impl: Impl,
  check: CheckDef,
  base: BaseContext,
  memo: Map<string, Promise<unknown>>,
  scratch: Map<string, unknown>,
  retries: number,
  exclusiveDone: Promise<void>,
): Promise<Done> {
  const start = Date.now();
  if (base.mode === 'target' && impl.needs === 'lab') {
    return { outcome: { status: 'skip', message: impl.skipReason ?? t('needs the lab', '需要实验环境') }, attempts: 0, ms: 0 };
  }
  let outcome: Outcome = { status: 'fail', message: t('not run', '未运行') };
  let attempt = 0;
  for (; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(check.retryDelayMs);
    const n = attempt;
    const ctx: ProbeContext = {
      ...base,
      attempt: n,
      scratch,
      exclusiveDone,
      shared<T>(key: string, make: () => Promise<T>): Promise<T> {
        const k = `${key}#${n}`;
        if (!memo.has(k)) memo.set(k, make());
        return memo.get(k) as Promise<T>;
      },
    };
    try {
      outcome = await withTimeout(impl.run(ctx, withLabLogin(check.probe, base.statsPassword) as never), check.timeoutMs);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      outcome = { status: 'fail', message: t(`the probe could not finish: ${msg}`, `探测未能完成：${msg}`) };
    }
    if (outcome.status !== 'fail') break;
  }
  return { outcome, attempts: Math.min(attempt + 1, retries + 1), ms: Date.now() - start };
}

export async function runChecks(experiment: string, all: CheckDef[], base: BaseContext, opts: RunOptions): Promise<{ report: Report; meta: ReportMeta }> {
  const started = Date.now();
  const checks = opts.only ? all.filter((c) => opts.only!.includes(c.id)) : all;
  const memo = new Map<string, Promise<unknown>>();
  const scratch = new Map<string, unknown>();
  const done = new Map<string, Done>();
  const emit = (c: CheckDef, d: Done) => {
    done.set(c.id, d);
    opts.onResult?.(toResult(c, d, opts.lang));
  };
  const implOf = (c: CheckDef): Impl => opts.probes?.[c.probe.kind] ?? (probeFor(c.probe.kind) as Impl);
  let exclusiveOver!: () => void;
  const exclusiveDone = new Promise<void>((resolve) => (exclusiveOver = resolve));
  const go = (c: CheckDef) => runOne(implOf(c), c, base, memo, scratch, opts.retries ?? c.retries, exclusiveDone).then((d) => emit(c, d));
  const traffic = (c: CheckDef) => implOf(c).traffic;
  const quiet = checks.filter((c) => traffic(c) === 'quiet').map(go);
  try {
    for (const c of checks.filter((x) => traffic(x) === 'exclusive')) await go(c);
  } finally {
    // Also when reporting a result threw: a quiet probe left waiting would hold the run until its timeout.
    exclusiveOver();
  }
  await Promise.all(checks.filter((c) => traffic(c) === 'traffic').map(go));
  await Promise.all(quiet);

  const results = checks.map((c) => toResult(c, done.get(c.id)!, opts.lang));
  const score = results.reduce((s, r) => s + r.points, 0);
  const maxScore = results.reduce((s, r) => s + r.maxPoints, 0);
  const passed = checks.every((c, i) => !c.required || results[i]!.status === 'pass');
  return {
    report: { experiment, score, maxScore, passed, checks: results },
    meta: {
      required: Object.fromEntries(checks.map((c) => [c.id, c.required])),
      durationMs: Object.fromEntries(checks.map((c) => [c.id, done.get(c.id)!.ms])),
      attempts: Object.fromEntries(checks.map((c) => [c.id, done.get(c.id)!.attempts])),
      totalMs: Date.now() - started,
      lang: opts.lang,
      target: base.mode === 'target' ? base.edgeAddress : undefined,
      observations: Object.fromEntries(checks.flatMap((c) => (done.get(c.id)!.outcome.observed === undefined ? [] : [[c.id, done.get(c.id)!.outcome.observed]]))),
    },
  };
}

function toResult(c: CheckDef, d: Done, lang: Lang): CheckResult {
  const hint = d.outcome.hint ? `${c.hint[lang]} ${d.outcome.hint[lang]}` : c.hint[lang];
  return {
    id: c.id,
    title: c.title[lang],
    status: d.outcome.status,
    points: d.outcome.status === 'pass' ? c.points : 0,
    maxPoints: c.points,
    message: d.outcome.message[lang],
    hint,
  };
}
