import { describe, expect, it } from 'vitest';
import {
  bernoulliLlr,
  createSprt,
  type SprtDecision,
  type SprtOptions,
  sprtBoundaries,
  sprtHypotheses,
  updateSprt,
} from '../../src/analysis/sequential.js';
import { mulberry32, sampleBinomial } from '../../src/simulation/random.js';
import { createTrafficSimulator } from '../../src/simulation/traffic.js';

describe('Wald boundaries', () => {
  it('match the R SPRT package for type1 = 0.05, type2 = 0.20', () => {
    // R package SPRT 1.0 (Bottine), ?SPRT example output:
    // "Wald boundaries (log): > B boundary: -1.558" (https://rdrr.io/cran/SPRT/man/SPRT-package.html);
    // Wald (1947): A = ln((1 - beta) / alpha) = ln(0.8 / 0.05) = ln 16.
    const b = sprtBoundaries(0.05, 0.2);
    expect(b.lower).toBeCloseTo(-1.558, 3);
    expect(b.upper).toBeCloseTo(Math.log(16), 14);
  });

  it('are symmetric when alpha = beta', () => {
    const b = sprtBoundaries(0.05, 0.05);
    expect(b.upper).toBeCloseTo(Math.log(19), 14);
    expect(b.lower).toBeCloseTo(-Math.log(19), 14);
  });

  it('reject alpha + beta >= 1', () => {
    expect(() => sprtBoundaries(0.6, 0.5)).toThrow(/alpha \+ beta/);
  });
});

describe('Bernoulli log-likelihood ratio', () => {
  it('equals the sum of per-request log-likelihood ratios', () => {
    const p0 = 0.01;
    const p1 = 0.03;
    const outcomes = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0];
    let sum = 0;
    for (const failed of outcomes) sum += failed ? Math.log(p1 / p0) : Math.log((1 - p1) / (1 - p0));
    const errors = outcomes.filter((o) => o === 1).length;
    expect(bernoulliLlr(errors, outcomes.length, p0, p1)).toBeCloseTo(sum, 12);
  });
});

/** A fixed p0 of 1 %, H1 at 3x: the hypotheses both describe blocks test. */
const FIXED: SprtOptions = {
  alpha: 0.05,
  beta: 0.1,
  baseline: { kind: 'fixed', p0: 0.01 },
  multiplier: 3,
};

describe('SPRT state', () => {
  const options = FIXED;

  it('records the numbers behind each tick', () => {
    let s = createSprt(options);
    s = updateSprt(s, { canary: { errors: 0, requests: 10 } });
    expect(s.last).toMatchObject({ tick: 1, errors: 0, requests: 10, p0: 0.01, decision: 'continue' });
    expect(s.last?.p1).toBeCloseTo(0.03, 15);
    expect(s.last?.upper).toBeCloseTo(Math.log(0.9 / 0.05), 14);
    expect(s.last?.lower).toBeCloseTo(Math.log(0.1 / 0.95), 14);
    expect(s.last?.llr).toBeCloseTo(10 * Math.log(0.97 / 0.99), 14);
  });

  it('rolls back on many errors and keeps the first crossing', () => {
    let s = createSprt(options);
    s = updateSprt(s, { canary: { errors: 5, requests: 50 } });
    expect(s.last?.decision).toBe('reject-h0');
    s = updateSprt(s, { canary: { errors: 5, requests: 5000 } });
    expect(s.last?.decision).toBe('accept-h0');
    expect(s.firstCrossing).toEqual({ decision: 'reject-h0', tick: 1 });
  });

  it('takes p0 from the primary with a floor', () => {
    const primary = { ...options, baseline: { kind: 'primary' as const, floor: 0.002 } };
    expect(sprtHypotheses(primary, { errors: 0, requests: 10_000 }).p0).toBe(0.002);
    expect(sprtHypotheses(primary, { errors: 50, requests: 10_000 }).p0).toBe(0.005);
    expect(() => sprtHypotheses(primary)).toThrow(/primary/);
  });
});

describe('SPRT error rates over seeded simulations', () => {
  const runs = 4000;
  const tolerance = 0.02;

  function decide(options: SprtOptions, pPrimary: number, pCanary: number, seed: number): SprtDecision {
    const simulator = createTrafficSimulator({
      rps: 100,
      errorProbability: { primary: pPrimary, canary: pCanary },
      seed,
    });
    let s = createSprt(options);
    for (let tick = 0; tick < 10_000; tick++) {
      const interval = simulator.advance(10, 10);
      s = updateSprt(s, { canary: interval.cumulative.canary, primary: interval.cumulative.primary });
      if (s.last?.decision !== 'continue') break;
    }
    return s.last?.decision ?? 'continue';
  }

  function rates(options: SprtOptions, pPrimary: number, pCanary: number) {
    let reject = 0;
    let accept = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const d = decide(options, pPrimary, pCanary, seed);
      if (d === 'reject-h0') reject++;
      if (d === 'accept-h0') accept++;
    }
    return { reject: reject / runs, accept: accept / runs };
  }

  for (const baseline of [{ kind: 'fixed', p0: 0.01 }, { kind: 'primary' }] as const) {
    const options: SprtOptions = { alpha: 0.05, beta: 0.1, baseline, multiplier: 3 };

    it(`${baseline.kind} p0: a healthy canary is rolled back at most alpha of the time`, () => {
      const r = rates(options, 0.01, 0.01);
      expect(r.reject).toBeLessThanOrEqual(options.alpha + tolerance);
      expect(r.reject + r.accept).toBe(1);
    });

    it(`${baseline.kind} p0: a canary at p1 is promoted at most beta of the time`, () => {
      const r = rates(options, 0.01, 0.03);
      expect(r.accept).toBeLessThanOrEqual(options.beta + tolerance);
      expect(r.reject + r.accept).toBe(1);
    });
  }
});

describe('SPRT on overdispersed (bursty) errors', () => {
  const options = FIXED;

  it('divides the llr by the dispersion and records it; 1 by default', () => {
    const canary = { errors: 5, requests: 50 };
    const independent = updateSprt(createSprt(options), { canary });
    expect(independent.last?.dispersion).toBe(1);
    expect(independent.last?.decision).toBe('reject-h0');
    const bursty = updateSprt(createSprt(options), { canary, dispersion: 4 });
    expect(bursty.last?.dispersion).toBe(4);
    expect(bursty.last?.llr).toBeCloseTo(bernoulliLlr(5, 50, 0.01, 0.03) / 4, 12);
    // Five errors in a burst are weaker evidence than five independent ones.
    expect(bursty.last?.decision).toBe('continue');
    expect(() => updateSprt(createSprt(options), { canary, dispersion: 0.5 })).toThrow(/dispersion/);
  });

  /**
   * Ticks of 100 requests, each failing at 3p a third of the time and not at all otherwise: the
   * same mean rate p, with variance phi = ((1 - 3p) + 100 p * 2)/(1 - p) = 3 times the binomial
   * one at p = 0.01 (see dispersion.test.ts).
   */
  function rejectRate(p: number, dispersion: number | undefined): number {
    const runs = 2000;
    let rejected = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const rng = mulberry32(seed);
      let s = createSprt(options);
      const canary = { errors: 0, requests: 0 };
      for (let tick = 0; tick < 10_000 && s.last?.decision !== 'accept-h0'; tick++) {
        canary.errors += sampleBinomial(rng, 100, rng.next() < 1 / 3 ? 3 * p : 0);
        canary.requests += 100;
        s = updateSprt(s, { canary, dispersion });
        if (s.last?.decision === 'reject-h0') break;
      }
      if (s.last?.decision === 'reject-h0') rejected++;
    }
    return rejected / runs;
  }
  const phi = (1 - 3 * 0.01 + 100 * 0.01 * 2) / (1 - 0.01);

  it('rolls back a healthy canary with bursty errors far above alpha when they are taken as independent', () => {
    expect(rejectRate(0.01, undefined)).toBeGreaterThan(2 * options.alpha);
  });

  it('holds alpha on bursty errors when the llr is divided by their dispersion', () => {
    expect(rejectRate(0.01, phi)).toBeLessThanOrEqual(options.alpha + 0.02);
  });
});
