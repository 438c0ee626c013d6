// A probe in two halves: `observe` talks to the lab (or --target) and returns plain JSON observations;
// `decide` is a pure function from those observations (and the check's parameters) to pass/fail and a
// message. `run` joins them and attaches the observations to the outcome (`lab check --explain`), so
// every decision can be replayed without a lab (test/fixtures/observations/).
import type { Outcome, ProbeContext, ProbeImpl } from '../types.js';

/** An outcome settled before anything worth deciding on was observed (a skip, a lab without the node). */
export interface Early {
  early: Outcome;
}

export const early = (o: Outcome): Early => ({ early: o });

const isEarly = (x: unknown): x is Early => typeof x === 'object' && x !== null && 'early' in x;

export interface ObservingProbe<P, O> extends ProbeImpl<P> {
  observe(ctx: ProbeContext, params: P): Promise<O | Early>;
  /** Pure: the same observations and parameters always give the same outcome. */
  decide(observed: O, params: P): Outcome;
}

export function defineProbe<P, O>(spec: Omit<ObservingProbe<P, O>, 'run'>): ObservingProbe<P, O> {
  return {
    ...spec,
    async run(ctx, params) {
      const o = await spec.observe(ctx, params);
      if (isEarly(o)) return o.early;
      return { ...spec.decide(o, params), observed: o };
    },
  };
}
