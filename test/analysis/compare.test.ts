import { describe, expect, it } from 'vitest';
import { compareErrorRates, compareLatencies, compareRelative } from '../../src/analysis/compare.js';
import { createTrafficSimulator } from '../../src/simulation/traffic.js';

describe('compareRelative', () => {
  it('passes at or below primary * tolerance + slack and fails above', () => {
    expect(compareRelative({ canary: 110, primary: 100, tolerance: 1.1 }).verdict).toBe('pass');
    const fail = compareRelative({ canary: 111, primary: 100, tolerance: 1.1 });
    expect(fail.verdict).toBe('fail');
    expect(fail.limit).toBeCloseTo(110, 10);
  });

  it('slack lets a canary pass against a perfect primary', () => {
    const r = compareRelative({ canary: 0.0005, primary: 0, tolerance: 1.1, slack: 0.001 });
    expect(r.verdict).toBe('pass');
    expect(r.limit).toBe(0.001);
    expect(compareRelative({ canary: 0.0005, primary: 0, tolerance: 1.1 }).verdict).toBe('fail');
  });

  it('is inconclusive without a value, never a pass', () => {
    expect(compareRelative({ canary: Number.NaN, primary: 0.01, tolerance: 1.1 }).verdict).toBe(
      'inconclusive',
    );
    expect(compareRelative({ canary: 0.01, primary: Number.NaN, tolerance: 1.1 }).verdict).toBe(
      'inconclusive',
    );
  });
});

describe('compareErrorRates', () => {
  it('is inconclusive below the minimum sample size, even when the canary looks bad', () => {
    const r = compareErrorRates({
      canary: { errors: 50, requests: 100 },
      primary: { errors: 0, requests: 100_000 },
      minRequests: 1000,
    });
    expect(r.verdict).toBe('inconclusive');
    expect(r.test).toBeUndefined();
    expect(r.reason).toMatch(/100 requests/);
  });

  it('identical counts never reject', () => {
    for (const [errors, requests] of [
      [0, 1000],
      [5, 1000],
      [500, 10_000],
      [9999, 10_000],
    ] as const) {
      const r = compareErrorRates({ canary: { errors, requests }, primary: { errors, requests } });
      expect(r.verdict).toBe('pass');
      expect(r.test?.pValue).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('a 5x error rate with large samples fails, recording the numbers', () => {
    const simulator = createTrafficSimulator({
      rps: 200,
      errorProbability: { primary: 0.005, canary: 0.025 },
      seed: 7,
    });
    const { cumulative } = simulator.advance(600, 20);
    const r = compareErrorRates({ canary: cumulative.canary, primary: cumulative.primary, alpha: 0.01 });
    expect(r.verdict).toBe('fail');
    expect(r.alpha).toBe(0.01);
    expect(r.test?.alternative).toBe('greater');
    expect(r.test?.pValue).toBeLessThan(0.01);
    expect(r.test?.n1).toBe(cumulative.canary.requests);
    expect(r.canary.rate).toBeGreaterThan(r.primary.rate);
  });

  it('a healthy canary fails about alpha of the time over seeded runs', () => {
    const runs = 1000;
    let failures = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const simulator = createTrafficSimulator({
        rps: 100,
        errorProbability: { primary: 0.01, canary: 0.01 },
        seed,
      });
      const { cumulative } = simulator.advance(300, 20);
      if (compareErrorRates({ canary: cumulative.canary, primary: cumulative.primary }).verdict === 'fail')
        failures++;
    }
    expect(failures / runs).toBeLessThanOrEqual(0.05 + 0.02);
  });
});

describe('compareLatencies', () => {
  const latency = (canaryMedianMs: number, seed: number) =>
    createTrafficSimulator({
      rps: 100,
      errorProbability: { primary: 0, canary: 0 },
      seed,
      latency: { primary: { medianMs: 100, sigma: 0.5 }, canary: { medianMs: canaryMedianMs, sigma: 0.5 } },
    }).advance(60, 20).latencyMs!;

  it('identical samples never reject', () => {
    const samples = latency(100, 1).primary;
    const r = compareLatencies({ canary: samples, primary: samples });
    expect(r.verdict).toBe('pass');
    expect(r.test?.pValue).toBeGreaterThanOrEqual(0.5);
  });

  it('a slower canary fails with the statistic and p-value recorded', () => {
    const { canary, primary } = latency(150, 2);
    const r = compareLatencies({ canary, primary, alpha: 0.01 });
    expect(r.verdict).toBe('fail');
    expect(r.test?.test).toBe('mann-whitney-u');
    expect(r.test?.alternative).toBe('greater');
    expect(r.canaryMedian).toBeGreaterThan(r.primaryMedian);
  });

  it('is inconclusive below the minimum number of samples', () => {
    const r = compareLatencies({ canary: [500, 600, 700], primary: [1, 2, 3], minSamples: 50 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.test).toBeUndefined();
  });

  it('a healthy canary fails about alpha of the time over seeded runs', () => {
    const runs = 300;
    let failures = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const { canary, primary } = latency(100, seed);
      if (compareLatencies({ canary, primary }).verdict === 'fail') failures++;
    }
    expect(failures / runs).toBeLessThanOrEqual(0.05 + 0.04);
  });
});
