import { describe, expect, it } from 'vitest';
import {
  type MetricsSource,
  MetricsUnavailableError,
  QueryRejectedError,
  type Series,
  type TimeRange,
} from '../../src/metrics/source.js';
import { measurePrimaryDispersion } from '../../src/rollout/primary-dispersion.js';

const END = new Date(Date.UTC(2026, 0, 1, 1));

/** A source whose range queries answer from per-window counts (already extrapolated as increase() is). */
function source(answer: (expr: string, range: TimeRange) => Series[] | Error): MetricsSource & {
  ranges: TimeRange[];
} {
  const ranges: TimeRange[] = [];
  return {
    description: 'fake',
    ranges,
    query: async () => [],
    queryRange: async (expr, range) => {
      ranges.push(range);
      const a = answer(expr, range);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

const measure = (s: MetricsSource) =>
  measurePrimaryDispersion({
    source: s,
    queries: { errors: 'errors', requests: 'requests' },
    end: END,
    windowMs: 60_000,
    historyMs: 15 * 60_000,
    share: 0.75,
  });

describe("measuring the primary's dispersion", () => {
  it('asks for disjoint windows over the history, one window per step, ending now', async () => {
    const s = source(() => []);
    await measure(s);
    expect(s.ranges[0]).toEqual({
      start: new Date(END.getTime() - 14 * 60_000),
      end: END,
      stepSeconds: 60,
    });
  });

  it('scales the extrapolated counts back to what was observed before estimating', async () => {
    // Windows alternating 0 and 40 errors in 4000 requests, as increase() reports them (x 4/3).
    const points = (f: (i: number) => number): Array<[number, number]> =>
      Array.from({ length: 15 }, (_, i) => [END.getTime() / 1000 - 60 * (14 - i), f(i)]);
    const s = source((expr) => [
      { labels: {}, points: expr === 'requests' ? points(() => 4000) : points((i) => (i % 2 ? 40 : 0)) },
    ]);
    const d = await measure(s);
    expect(d.windows).toBe(15);
    expect(d.unmeasured).toBeUndefined();
    // Observed: 3000 requests and 0 or 30 errors a window, p = 14 * 30 / 2 / (15 * 3000).
    const p = (7 * 30) / (15 * 3000);
    const squares = 8 * (3000 * p) ** 2 + 7 * (30 - 3000 * p) ** 2;
    const binomial = p * (1 - p) * (15 * 3000 - 3000);
    expect(d.index).toBeCloseTo(squares / binomial, 9);
    // Every window served 4000 / 60 s as extrapolated: 66.7 requests per second.
    expect(d.primaryRate).toBeCloseTo(4000 / 60, 9);
  });

  it('leaves the test at independent errors, saying why, when the source cannot answer range queries', async () => {
    const d = await measure(
      source(() => new QueryRejectedError('the scrape source answers instant queries only')),
    );
    expect(d.phi).toBe(1);
    expect(d.unmeasured).toMatch(
      /cannot answer range queries \(the scrape source answers instant queries only\)/,
    );
  });

  it('fails on any other error, so the step fails closed', async () => {
    await expect(measure(source(() => new MetricsUnavailableError('connection refused')))).rejects.toThrow(
      /connection refused/,
    );
    await expect(
      measure(
        source(() => [
          { labels: { pod: 'a' }, points: [] },
          { labels: { pod: 'b' }, points: [] },
        ]),
      ),
    ).rejects.toThrow(/returned 2 series: aggregate it with sum\(\)/);
  });
});
