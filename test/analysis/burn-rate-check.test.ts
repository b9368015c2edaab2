import { describe, expect, it } from 'vitest';
import { burnRateDefinition, planBurnRate } from '../../src/analysis/burn-rate-check.js';
import { evaluateCheck } from '../../src/analysis/gate.js';
import type { MetricsSource, Sample } from '../../src/metrics/source.js';

/** Answers `errors[...]` and `total[...]` queries from a table of counts per window. */
function source(counts: Record<string, { errors?: number; total?: number } | 'two-series'>): MetricsSource {
  return {
    description: 'table',
    async query(expr: string): Promise<Sample[]> {
      const [, kind, window] = /^sum\(increase\((errors|total)\[(\w+)\]\)\)$/.exec(expr) ?? [];
      const row = counts[window as string];
      if (row === 'two-series')
        return [
          { labels: {}, value: 1 },
          { labels: {}, value: 2 },
        ];
      const value = row?.[kind as 'errors' | 'total'];
      return value === undefined ? [] : [{ labels: {}, value }];
    },
    async queryRange() {
      return [];
    },
  };
}

const definition = burnRateDefinition({
  target: 0.99,
  errors: 'sum(increase(errors[{{window}}]))',
  total: 'sum(increase(total[{{window}}]))',
  severity: 'page',
});

async function run(counts: Parameters<typeof source>[0], onNoData: 'fail' | 'pass' = 'fail') {
  return evaluateCheck(
    {
      gate: 'g',
      check: {
        name: 'budget',
        onNoData,
        burnRate: definition,
        location: { file: 'g.yml', field: 'spec.checks[0]' },
      },
      burnRate: planBurnRate(definition, {}, { field: 'spec.checks[0]' }),
      window: '5m',
      source: { provider: 'prometheus', address: 'http://unused' },
    },
    source(counts),
    new Date(0),
  );
}

describe('a burn-rate check', () => {
  it('lets a rule without data not fire while the others are judged, and says which lacked data', async () => {
    // 1 % budget: 10 errors in 1000 is 1x; the 6h/30m rule has no 6h data.
    const result = await run({
      '5m': { errors: 10, total: 1000 },
      '1h': { errors: 10, total: 1000 },
      '30m': {},
    });
    expect(result.status).toBe('pass');
    expect(result.burnRate?.rules[1]).toMatchObject({ fired: false, noData: true });
    expect(result.burnRate?.rules[0]?.long).toMatchObject({ window: '1h', errors: 10, total: 1000 });
    expect(result.burnRate?.rules[0]?.long.burnRate).toBeCloseTo(1, 9);
    expect(result.reason).toMatch(/no data for 6h\/30m$/);
  });

  it('counts a missing errors series as zero errors when there were requests', async () => {
    const result = await run({ '5m': { total: 50 }, '1h': { total: 500 } });
    expect(result.status).toBe('pass');
    expect(result.burnRate?.rules[0]?.short).toMatchObject({ errors: 0, total: 50, burnRate: 0 });
  });

  it('is no-data when no window has events, and onNoData decides the verdict', async () => {
    expect(await run({})).toMatchObject({ status: 'no-data', verdict: 'fail' });
    expect(await run({}, 'pass')).toMatchObject({ status: 'no-data', verdict: 'pass' });
  });

  it('is an error, failing closed, when a query returns several series', async () => {
    const result = await run({ '5m': 'two-series' });
    expect(result).toMatchObject({ status: 'error', verdict: 'fail' });
    expect(result.reason).toMatch(/aggregate it with sum/);
  });
});
