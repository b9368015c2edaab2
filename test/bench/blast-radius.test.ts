import { describe, expect, it } from 'vitest';
import { parseBlastRadiusArgs, runBlastRadius } from '../../bench/blast-radius.js';

describe('the blast-radius benchmark', () => {
  it('rolls every 5x canary back with fewer failed requests than Flagger, and promotes healthy ones', async () => {
    const result = await runBlastRadius({ rps: 100, baseError: 0.005, multiplier: 5, runs: 30, seed: 11 });
    const [bad, healthy] = result.scenarios;
    expect(bad?.multiplier).toBe(5);
    expect(bad?.glidepath.rolledBack).toBe(30);
    expect(bad?.flagger.rolledBack).toBe(30);
    expect(bad?.glidepath.excessMean).toBeLessThan(bad?.flagger.excessMean as number);
    expect(result.excessRatio).toBeLessThan(1);

    expect(healthy?.multiplier).toBe(1);
    // Statistical tests may roll back a healthy canary now and then, never routinely.
    expect(healthy?.glidepath.promoted).toBeGreaterThanOrEqual(29);
    expect(healthy?.glidepath.falseRollbackRate).toBeLessThanOrEqual(1 / 30);
    expect(healthy?.flagger.promoted).toBeGreaterThanOrEqual(29);
  });

  it('gives the same figures for the same seed', async () => {
    const options = { rps: 50, baseError: 0.01, multiplier: 3, runs: 3, seed: 5 };
    expect(await runBlastRadius(options)).toEqual(await runBlastRadius(options));
  });

  it('reads its flags and refuses ones it does not know', () => {
    expect(parseBlastRadiusArgs(['--rps', '200', '--multiplier=1', '--runs', '10', '--json'])).toEqual({
      rps: 200,
      baseError: 0.005,
      multiplier: 1,
      runs: 10,
      seed: 1,
      json: true,
    });
    expect(() => parseBlastRadiusArgs(['--rate', '5'])).toThrow(/unknown flag "--rate"/);
    expect(() => parseBlastRadiusArgs(['--runs', 'many'])).toThrow(/--runs needs a number/);
  });
});
