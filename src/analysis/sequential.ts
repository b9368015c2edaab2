import type { TrackCounts } from './compare.js';

/**
 * Wald's sequential probability ratio test on the canary's error counts:
 * H0: error rate <= p0 against H1: error rate >= p1 (p1 > p0), with type-I
 * error alpha (rolling back a healthy canary) and type-II error beta
 * (promoting a bad one).
 *
 * The Bernoulli log-likelihood ratio after e errors in n requests is
 *   llr = e ln(p1/p0) + (n - e) ln((1 - p1)/(1 - p0)),
 * a function of the cumulative counts only, so each tick recomputes it from
 * the counters; nothing is summed across ticks and a missed tick loses nothing.
 * Boundaries (Wald 1947): upper A = ln((1 - beta)/alpha), lower
 * B = ln(beta/(1 - alpha)); llr >= A rejects H0 (roll back), llr <= B accepts
 * H0 (the step may advance), anything between continues. Evaluating at ticks
 * rather than after every request overshoots the boundaries a little, which
 * only makes the realised error rates smaller than alpha and beta.
 *
 * Choosing p0:
 * - `fixed`: p0 is the error rate the SLO allows (1 - target). The hypotheses
 *   do not move, so alpha and beta hold as stated. Use it when an SLO exists.
 * - `primary`: p0 is the primary's observed error rate over the same period,
 *   so errors the canary shares with the primary (a failing dependency, a bad
 *   client) do not count against it. p0 is then an estimate and moves from
 *   tick to tick; its noise adds to alpha, which is small once the primary has
 *   served many more requests than the canary (the usual weight split). A
 *   `floor` keeps p0 above 0: with p0 = 0 a single canary error would make the
 *   llr infinite.
 * In both modes p1 = p0 * multiplier (capped below 1).
 *
 * Bursty errors (quasi-likelihood): the Bernoulli llr assumes independent
 * requests. When errors come in bursts (a dependency that fails for seconds
 * at a time), the canary's error counts are overdispersed: their variance is
 * phi times the binomial one, and so is the llr's, while its drift (the mean
 * llr per request) is unchanged. Wald's bounds hold for a diffusion whose
 * crossing probabilities are exp(-2 * drift * A / variance); with variance
 * phi times larger, a healthy canary crosses A far more often than alpha
 * (the blast-radius bench measured ~10 % false rollbacks at burst 3 against
 * a 1 % target). Dividing the llr by phi (McCullagh and Nelder, Generalized
 * Linear Models, 2nd ed., ch. 9: the quasi-likelihood of overdispersed
 * binomial counts is the binomial one over phi) divides the drift by phi and
 * the variance by phi squared, so 2 * drift / variance, and with it alpha and
 * beta, is what it is for independent errors. The price is a test phi times
 * slower. `dispersion` defaults to 1: independent errors are tested exactly
 * as before; the caller estimates it (from the primary, which runs the
 * known-good version).
 */

export type SprtBaseline = { kind: 'fixed'; p0: number } | { kind: 'primary'; floor?: number };

export interface SprtOptions {
  alpha: number;
  beta: number;
  baseline: SprtBaseline;
  /** p1 = p0 * multiplier; must be > 1. */
  multiplier: number;
}

/** Lowest p0 when it is taken from the primary: 0.1 % errors. */
export const DEFAULT_SPRT_P0_FLOOR = 0.001;
const P1_CAP = 0.999999;

export type SprtDecision = 'accept-h0' | 'reject-h0' | 'continue';

export interface SprtBoundaries {
  /** ln((1 - beta)/alpha): at or above, reject H0. */
  upper: number;
  /** ln(beta/(1 - alpha)): at or below, accept H0. */
  lower: number;
}

export interface SprtTick {
  /** 1-based count of evaluations. */
  tick: number;
  errors: number;
  requests: number;
  p0: number;
  p1: number;
  /** The llr after dividing by the dispersion (quasi-likelihood); the Bernoulli llr when it is 1. */
  llr: number;
  /** The dispersion factor phi >= 1 the llr was divided by (1: errors taken as independent). */
  dispersion: number;
  upper: number;
  lower: number;
  decision: SprtDecision;
}

export interface SprtState {
  options: SprtOptions;
  boundaries: SprtBoundaries;
  ticks: number;
  /** The latest evaluation; undefined before the first. */
  last?: SprtTick;
  /** The first boundary crossing, kept for the report even if later ticks move back inside. */
  firstCrossing?: { decision: Exclude<SprtDecision, 'continue'>; tick: number };
}

export interface SprtObservation {
  /** Cumulative canary counts since the test started. */
  canary: TrackCounts;
  /** Cumulative primary counts over the same period; required for the `primary` baseline. */
  primary?: TrackCounts;
  /**
   * Dispersion factor phi >= 1 of the canary's error counts (variance over the binomial one);
   * default 1, independent errors.
   */
  dispersion?: number;
}

export function sprtBoundaries(alpha: number, beta: number): SprtBoundaries {
  checkRate(alpha, 'alpha');
  checkRate(beta, 'beta');
  if (alpha + beta >= 1) throw new RangeError(`alpha + beta must be below 1 (got ${alpha} + ${beta})`);
  return { upper: Math.log((1 - beta) / alpha), lower: Math.log(beta / (1 - alpha)) };
}

export function bernoulliLlr(errors: number, requests: number, p0: number, p1: number): number {
  if (!(p0 > 0 && p1 > p0 && p1 < 1))
    throw new RangeError(`need 0 < p0 < p1 < 1 (got p0 = ${p0}, p1 = ${p1})`);
  if (!(errors >= 0 && requests >= errors)) {
    throw new RangeError(`need 0 <= errors <= requests (got ${errors} errors in ${requests} requests)`);
  }
  return errors * Math.log(p1 / p0) + (requests - errors) * Math.log((1 - p1) / (1 - p0));
}

/** The hypotheses in force for this observation. */
export function sprtHypotheses(options: SprtOptions, primary?: TrackCounts): { p0: number; p1: number } {
  let p0: number;
  if (options.baseline.kind === 'fixed') {
    p0 = options.baseline.p0;
  } else {
    const floor = options.baseline.floor ?? DEFAULT_SPRT_P0_FLOOR;
    checkRate(floor, 'baseline.floor');
    if (!primary) throw new RangeError('the primary baseline needs the primary track counts');
    const observed = primary.requests > 0 ? primary.errors / primary.requests : 0;
    p0 = Math.max(floor, observed);
  }
  checkRate(p0, 'p0');
  const p1 = Math.min(p0 * options.multiplier, P1_CAP);
  if (!(p1 > p0))
    throw new RangeError(
      `p1 = p0 * multiplier must exceed p0 (p0 = ${p0}, multiplier ${options.multiplier})`,
    );
  return { p0, p1 };
}

export function createSprt(options: SprtOptions): SprtState {
  if (!(options.multiplier > 1))
    throw new RangeError(`multiplier must be above 1 (got ${options.multiplier})`);
  if (options.baseline.kind === 'fixed') checkRate(options.baseline.p0, 'baseline.p0');
  return { options, boundaries: sprtBoundaries(options.alpha, options.beta), ticks: 0 };
}

/** Evaluates one tick from cumulative counts; returns the next state, whose `last` is this tick. */
export function updateSprt(state: SprtState, observation: SprtObservation): SprtState {
  const { p0, p1 } = sprtHypotheses(state.options, observation.primary);
  const { errors, requests } = observation.canary;
  const dispersion = observation.dispersion ?? 1;
  if (!(dispersion >= 1 && Number.isFinite(dispersion)))
    throw new RangeError(`dispersion must be a finite number of at least 1 (got ${dispersion})`);
  const llr = bernoulliLlr(errors, requests, p0, p1) / dispersion;
  const { upper, lower } = state.boundaries;
  const decision: SprtDecision = llr >= upper ? 'reject-h0' : llr <= lower ? 'accept-h0' : 'continue';
  const tick = state.ticks + 1;
  const last: SprtTick = { tick, errors, requests, p0, p1, llr, dispersion, upper, lower, decision };
  const firstCrossing = state.firstCrossing ?? (decision === 'continue' ? undefined : { decision, tick });
  return { ...state, ticks: tick, last, ...(firstCrossing ? { firstCrossing } : {}) };
}

function checkRate(v: number, name: string): void {
  if (!(v > 0 && v < 1)) throw new RangeError(`${name} must be between 0 and 1, exclusive (got ${v})`);
}
