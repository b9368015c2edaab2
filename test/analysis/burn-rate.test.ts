import { describe, expect, it } from 'vitest';
import {
  burnRate,
  evaluateBurnRate,
  PAGE_BURN_RATE_RULES,
  TICKET_BURN_RATE_RULES,
} from '../../src/analysis/burn-rate.js';
import type { TrackCounts } from '../../src/analysis/compare.js';

/** Counts per window from fixed error ratios per window length. */
function ratios(
  byWindow: Record<number, number>,
  requests = 100_000,
): (s: number) => TrackCounts | undefined {
  return (s) => {
    const ratio = byWindow[s];
    return ratio === undefined ? undefined : { errors: ratio * requests, requests };
  };
}

describe('burnRate', () => {
  it('is the error ratio over the error budget', () => {
    // SRE Workbook "Alerting on SLOs", Table 5-4: for a 99.9 % SLO, burn rate 1 is an error rate of 0.1 %.
    expect(burnRate(0.001, 0.999)).toBeCloseTo(1, 12);
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4, 10);
  });

  it('rejects a target that is not a ratio', () => {
    expect(() => burnRate(0.01, 99.9)).toThrow(/between 0 and 1/);
  });
});

describe('evaluateBurnRate', () => {
  const slo = 0.999;

  it('uses the SRE Workbook page rules by default', () => {
    expect(PAGE_BURN_RATE_RULES.map((r) => [r.factor, r.longWindowSeconds, r.shortWindowSeconds])).toEqual([
      [14.4, 3600, 300],
      [6, 21_600, 1800],
    ]);
    expect(TICKET_BURN_RATE_RULES.map((r) => [r.factor, r.longWindowSeconds, r.shortWindowSeconds])).toEqual([
      [3, 86_400, 7200],
      [1, 259_200, 21_600],
    ]);
  });

  it('fires only when both the long and the short window exceed the factor', () => {
    const both = evaluateBurnRate(slo, ratios({ 3600: 0.02, 300: 0.02, 21600: 0.001, 1800: 0.001 }));
    expect(both.rules[0]?.fires).toBe(true);
    expect(both.fires).toBe(true);
    expect(both.severity).toBe('page');

    const longOnly = evaluateBurnRate(slo, ratios({ 3600: 0.02, 300: 0.001, 21600: 0.001, 1800: 0.001 }));
    expect(longOnly.rules[0]?.long.exceeds).toBe(true);
    expect(longOnly.fires).toBe(false);

    const shortOnly = evaluateBurnRate(slo, ratios({ 3600: 0.001, 300: 0.5, 21600: 0.001, 1800: 0.5 }));
    expect(shortOnly.rules.every((r) => r.short.exceeds && !r.fires)).toBe(true);
    expect(shortOnly.fires).toBe(false);
    expect(shortOnly.severity).toBeUndefined();
  });

  it('records the burn rate of every window', () => {
    const r = evaluateBurnRate(slo, ratios({ 3600: 0.0072, 300: 0.0288, 21600: 0.0072, 1800: 0.0072 }));
    const fast = r.rules[0]!;
    expect(fast.long.burnRate).toBeCloseTo(7.2, 10);
    expect(fast.short.burnRate).toBeCloseTo(28.8, 10);
    expect(fast.fires).toBe(false);
    const slow = r.rules[1]!;
    expect(slow.long.burnRate).toBeCloseTo(7.2, 10);
    expect(slow.fires).toBe(true);
  });

  it('never fires on a window without data, and says so', () => {
    const r = evaluateBurnRate(slo, ratios({ 3600: 0.5 }));
    expect(r.fires).toBe(false);
    expect(r.rules[0]?.noData).toBe(true);
    expect(Number.isNaN(r.rules[0]?.short.errorRatio)).toBe(true);
  });

  it('detects a total outage after (1 - SLO) / error ratio * window * burn rate', () => {
    // SRE Workbook: "the time taken for an alert to fire is (1 - SLO) / error ratio
    // * alerting window size * burn rate" (quoted in
    // https://devops.stackexchange.com/questions/8915): 0.001 / 1 * 3600 s * 14.4 = 51.84 s.
    const rps = 10;
    let firedAt: number | undefined;
    for (let t = 1; t <= 120 && firedAt === undefined; t++) {
      // Healthy for the whole history, then every request fails for the last t seconds.
      const counts = (window: number): TrackCounts => ({
        errors: Math.min(t, window) * rps,
        requests: window * rps,
      });
      if (evaluateBurnRate(slo, counts).fires) firedAt = t;
    }
    expect(firedAt).toBe(52);
  });
});
