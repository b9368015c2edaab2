import { bernoulliLlr, sprtBoundaries } from './sequential.js';

/**
 * How many canary requests the sequential test needs, on average, to decide:
 * Wald's approximation of the average sample number (Wald 1947, §3.4;
 * Siegmund, "Sequential Analysis", 1985, eq. 2.7). With z the log-likelihood
 * ratio of one request and A, B the boundaries,
 *   E0[N] = ((1 - alpha) B + alpha A) / E0[z]   (a canary as good as p0: accepted)
 *   E1[N] = (beta B + (1 - beta) A) / E1[z]     (a canary as bad as p1: rolled back)
 * It ignores the overshoot at the boundary, so the true means are a little
 * larger; half of the runs need more than the mean, which is why a step may
 * extend past its interval up to maxStepDuration.
 */
export interface SprtSampleSize {
  p0: number;
  p1: number;
  /** Mean canary requests to accept a canary whose error rate is p0. */
  toAccept: number;
  /** Mean canary requests to reject a canary whose error rate is p1. */
  toReject: number;
}

export function sprtSampleSize(alpha: number, beta: number, p0: number, p1: number): SprtSampleSize {
  const { upper, lower } = sprtBoundaries(alpha, beta);
  // Per-request drift of the llr under each hypothesis, from the same formula the test uses.
  const drift0 = p0 * bernoulliLlr(1, 1, p0, p1) + (1 - p0) * bernoulliLlr(0, 1, p0, p1);
  const drift1 = p1 * bernoulliLlr(1, 1, p0, p1) + (1 - p1) * bernoulliLlr(0, 1, p0, p1);
  return {
    p0,
    p1,
    toAccept: Math.ceil(((1 - alpha) * lower + alpha * upper) / drift0),
    toReject: Math.ceil((beta * lower + (1 - beta) * upper) / drift1),
  };
}

/** One step of the schedule: the service traffic it needs for the test to decide there. */
export interface StepTraffic {
  weight: number;
  /** Service requests per second (both tracks) at which the canary, on average, is accepted within the interval. */
  rpsWithinInterval: number;
  /** Below this, the step is expected to end undecided at maxStepDuration and roll back. */
  rpsWithinMaxStep: number;
}

export interface MinimumTraffic extends SprtSampleSize {
  /** Whether p0 was measured (the primary's error rate) or assumed because it could not be. */
  p0Source: 'fixed' | 'measured' | 'assumed';
  steps: StepTraffic[];
  /** The highest need over the steps (the lowest weight binds): the service's minimum. */
  minimumRps: number;
  /** Requests per second the service served before the rollout, when it could be measured. */
  measuredRps?: number;
}

/**
 * The traffic the configured schedule needs: at weight w and step length T the
 * canary sees rps * w/100 * T requests, which must reach the mean sample to
 * accept a healthy canary (the larger of the two means for the usual alpha < beta).
 */
export function minimumTraffic(options: {
  alpha: number;
  beta: number;
  p0: number;
  multiplier: number;
  p0Source: MinimumTraffic['p0Source'];
  steps: readonly number[];
  intervalMs: number;
  maxStepMs: number;
}): MinimumTraffic {
  const p1 = Math.min(options.p0 * options.multiplier, 0.999999);
  const size = sprtSampleSize(options.alpha, options.beta, options.p0, p1);
  const needed = Math.max(size.toAccept, size.toReject);
  const steps = options.steps.map((weight) => ({
    weight,
    rpsWithinInterval: needed / ((weight / 100) * (options.intervalMs / 1000)),
    rpsWithinMaxStep: needed / ((weight / 100) * (options.maxStepMs / 1000)),
  }));
  return {
    ...size,
    p0Source: options.p0Source,
    steps,
    minimumRps: Math.max(...steps.map((s) => s.rpsWithinMaxStep)),
  };
}
