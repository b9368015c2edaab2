import { normalSf } from './normal.js';

/** Events out of trials for one group, e.g. failed requests out of all requests. */
export interface Proportion {
  count: number;
  total: number;
}

/**
 * `greater`: the first proportion is larger than the second (for a canary:
 * the canary fails more often than the primary). Named as in R's prop.test;
 * statsmodels calls the same alternative `larger`.
 */
export type Alternative = 'two-sided' | 'greater' | 'less';

export interface TwoProportionZTestResult {
  test: 'two-proportion-z';
  alternative: Alternative;
  /** count / total of the first and second group. */
  p1: number;
  p2: number;
  /** The pooled proportion under H0 (p1 = p2). */
  pooled: number;
  /** Standard error of p1 - p2 under H0. */
  standardError: number;
  z: number;
  pValue: number;
  n1: number;
  n2: number;
}

/**
 * Two-sample z-test for proportions with the pooled variance, the same
 * statistic as statsmodels' `proportions_ztest(count, nobs)` and the square
 * root of R's `prop.test(x, n, correct = FALSE)` chi-squared statistic.
 *
 * When both groups have no events (or only events) the difference carries no
 * evidence: z = 0 and the p-value is 1 (two-sided) or 0.5 (one-sided).
 */
export function twoProportionZTest(
  first: Proportion,
  second: Proportion,
  alternative: Alternative = 'two-sided',
): TwoProportionZTestResult {
  checkProportion(first, 'first');
  checkProportion(second, 'second');
  const p1 = first.count / first.total;
  const p2 = second.count / second.total;
  const pooled = (first.count + second.count) / (first.total + second.total);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / first.total + 1 / second.total));
  const z = standardError === 0 ? 0 : (p1 - p2) / standardError;
  let pValue: number;
  if (alternative === 'greater') pValue = normalSf(z);
  else if (alternative === 'less') pValue = normalSf(-z);
  else pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  return {
    test: 'two-proportion-z',
    alternative,
    p1,
    p2,
    pooled,
    standardError,
    z,
    pValue,
    n1: first.total,
    n2: second.total,
  };
}

function checkProportion(p: Proportion, name: string): void {
  if (!(Number.isFinite(p.total) && p.total > 0)) {
    throw new RangeError(`${name}.total must be a positive number of trials (got ${p.total})`);
  }
  if (!(Number.isFinite(p.count) && p.count >= 0 && p.count <= p.total)) {
    throw new RangeError(`${name}.count must be between 0 and total=${p.total} (got ${p.count})`);
  }
}
