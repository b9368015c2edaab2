import { describe, expect, it } from 'vitest';
import { mannWhitneyU } from '../../../src/analysis/statistics/mann-whitney.js';
import { normalCdf, normalSf } from '../../../src/analysis/statistics/normal.js';

// Diabetes diagnosis ages, from the Examples of scipy.stats.mannwhitneyu
// (https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.mannwhitneyu.html).
const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];

// Hollander & Wolfe (1973) p. 69, the two-sample example of R's ?wilcox.test.
const term = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const early = [1.15, 0.88, 0.9, 0.74, 1.21];

describe('mannWhitneyU against scipy.stats.mannwhitneyu', () => {
  it('exact two-sided: U1 = 17, p = 0.1111111111111111', () => {
    const r = mannWhitneyU(males, females, { method: 'exact' });
    expect(r.method).toBe('exact');
    expect(r.u1).toBe(17);
    expect(r.u2).toBe(3);
    expect(r.pValue).toBeCloseTo(0.1111111111111111, 14);
  });

  it('auto picks the exact distribution for small samples without ties', () => {
    expect(mannWhitneyU(males, females).method).toBe('exact');
  });

  it('asymptotic with continuity correction: p = 0.11134688653314041', () => {
    const r = mannWhitneyU(males, females, { method: 'asymptotic' });
    expect(r.pValue).toBeCloseTo(0.11134688653314041, 12);
  });

  it('asymptotic without continuity correction: p = 0.0864107329737', () => {
    const r = mannWhitneyU(males, females, { method: 'asymptotic', continuity: false });
    expect(r.pValue).toBeCloseTo(0.0864107329737, 12);
  });

  it('exact one-sided less: statistic 3.0, p = 0.05555555555555555', () => {
    const r = mannWhitneyU(females, males, { alternative: 'less', method: 'exact' });
    expect(r.u1).toBe(3);
    expect(r.pValue).toBeCloseTo(0.05555555555555555, 14);
  });
});

describe('mannWhitneyU against R wilcox.test', () => {
  // Published output of the ?wilcox.test example: "W = 35, p-value = 0.1272"
  // (exact) and "W = 35, p-value = 0.1103" (exact = FALSE, correct = FALSE).
  it('exact greater: W = 35, p = 0.1272', () => {
    const r = mannWhitneyU(term, early, { alternative: 'greater' });
    expect(r.u1).toBe(35);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(0.1272, 4);
  });

  it('large-sample approximation without correction: p = 0.1103', () => {
    const r = mannWhitneyU(term, early, { alternative: 'greater', method: 'asymptotic', continuity: false });
    expect(r.pValue).toBeCloseTo(0.1103, 4);
  });
});

describe('mannWhitneyU with ties', () => {
  it('matches NAG g08amc (tie-corrected variance, continuity correction)', () => {
    // NAG Library example g08amce: data in g08amce.d, results in g08amce.r
    // (https://support.nag.com/numeric/cl/nagdoc_cl26/examples/baseresults/g08amce.r.html):
    // "Test statistic = 86.0000, Normal Statistic = -2.8039, Approximate tail probability = 0.0025".
    const group1 = [13, 6, 12, 7, 12, 7, 10, 7, 10, 7, 16, 7, 10, 8, 9, 8];
    const group2 = [17, 6, 10, 8, 15, 8, 15, 10, 15, 10, 14, 10, 14, 11, 14, 11, 13, 12, 13, 12, 13, 12, 12];
    const r = mannWhitneyU(group1, group2, { alternative: 'less' });
    expect(r.ties).toBe(true);
    expect(r.method).toBe('asymptotic');
    expect(r.u1).toBe(86);
    // NAG reports the deviate of U1 in the lower tail; ours is of U2 in the upper tail.
    expect(-(r.z ?? Number.NaN)).toBeCloseTo(-2.8039, 4);
    expect(r.pValue).toBeCloseTo(0.0025, 4);
  });

  it('matches the ClickHouse mannWhitneyUTest documentation example', () => {
    // mannWhitneyUTest('greater') over samples (10, 11, 12) and (1, 2, 3) returns
    // (9, 0.04042779918503192) (ClickHouse docs, mirrored at https://volcengine.com/docs/6464/1362965).
    const r = mannWhitneyU([10, 11, 12], [1, 2, 3], { alternative: 'greater', method: 'asymptotic' });
    expect(r.u1).toBe(9);
    expect(r.pValue).toBeCloseTo(0.04042779918503192, 12);
  });

  it('all values tied gives no evidence', () => {
    const r = mannWhitneyU([5, 5, 5, 5], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5], { alternative: 'greater' });
    expect(r.pValue).toBe(1);
  });

  it('refuses the exact method when there are ties', () => {
    expect(() => mannWhitneyU([1, 2, 2], [2, 3], { method: 'exact' })).toThrow(/ties/);
  });
});

describe('normal distribution', () => {
  it('cdf and sf are complementary and continuous where the method switches', () => {
    for (const z of [-6, -3, -1.5, 0, 0.7, 2.99, 3, 3.01, 8]) {
      expect(normalCdf(z) + normalSf(z)).toBeCloseTo(1, 14);
    }
    expect(normalSf(0)).toBe(0.5);
    expect(Math.abs(normalSf(3 - 1e-9) - normalSf(3 + 1e-9))).toBeLessThan(1e-11);
  });
});
