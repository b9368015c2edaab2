import { describe, expect, it } from 'vitest';
import type { TrackCounts } from '../../src/analysis/compare.js';
import { canaryDispersion, pearsonDispersion } from '../../src/analysis/dispersion.js';
import { mulberry32, sampleBinomial } from '../../src/simulation/random.js';

/**
 * Windows of n requests whose error rate is b * p a 1/b share of the time and 0 otherwise (errors in
 * bursts, the same mean p). Var(e) = n E[p_i (1 - p_i)] + n^2 Var(p_i), Var(p_i) = p^2 (b - 1), so
 * phi = ((1 - b p) + n p (b - 1)) / (1 - p); b = 1 is binomial.
 */
function windows(count: number, n: number, p: number, burst: number, seed: number): TrackCounts[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const failing = rng.next() < 1 / burst;
    return { errors: sampleBinomial(rng, n, failing ? p * burst : 0), requests: n };
  });
}
const expectedPhi = (n: number, p: number, b: number) => (1 - b * p + n * p * (b - 1)) / (1 - p);

describe("the primary's dispersion", () => {
  it('is about 1 for independent errors, so the test is unchanged', () => {
    const indices = [1, 2, 3, 4, 5].map((seed) => pearsonDispersion(windows(400, 1000, 0.01, 1, seed)));
    for (const d of indices) {
      expect(d.unmeasured).toBeUndefined();
      expect(d.windows).toBe(400);
      // D on 399 degrees of freedom: sd about sqrt(2/399) = 0.07.
      expect(d.index).toBeGreaterThan(0.75);
      expect(d.index).toBeLessThan(1.25);
      expect(d.phi).toBeLessThan(1.25);
    }
  });

  it('measures the variance of bursty errors over the binomial one', () => {
    const phi = expectedPhi(1000, 0.01, 3);
    expect(phi).toBeCloseTo(21, 0);
    for (const seed of [1, 2, 3]) {
      const d = pearsonDispersion(windows(400, 1000, 0.01, 3, seed));
      expect(d.phi).toBeGreaterThan(0.8 * phi);
      expect(d.phi).toBeLessThan(1.2 * phi);
    }
  });

  it('accounts for the estimated rate when the windows differ in size', () => {
    // Alternating 200- and 2000-request windows of independent errors: D stays about 1.
    const rng = mulberry32(7);
    const mixed = Array.from({ length: 400 }, (_, i) => {
      const n = i % 2 ? 2000 : 200;
      return { errors: sampleBinomial(rng, n, 0.02), requests: n };
    });
    const d = pearsonDispersion(mixed);
    expect(d.index).toBeGreaterThan(0.8);
    expect(d.index).toBeLessThan(1.2);
  });

  it('is 1 and says why with too few windows or no errors', () => {
    const few = pearsonDispersion([{ errors: 0, requests: 0 }, ...windows(4, 1000, 0.01, 3, 1)]);
    expect(few).toMatchObject({ phi: 1, windows: 4 });
    expect(few.unmeasured).toMatch(/only 4 window\(s\) with requests, at least 5/);
    const clean = pearsonDispersion(windows(10, 1000, 0, 1, 1));
    expect(clean.phi).toBe(1);
    expect(clean.unmeasured).toMatch(/zero/);
  });

  it('maps to the canary in proportion to its request rate', () => {
    // The canary at a tenth of the primary's traffic sees a tenth of the excess.
    expect(canaryDispersion(11, 10, 100)).toBeCloseTo(2, 12);
    expect(canaryDispersion(1, 10, 100)).toBe(1);
    expect(canaryDispersion(5, 0, 100)).toBe(1);
    expect(canaryDispersion(5, 100, 100)).toBe(5);
  });
});
