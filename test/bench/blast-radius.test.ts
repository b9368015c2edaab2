import { describe, expect, it } from 'vitest';
import { type BlastRadiusOptions, parseBlastRadiusArgs, runBlastRadius } from '../../bench/blast-radius.js';

const base: BlastRadiusOptions = {
  rps: 100,
  baseError: 0.005,
  multiplier: 5,
  runs: 20,
  seed: 11,
  scrapeInterval: 15,
  burst: 1,
  badFromWeight: 0,
  latencyMultiplier: 1,
};

describe('the blast-radius benchmark (simulated Prometheus, 15 s scrape)', () => {
  it('rolls every 5x canary back with fewer failed requests than each Flagger setting and Argo Rollouts, and promotes healthy ones', async () => {
    const result = await runBlastRadius(base);
    const [bad, healthy] = result.scenarios;
    expect(bad?.healthy).toBe(false);
    expect(bad?.glidepath.rolledBack).toBe(20);
    for (const other of bad?.others ?? []) {
      expect(bad?.glidepath.excessMean, other.strategy).toBeLessThan(other.excessMean);
    }
    expect(Object.keys(result.excessRatios)).toEqual([
      'Flagger code defaults',
      'Flagger tutorial',
      'Flagger tuned',
      'Argo Rollouts',
    ]);
    // Argo Rollouts' first measurement, as the analysis starts, finds no canary series: an Error it
    // tolerates (Flagger's code defaults count it as a failed check); the next, 1m later, aborts.
    const argo = bad?.others.find((o) => o.strategy === 'Argo Rollouts');
    expect(argo?.rolledBack).toBe(20);
    expect(argo?.decideMeanSeconds).toBe(60);
    expect(healthy?.others.find((o) => o.strategy === 'Argo Rollouts')?.promoteMeanSeconds).toBe(300);
    expect(healthy?.healthy).toBe(true);
    // Statistical tests may roll back a healthy canary now and then (about 1 % over 1 000 runs, in the
    // README), never routinely.
    expect(healthy?.glidepath.promoted).toBeGreaterThanOrEqual(18);
  });

  it('judges each step on its own weight: a canary bad only from 50 % is not promoted', async () => {
    const result = await runBlastRadius({ ...base, badFromWeight: 50, runs: 15 });
    const [bad] = result.scenarios;
    expect(bad?.glidepath.promoted).toBe(0);
    expect(bad?.glidepath.rolledBack).toBe(15);
  });

  it('refuses a 2 rps service up front with the default schedule instead of deciding on too little', async () => {
    const result = await runBlastRadius({ ...base, rps: 2, baseError: 0.01, multiplier: 3, runs: 5 });
    for (const scenario of result.scenarios) {
      expect(scenario.glidepath.refused).toBe(5);
      expect(scenario.glidepath.excessMean).toBe(0);
    }
  });

  it('gives the same figures for the same seed', async () => {
    const options = { ...base, rps: 50, baseError: 0.01, multiplier: 3, runs: 3, seed: 5, burst: 3 };
    expect(await runBlastRadius(options)).toEqual(await runBlastRadius(options));
  });

  it('reads its flags and refuses ones it does not know', () => {
    expect(
      parseBlastRadiusArgs([
        '--rps',
        '200',
        '--multiplier=1',
        '--runs',
        '10',
        '--scrape-interval',
        '30',
        '--burst=4',
        '--bad-from-weight',
        '50',
        '--latency-multiplier',
        '3',
        '--json',
      ]),
    ).toEqual({
      ...base,
      rps: 200,
      multiplier: 1,
      runs: 10,
      seed: 1,
      scrapeInterval: 30,
      burst: 4,
      badFromWeight: 50,
      latencyMultiplier: 3,
      json: true,
      targets: false,
    });
    expect(() => parseBlastRadiusArgs(['--rate', '5'])).toThrow(/unknown flag "--rate"/);
    expect(() => parseBlastRadiusArgs(['--runs', 'many'])).toThrow(/--runs needs a number/);
    expect(() => parseBlastRadiusArgs(['--burst', '0.5'])).toThrow(/--burst must be at least 1/);
  });
});
