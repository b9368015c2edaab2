import { describe, expect, it } from 'vitest';
import { preset } from '../../src/analysis/presets.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';

const counts = preset('demo').counts;
const render = (query: string, since = '1m') =>
  query.replaceAll('{{track}}', 'canary').replaceAll('{{since}}', since);

function source(canary: number, extra: Partial<ConstructorParameters<typeof SimulatedMetrics>[0]> = {}) {
  let now = 0;
  const metrics = new SimulatedMetrics({
    rps: 100,
    errorProbability: { primary: 0.01, canary },
    seed: 9,
    canaryWeight: () => 50,
    now: () => now,
    ...extra,
  });
  return {
    metrics,
    at: (ms: number) => {
      now = ms;
      return new Date(ms);
    },
  };
}

describe('the simulated Prometheus', () => {
  it('counts every request of a canary that fails them all as an error (no non-error series at all)', async () => {
    const s = source(1);
    const at = s.at(120_000);
    const [requests] = await s.metrics.query(render(counts.requests), at);
    const [errors] = await s.metrics.query(render(counts.errors), at);
    expect(requests?.value).toBeGreaterThan(1000);
    expect(errors?.value).toBeCloseTo(requests?.value as number, 6);
  });

  it('has no error series for a canary that never failed, and counts 0 errors from non-errors', async () => {
    const s = source(0);
    const at = s.at(120_000);
    expect(await s.metrics.query('http_requests_total{track="canary",code="500"}', at)).toEqual([]);
    const [errors] = await s.metrics.query(render(counts.errors), at);
    expect(errors?.value).toBe(0);
  });

  it('shows counters only as of the last scrape', async () => {
    const s = source(0, { scrapeIntervalMs: 30_000 });
    const seen = new Set<number>();
    let last = 0;
    for (let t = 200_000; t < 230_000; t += 1_000) {
      last = (await s.metrics.query('sum(http_requests_total)', s.at(t)))[0]?.value as number;
      seen.add(last);
    }
    // 30 one-second queries within one scrape interval see at most two scrapes, never the live counter.
    expect(seen.size).toBeLessThanOrEqual(2);
    const served = s.metrics.served;
    expect(last).toBeLessThan(served.stable.requests + served.canary.requests);
  });

  it('keeps the mean error rate when errors come in bursts, but not their spread', async () => {
    const runs = (burst: number) =>
      Array.from({ length: 40 }, (_, seed) => {
        let now = 0;
        const m = new SimulatedMetrics({
          rps: 100,
          errorProbability: { primary: 0.01, canary: 0.01 },
          seed: seed + 1,
          canaryWeight: () => 50,
          now: () => now,
          burst,
        });
        now = 60_000;
        m.advance();
        return m.served.canary.errors / m.served.canary.requests;
      });
    const spread = (rates: number[]) => {
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      return { mean, sd: Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / rates.length) };
    };
    const independent = spread(runs(1));
    const bursty = spread(runs(5));
    expect(bursty.mean).toBeGreaterThan(0.005);
    expect(bursty.mean).toBeLessThan(0.02);
    expect(bursty.sd).toBeGreaterThan(1.5 * independent.sd);
  });

  it('answers a range query as instant queries at start, start + step, ... end (Prometheus query_range)', async () => {
    const s = source(0.01);
    const end = s.at(900_000);
    const start = new Date(300_000);
    const query = render(counts.requests, '60s');
    const series = await s.metrics.queryRange(query, { start, end, stepSeconds: 60 });
    expect(series).toHaveLength(1);
    const points = (series[0] as { points: Array<[number, number]> }).points;
    expect(points.map(([t]) => t)).toEqual(Array.from({ length: 11 }, (_, i) => 300 + 60 * i));
    for (const [t, v] of points) {
      const [instant] = await s.metrics.query(query, new Date(t * 1000));
      expect(v).toBe(instant?.value);
    }
    // The canary serves 50 rps: each 60-s increase is about 3000 requests.
    for (const [, v] of points) expect(v).toBeGreaterThan(2500);
    // At 0 s nothing has been scraped yet (the first scrape lands within the first 15 s): no point there.
    const early = await s.metrics.queryRange('sum(http_requests_total)', {
      start: new Date(0),
      end: new Date(60_000),
      stepSeconds: 30,
    });
    expect(early[0]?.points.map(([t]) => t)).toEqual([30, 60]);
  });

  it('refuses a range query Prometheus would refuse (400 bad_data)', async () => {
    const s = source(0.01);
    const end = s.at(60_000);
    await expect(
      s.metrics.queryRange('up', { start: new Date(120_000), end, stepSeconds: 15 }),
    ).rejects.toThrow(/end timestamp must not be before start time/);
    await expect(s.metrics.queryRange('up', { start: new Date(0), end, stepSeconds: 0 })).rejects.toThrow(
      /zero or negative query resolution step/,
    );
    await expect(
      s.metrics.queryRange('up', { start: new Date(0), end: new Date(11_001_000), stepSeconds: 1 }),
    ).rejects.toThrow(/11,000 points/);
  });
});
