import { normalSf } from './normal.js';
import type { Alternative } from './two-proportion.js';

export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

export interface MannWhitneyOptions {
  /** `greater`: x is stochastically greater than y (e.g. canary latency above primary). */
  alternative?: Alternative;
  /** `auto` (default) picks exact for small samples without ties, as scipy does. */
  method?: MannWhitneyMethod;
  /** Continuity correction of 1/2 in the normal approximation (default true, as scipy and R). */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  test: 'mann-whitney-u';
  alternative: Alternative;
  method: 'exact' | 'asymptotic';
  /** U of the first sample: the number of pairs (x, y) with x > y, ties counting 1/2 (R's W). */
  u1: number;
  /** U of the second sample: n1 * n2 - u1. */
  u2: number;
  /** The normal deviate; present only for the asymptotic method. */
  z?: number;
  pValue: number;
  n1: number;
  n2: number;
  /** Whether the pooled samples contain tied values (they reduce the variance of U). */
  ties: boolean;
  continuity: boolean;
}

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test of two independent samples, the
 * test Kayenta's judge applies to a canary's metric against its baseline.
 * Follows scipy.stats.mannwhitneyu: midranks for ties, tie-corrected variance
 * (Mann & Whitney 1947; sigma^2 = n1 n2 / 12 * ((n+1) - sum(t^3 - t) / (n (n-1)))),
 * the continuity correction, and the exact null distribution for small samples
 * without ties, where `auto` uses it when either sample has at most 8 values.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const continuity = options.continuity ?? true;
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each sample');
  for (const v of [...x, ...y]) {
    if (!Number.isFinite(v)) throw new RangeError(`mannWhitneyU needs finite values (got ${v})`);
  }
  const { rankSumX, tieTerm } = rankSums(x, y);
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const ties = tieTerm > 0;

  let u: number;
  let factor = 1;
  if (alternative === 'greater') u = u1;
  else if (alternative === 'less') u = u2;
  else {
    u = Math.max(u1, u2);
    factor = 2;
  }

  const method = chooseMethod(options.method ?? 'auto', n1, n2, ties);
  let pValue: number;
  let z: number | undefined;
  if (method === 'exact') {
    pValue = exactSf(Math.round(u), n1, n2);
  } else {
    const n = n1 + n2;
    const mean = (n1 * n2) / 2;
    const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
    const sd = Math.sqrt(variance);
    const numerator = u - mean - (continuity ? 0.5 : 0);
    z = sd === 0 ? 0 : numerator / sd;
    // All values tied: no evidence either way.
    pValue = sd === 0 ? 1 : normalSf(z);
  }
  pValue = Math.min(1, Math.max(0, pValue * factor));
  return {
    test: 'mann-whitney-u',
    alternative,
    method,
    u1,
    u2,
    ...(z === undefined ? {} : { z }),
    pValue,
    n1,
    n2,
    ties,
    continuity,
  };
}

function chooseMethod(
  requested: MannWhitneyMethod,
  n1: number,
  n2: number,
  ties: boolean,
): 'exact' | 'asymptotic' {
  const feasible = !ties && exactIsRepresentable(n1, n2);
  if (requested === 'exact') {
    if (!feasible) {
      throw new RangeError(
        ties
          ? 'the exact Mann-Whitney distribution assumes no ties; use the asymptotic method'
          : `samples of ${n1} and ${n2} are too large for the exact Mann-Whitney distribution`,
      );
    }
    return 'exact';
  }
  if (requested === 'asymptotic') return 'asymptotic';
  return feasible && (n1 <= 8 || n2 <= 8) ? 'exact' : 'asymptotic';
}

/** Sum of the midranks of x in the pooled sample, and sum(t^3 - t) over tie groups. */
function rankSums(x: readonly number[], y: readonly number[]): { rankSumX: number; tieTerm: number } {
  const pooled = [...x.map((v) => ({ v, fromX: true })), ...y.map((v) => ({ v, fromX: false }))];
  pooled.sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0;
  let i = 0;
  while (i < pooled.length) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const t = j - i + 1;
    const midrank = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++) if (pooled[k]!.fromX) rankSumX += midrank;
    if (t > 1) tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { rankSumX, tieTerm };
}

// The counts of the exact null distribution are the coefficients of the
// Gaussian binomial [n1 + n2 choose n1]_q; they stay exact integers while
// C(n1 + n2, n1) fits in a double's 53-bit mantissa.
function exactIsRepresentable(n1: number, n2: number): boolean {
  const m = Math.min(n1, n2);
  let c = 1;
  for (let i = 1; i <= m; i++) {
    c = (c * (n1 + n2 - m + i)) / i;
    if (c > Number.MAX_SAFE_INTEGER) return false;
  }
  return true;
}

/** P(U >= u) under H0 for samples of n1 and n2 values without ties. */
function exactSf(u: number, n1: number, n2: number): number {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  const max = m * n;
  if (u <= 0) return 1;
  if (u > max) return 0;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  // prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)
  for (let i = 1; i <= m; i++) {
    const up = n + i;
    for (let k = max; k >= up; k--) counts[k]! -= counts[k - up]!;
    for (let k = i; k <= max; k++) counts[k]! += counts[k - i]!;
  }
  let total = 0;
  let tail = 0;
  for (let k = 0; k <= max; k++) {
    total += counts[k]!;
    if (k >= u) tail += counts[k]!;
  }
  return tail / total;
}
