import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../../src/analysis/statistics/two-proportion.js';

describe('twoProportionZTest', () => {
  it('matches the statsmodels proportions_ztest docstring example', () => {
    // statsmodels.stats.proportion.proportions_ztest, Examples:
    // count = [5, 12], nobs = [83, 99] -> print('{0:0.3f}'.format(pval)) gives 0.159
    // (https://www.statsmodels.org/stable/generated/statsmodels.stats.proportion.proportions_ztest.html).
    const r = twoProportionZTest({ count: 5, total: 83 }, { count: 12, total: 99 });
    expect(r.pValue.toFixed(3)).toBe('0.159');
    expect(r.z).toBeLessThan(0);
  });

  it('one-sided p-values split the two-sided one by the sign of z', () => {
    const first = { count: 5, total: 83 };
    const second = { count: 12, total: 99 };
    const two = twoProportionZTest(first, second).pValue;
    const less = twoProportionZTest(first, second, 'less').pValue;
    const greater = twoProportionZTest(first, second, 'greater').pValue;
    expect(less).toBeCloseTo(two / 2, 14);
    expect(greater).toBeCloseTo(1 - two / 2, 14);
  });

  it('no events in either group carries no evidence', () => {
    const r = twoProportionZTest({ count: 0, total: 1000 }, { count: 0, total: 5000 }, 'greater');
    expect(r.z).toBe(0);
    expect(r.pValue).toBe(0.5);
  });

  it('rejects impossible counts', () => {
    expect(() => twoProportionZTest({ count: 5, total: 3 }, { count: 1, total: 10 })).toThrow(/count/);
    expect(() => twoProportionZTest({ count: 0, total: 0 }, { count: 1, total: 10 })).toThrow(/total/);
  });
});
