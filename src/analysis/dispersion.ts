import type { TrackCounts } from './compare.js';

/**
 * How much more error counts vary than independent (binomial) errors would:
 * the dispersion factor phi that the sequential test divides its
 * log-likelihood ratio by (see sequential.ts).
 *
 * phi is measured on the primary, which runs the known-good version, from its
 * error counts in k disjoint windows: Pearson's dispersion index
 *   D = sum (e_i - n_i p)^2 / (p (1 - p) (N - sum n_i^2 / N)),  p = sum e_i / N,
 * whose denominator is the numerator's expectation for binomial counts (the
 * estimated p takes one degree of freedom: (k - 1)/k of sum n_i p (1 - p) when
 * the n_i are equal), so D is about 1 for independent errors and phi for
 * overdispersed ones (McCullagh and Nelder, Generalized Linear Models, 2nd ed.,
 * 4.5.2). phi = D only when D is significantly above 1: for binomial counts
 * (k - 1) D is about chi-square with k - 1 degrees of freedom, so D above its
 * 99th percentile is overdispersion at the 1 % level (Cameron and Trivedi,
 * Regression Analysis of Count Data, 2nd ed., 5.6). Below it phi is 1: an
 * index a little above 1, which independent errors show half the time, would
 * only slow the test down (measured: 1.6x at the 50 % step on one seed in eight
 * of the blast-radius bench's independent errors), and fewer-than-binomial
 * variance is sampling noise; the test never trusts counts more than
 * independent errors allow.
 */

/** Level of the test for overdispersion: independent errors are taken as bursty 1 time in 100. */
const OVERDISPERSION_LEVEL_Z = 2.326;

/** Fewer windows estimate D too loosely (its relative error is about sqrt(2 / (k - 1))). */
export const MIN_DISPERSION_WINDOWS = 5;

export interface DispersionEstimate {
  /** max(1, D); 1 when it could not be measured. */
  phi: number;
  /** Windows with requests that the estimate used. */
  windows: number;
  /** Pearson's D itself, when it could be computed. */
  index?: number;
  /** Why phi is 1 by default rather than measured; absent when it was measured. */
  unmeasured?: string;
}

export function pearsonDispersion(windows: TrackCounts[]): DispersionEstimate {
  const used = windows.filter((w) => w.requests > 0);
  const k = used.length;
  if (k < MIN_DISPERSION_WINDOWS) {
    return {
      phi: 1,
      windows: k,
      unmeasured: `only ${k} window(s) with requests, at least ${MIN_DISPERSION_WINDOWS} needed`,
    };
  }
  const total = used.reduce((sum, w) => sum + w.requests, 0);
  const errors = used.reduce((sum, w) => sum + w.errors, 0);
  const p = errors / total;
  if (!(p > 0 && p < 1)) {
    return {
      phi: 1,
      windows: k,
      unmeasured: `the error rate was ${p === 0 ? 'zero' : 'one'} in every window`,
    };
  }
  const squares = used.reduce((sum, w) => sum + (w.errors - w.requests * p) ** 2, 0);
  const binomial = p * (1 - p) * (total - used.reduce((sum, w) => sum + w.requests ** 2, 0) / total);
  const index = squares / binomial;
  return { phi: index > overdispersionThreshold(k - 1) ? index : 1, windows: k, index };
}

/**
 * The 99th percentile of chi-square(df) / df, by the Wilson-Hilferty approximation (chi-square/df
 * is close to the cube of a normal with mean 1 - 2/(9 df) and variance 2/(9 df); Johnson, Kotz and
 * Balakrishnan, Continuous Univariate Distributions, vol. 1, 18.8), within 1 % from df = 4 up.
 */
export function overdispersionThreshold(df: number): number {
  const v = 2 / (9 * df);
  return (1 - v + OVERDISPERSION_LEVEL_Z * Math.sqrt(v)) ** 3;
}

/**
 * The canary's dispersion from the primary's. Assumption: errors come from a
 * Markov-modulated process (a failing state that comes and goes, as a flaky
 * dependency does) shared in kind by both versions. Its counts in a window
 * have variance mu (1 + c * lambda) for mean mu and error rate lambda per
 * second, with c set by how long a failing spell lasts and how much worse it
 * is, not by the version: the excess phi - 1 grows in proportion to the
 * expected errors per unit time. Under H0 (the canary fails at the primary's
 * rate), lambda is proportional to each track's request rate, so
 *   phi_c = 1 + (phi_p - 1) * canary rate / primary rate.
 * A canary taking a small share of traffic is then barely overdispersed even
 * when the primary is very, which is what its independent spells give.
 */
export function canaryDispersion(primaryPhi: number, canaryRate: number, primaryRate: number): number {
  if (!(primaryPhi > 1) || !(canaryRate > 0) || !(primaryRate > 0)) return 1;
  return 1 + (primaryPhi - 1) * (canaryRate / primaryRate);
}
