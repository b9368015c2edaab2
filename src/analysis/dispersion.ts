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
 * 4.5.2). phi = max(1, D): fewer-than-binomial variance is sampling noise here,
 * and the test never trusts counts more than independent errors allow.
 */

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
  return { phi: Math.max(1, index), windows: k, index };
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
