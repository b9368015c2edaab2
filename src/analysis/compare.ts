import { type MannWhitneyMethod, type MannWhitneyResult, mannWhitneyU } from './statistics/mann-whitney.js';
import { type TwoProportionZTestResult, twoProportionZTest } from './statistics/two-proportion.js';

/**
 * `inconclusive` means "not enough evidence yet": the caller keeps soaking or
 * fails at its deadline. It is never a pass, so a quiet canary cannot promote.
 */
export type ComparisonVerdict = 'pass' | 'fail' | 'inconclusive';

/** Default significance of the one-sided "canary is worse" tests. */
export const DEFAULT_COMPARE_ALPHA = 0.05;
/** Below this many requests (error test) or samples (latency test) per track, the answer is inconclusive. */
export const DEFAULT_MIN_REQUESTS = 1000;
export const DEFAULT_MIN_LATENCY_SAMPLES = 50;

export interface RelativeComparisonInput {
  canary: number;
  primary: number;
  /** Multiplier on the primary's value, e.g. 1.1 allows the canary 10 % above the primary. */
  tolerance: number;
  /** Absolute allowance added to the limit, so a primary at 0 does not demand a perfect canary. */
  slack?: number;
}

export interface RelativeComparisonResult {
  rule: 'relative';
  verdict: ComparisonVerdict;
  canary: number;
  primary: number;
  tolerance: number;
  slack: number;
  /** primary * tolerance + slack: the canary passes when at or below it. */
  limit: number;
  reason: string;
}

/** `canary <= primary * tolerance + slack`; missing (NaN) values are inconclusive. */
export function compareRelative(input: RelativeComparisonInput): RelativeComparisonResult {
  const slack = input.slack ?? 0;
  checkNonNegative(input.tolerance, 'tolerance');
  checkNonNegative(slack, 'slack');
  const limit = input.primary * input.tolerance + slack;
  const base = {
    rule: 'relative' as const,
    canary: input.canary,
    primary: input.primary,
    tolerance: input.tolerance,
    slack,
    limit,
  };
  if (!Number.isFinite(input.canary) || !Number.isFinite(input.primary)) {
    return { ...base, verdict: 'inconclusive', reason: 'no value for the canary or the primary' };
  }
  return input.canary <= limit
    ? { ...base, verdict: 'pass', reason: `canary ${input.canary} <= limit ${limit}` }
    : { ...base, verdict: 'fail', reason: `canary ${input.canary} > limit ${limit}` };
}

export interface TrackCounts {
  /** Failed requests. */
  errors: number;
  /** All requests. */
  requests: number;
}

export interface ErrorRateComparisonInput {
  canary: TrackCounts;
  primary: TrackCounts;
  alpha?: number;
  minRequests?: number;
}

export interface ErrorRateComparisonResult {
  rule: 'two-proportion';
  verdict: ComparisonVerdict;
  alpha: number;
  minRequests: number;
  canary: TrackCounts & { rate: number };
  primary: TrackCounts & { rate: number };
  /** Absent when a track had fewer than minRequests requests. */
  test?: TwoProportionZTestResult;
  reason: string;
}

/**
 * One-sided two-proportion z-test, H1: the canary's error rate is above the
 * primary's. Fails when p < alpha; inconclusive while either track has fewer
 * than `minRequests` requests (the normal approximation and the power both
 * need them).
 */
export function compareErrorRates(input: ErrorRateComparisonInput): ErrorRateComparisonResult {
  const alpha = input.alpha ?? DEFAULT_COMPARE_ALPHA;
  const minRequests = input.minRequests ?? DEFAULT_MIN_REQUESTS;
  checkAlpha(alpha);
  checkNonNegative(minRequests, 'minRequests');
  const base = {
    rule: 'two-proportion' as const,
    alpha,
    minRequests,
    canary: { ...input.canary, rate: rate(input.canary) },
    primary: { ...input.primary, rate: rate(input.primary) },
  };
  const fewest = Math.min(input.canary.requests, input.primary.requests);
  if (!(fewest >= minRequests) || fewest <= 0) {
    return {
      ...base,
      verdict: 'inconclusive',
      reason: `${fewest} requests on the smaller track, fewer than the ${minRequests} needed`,
    };
  }
  const test = twoProportionZTest(
    { count: input.canary.errors, total: input.canary.requests },
    { count: input.primary.errors, total: input.primary.requests },
    'greater',
  );
  const verdict = test.pValue < alpha ? 'fail' : 'pass';
  return {
    ...base,
    verdict,
    test,
    reason:
      verdict === 'fail'
        ? `canary error rate is higher than the primary's (z = ${fmt(test.z)}, p = ${fmt(test.pValue)} < ${alpha})`
        : `no significant excess of canary errors (z = ${fmt(test.z)}, p = ${fmt(test.pValue)} >= ${alpha})`,
  };
}

export interface LatencyComparisonInput {
  canary: readonly number[];
  primary: readonly number[];
  alpha?: number;
  minSamples?: number;
  method?: MannWhitneyMethod;
}

export interface LatencyComparisonResult {
  rule: 'mann-whitney';
  verdict: ComparisonVerdict;
  alpha: number;
  minSamples: number;
  canarySamples: number;
  primarySamples: number;
  canaryMedian: number;
  primaryMedian: number;
  test?: MannWhitneyResult;
  reason: string;
}

/**
 * One-sided Mann-Whitney U test, H1: canary latencies are stochastically
 * greater than the primary's. Fails when p < alpha; inconclusive below
 * `minSamples` samples on either track.
 */
export function compareLatencies(input: LatencyComparisonInput): LatencyComparisonResult {
  const alpha = input.alpha ?? DEFAULT_COMPARE_ALPHA;
  const minSamples = input.minSamples ?? DEFAULT_MIN_LATENCY_SAMPLES;
  checkAlpha(alpha);
  checkNonNegative(minSamples, 'minSamples');
  const canary = input.canary.filter(Number.isFinite);
  const primary = input.primary.filter(Number.isFinite);
  const base = {
    rule: 'mann-whitney' as const,
    alpha,
    minSamples,
    canarySamples: canary.length,
    primarySamples: primary.length,
    canaryMedian: median(canary),
    primaryMedian: median(primary),
  };
  const fewest = Math.min(canary.length, primary.length);
  if (fewest < minSamples || fewest === 0) {
    return {
      ...base,
      verdict: 'inconclusive',
      reason: `${fewest} samples on the smaller track, fewer than the ${minSamples} needed`,
    };
  }
  const test = mannWhitneyU(canary, primary, { alternative: 'greater', method: input.method ?? 'auto' });
  const verdict = test.pValue < alpha ? 'fail' : 'pass';
  return {
    ...base,
    verdict,
    test,
    reason:
      verdict === 'fail'
        ? `canary latency is higher than the primary's (U = ${test.u1}, p = ${fmt(test.pValue)} < ${alpha})`
        : `no significant canary latency increase (U = ${test.u1}, p = ${fmt(test.pValue)} >= ${alpha})`,
  };
}

function rate(t: TrackCounts): number {
  return t.requests > 0 ? t.errors / t.requests : Number.NaN;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1 (got ${alpha})`);
}

function checkNonNegative(v: number, name: string): void {
  if (!(Number.isFinite(v) && v >= 0))
    throw new RangeError(`${name} must be a non-negative number (got ${v})`);
}
