import { bernoulliLlr, sprtBoundaries } from './sequential.js';
import { normalCdf, normalSf } from './statistics/normal.js';

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
  /** Canary requests within which 99 % of canaries at p0 are accepted (see acceptQuantile). */
  toAcceptP99: number;
}

/** The share of healthy canaries the minimum traffic is sized for: at most 1 in 100 ends a step undecided. */
export const ACCEPT_QUANTILE = 0.99;

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
    toAcceptP99: Math.ceil(acceptQuantile(alpha, beta, p0, p1, ACCEPT_QUANTILE)),
  };
}

/**
 * Canary requests within which a share q of canaries at p0 are accepted. The mean alone would size
 * a schedule on which half the healthy canaries run out of maxStepDuration and roll back.
 *
 * Under H0 the llr is a random walk with drift mu = E0[z] < 0 and variance s2 = Var0[z] per
 * request; its first passage to the lower boundary B is, in the diffusion approximation, inverse
 * Gaussian with mean B/mu and shape B^2/s2 (Wald 1947, §A.2; Chhikara and Folks, "The Inverse
 * Gaussian Distribution", 1989, ch. 2). The upper boundary is ignored: a healthy canary rarely
 * reaches it, and ignoring it only lengthens the tail, so the figure errs towards more traffic.
 */
export function acceptQuantile(alpha: number, beta: number, p0: number, p1: number, q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`q must be between 0 and 1, exclusive (got ${q})`);
  const { lower } = sprtBoundaries(alpha, beta);
  const onError = bernoulliLlr(1, 1, p0, p1);
  const onSuccess = bernoulliLlr(0, 1, p0, p1);
  const drift = p0 * onError + (1 - p0) * onSuccess;
  const variance = p0 * (1 - p0) * (onError - onSuccess) ** 2;
  const mean = lower / drift;
  const shape = (lower * lower) / variance;
  let hi = mean;
  for (let i = 0; i < 200 && inverseGaussianCdf(hi, mean, shape) < q; i++) hi *= 2;
  let lo = 0;
  // Bisection to a tenth of a request: the CDF is monotone, 100 halvings are far more than enough.
  for (let i = 0; i < 100 && hi - lo > 0.1; i++) {
    const mid = (lo + hi) / 2;
    if (inverseGaussianCdf(mid, mean, shape) < q) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** P(X <= x) for the inverse Gaussian with this mean and shape (Chhikara and Folks, eq. 2.3). */
export function inverseGaussianCdf(x: number, mean: number, shape: number): number {
  if (x <= 0) return 0;
  const root = Math.sqrt(shape / x);
  const y = root * (x / mean + 1);
  // exp(2 shape/mean) overflows long before the product does: add the logarithms.
  return normalCdf(root * (x / mean - 1)) + Math.exp((2 * shape) / mean + logNormalSf(y));
}

/** ln P(Z > y), also where P(Z > y) itself underflows (the Mills-ratio expansion). */
function logNormalSf(y: number): number {
  if (y < 30) return Math.log(normalSf(y));
  return -0.5 * y * y - 0.5 * Math.log(2 * Math.PI) - Math.log(y) + Math.log(1 - 1 / y ** 2 + 3 / y ** 4);
}

/** One step of the schedule: the service traffic it needs for the test to decide there. */
export interface StepTraffic {
  weight: number;
  /** Service requests per second (both tracks) at which the canary, on average, is accepted within the interval. */
  rpsWithinInterval: number;
  /** Service requests per second at which 99 % of healthy canaries are accepted within maxStepDuration; below it more end undecided and roll back. */
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
 * canary sees rps * w/100 * T requests. Within the interval they reach the mean
 * sample (the larger of the two means); within maxStepDuration, the requests in
 * which 99 % of healthy canaries are accepted, since a step that runs out of
 * maxStepDuration rolls back.
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
    rpsWithinMaxStep: Math.max(needed, size.toAcceptP99) / ((weight / 100) * (options.maxStepMs / 1000)),
  }));
  return {
    ...size,
    p0Source: options.p0Source,
    steps,
    minimumRps: Math.max(...steps.map((s) => s.rpsWithinMaxStep)),
  };
}

/**
 * The fewest canary requests, on average, that ANY sequential test needs to tell a canary at `bad`
 * from one at `p0` with false-alarm probability alpha and miss probability beta: Wald's inequality
 * (Wald 1947, §A.7; Siegmund 1985, Prop. 2.38 and eq. 2.37),
 *   E_bad[N] >= ((1 - beta) ln((1 - beta)/alpha) + beta ln(beta/(1 - alpha))) / KL(bad || p0),
 * with KL the Kullback-Leibler divergence of one request's outcome. The SPRT with p1 = bad attains
 * it up to the overshoot. Every canary request costs (bad - p0) excess failures on average, so the
 * same bound, times that, is the fewest excess failures any rollout can serve before rolling back.
 */
export function sequentialLowerBound(
  alpha: number,
  beta: number,
  p0: number,
  bad: number,
): {
  requests: number;
  excessFailures: number;
} {
  sprtBoundaries(alpha, beta);
  if (!(p0 > 0 && bad > p0 && bad < 1)) throw new RangeError(`need 0 < p0 < bad < 1 (got ${p0}, ${bad})`);
  const kl = bad * Math.log(bad / p0) + (1 - bad) * Math.log((1 - bad) / (1 - p0));
  const information = (1 - beta) * Math.log((1 - beta) / alpha) + beta * Math.log(beta / (1 - alpha));
  const requests = information / kl;
  return { requests, excessFailures: requests * (bad - p0) };
}
