import { describe, expect, it } from 'vitest';
import { mulberry32, sampleBinomial } from '../../src/simulation/random.js';
import { createTrafficSimulator, simulateTraffic } from '../../src/simulation/traffic.js';

const base = { rps: 100, errorProbability: { primary: 0.005, canary: 0.025 }, tickSeconds: 60 };

describe('simulateTraffic', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const weights = [5, 10, 25, 50];
    const a = simulateTraffic({ ...base, seed: 42, weights });
    const b = simulateTraffic({ ...base, seed: 42, weights });
    const c = simulateTraffic({ ...base, seed: 43, weights });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('cumulative counters are the running sums of the intervals', () => {
    const ticks = simulateTraffic({ ...base, seed: 1, weights: [10, 10, 20, 0, 50] });
    let canaryRequests = 0;
    let primaryErrors = 0;
    for (const t of ticks) {
      canaryRequests += t.interval.canary.requests;
      primaryErrors += t.interval.primary.errors;
      expect(t.cumulative.canary.requests).toBe(canaryRequests);
      expect(t.cumulative.primary.errors).toBe(primaryErrors);
      expect(t.interval.canary.requests + t.interval.primary.requests).toBe(6000);
    }
    expect(ticks[3]?.interval.canary.requests).toBe(0);
    expect(ticks.at(-1)?.timeSeconds).toBe(300);
  });

  it('carries fractional requests across ticks', () => {
    const ticks = simulateTraffic({
      ...base,
      rps: 0.5,
      seed: 1,
      tickSeconds: 1,
      weights: Array(10).fill(50),
    });
    const last = ticks.at(-1)!.cumulative;
    expect(last.canary.requests + last.primary.requests).toBe(5);
  });

  it('error and weight splits follow the probabilities', () => {
    const [t] = simulateTraffic({ ...base, rps: 1000, tickSeconds: 3600, seed: 9, weights: [20] });
    const { canary, primary } = t!.interval;
    const total = 3_600_000;
    expect(Math.abs(canary.requests - 0.2 * total)).toBeLessThan(5 * Math.sqrt(total * 0.2 * 0.8));
    expect(Math.abs(canary.errors - 0.025 * canary.requests)).toBeLessThan(
      5 * Math.sqrt(canary.requests * 0.025),
    );
    expect(Math.abs(primary.errors - 0.005 * primary.requests)).toBeLessThan(
      5 * Math.sqrt(primary.requests * 0.005),
    );
  });

  it('returns latency samples when asked', () => {
    const sim = createTrafficSimulator({
      ...base,
      seed: 3,
      latency: {
        primary: { medianMs: 100, sigma: 0.3 },
        canary: { medianMs: 200, sigma: 0.3 },
        maxSamplesPerInterval: 500,
      },
    });
    const { latencyMs } = sim.advance(60, 50);
    expect(latencyMs?.primary).toHaveLength(500);
    const sorted = [...(latencyMs?.canary ?? [])].sort((a, b) => a - b);
    expect(sorted[250]).toBeGreaterThan(170);
    expect(sorted[250]).toBeLessThan(230);
  });

  it('rejects weights outside 0..100', () => {
    expect(() => createTrafficSimulator({ ...base, seed: 1 }).advance(1, 120)).toThrow(/percentage/);
  });
});

describe('sampleBinomial', () => {
  function moments(n: number, p: number, draws: number) {
    const rng = mulberry32(123);
    let sum = 0;
    let sumSq = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < draws; i++) {
      const k = sampleBinomial(rng, n, p);
      min = Math.min(min, k);
      max = Math.max(max, k);
      sum += k;
      sumSq += k * k;
    }
    const mean = sum / draws;
    return { mean, variance: sumSq / draws - mean * mean, min, max };
  }

  for (const [n, p] of [
    [20, 0.3],
    [1000, 0.005],
    [100_000, 0.01],
    [1_000_000, 0.7],
  ] as const) {
    it(`has the binomial mean and variance for n = ${n}, p = ${p}`, () => {
      const draws = 20_000;
      const { mean, variance, min, max } = moments(n, p, draws);
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThanOrEqual(n);
      expect(Number.isInteger(min) && Number.isInteger(max)).toBe(true);
      const v = n * p * (1 - p);
      expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(v / draws));
      expect(variance / v).toBeGreaterThan(0.95);
      expect(variance / v).toBeLessThan(1.05);
    });
  }
});
