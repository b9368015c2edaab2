import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoService, startDemoService } from '../../playground/demo-service.js';
import { type LoadGenerator, startLoad } from '../../playground/load-generator.js';
import { parseExposition } from '../../src/metrics/exposition.js';
import { ScrapeSource } from '../../src/metrics/scrape.js';
import { QueryRejectedError } from '../../src/metrics/source.js';

describe('parseExposition', () => {
  it('reads names, escaped labels, special values and timestamps', () => {
    const samples = parseExposition(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{a="1",b="q\\"uote\\\\",c="line\\nbreak"} 42 1700000000000',
        'up 1',
        'g{le="+Inf"} +Inf',
        'nan_metric NaN',
      ].join('\n'),
      { track: 'stable' },
    );
    expect(samples[0]).toEqual({
      labels: { track: 'stable', a: '1', b: 'q"uote\\', c: 'line\nbreak', __name__: 'x_total' },
      value: 42,
    });
    expect(samples[1]?.value).toBe(1);
    expect(samples[2]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples[3]?.value).toBeNaN();
  });
});

describe('scrape source against real prom-client services', () => {
  let stable: DemoService;
  let canary: DemoService;
  let loads: LoadGenerator[];
  let clock = 0;
  let source: ScrapeSource;

  beforeAll(async () => {
    stable = await startDemoService({ track: 'stable', version: '1', errorRate: 0.01 });
    canary = await startDemoService({ track: 'canary', version: '2', errorRate: 0.25 });
    // No load yet: the first scrape is the baseline, the rest of the counts come from a known number of requests.
    source = new ScrapeSource({
      targets: [{ url: `${stable.url}/metrics` }, { url: `${canary.url}/metrics` }],
      now: () => clock,
    });
    await source.scrape();
    loads = [startLoad(stable.url, 200), startLoad(canary.url, 200)];
    // Enough requests that the 1 % service has failed a few times, however slow the machine.
    const deadline = Date.now() + 15_000;
    while (loads.some((load) => load.sent() < 400) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const load of loads) await load.stop();
    clock = 10_000;
  });

  afterAll(async () => {
    await source?.close();
    await stable?.stop();
    await canary?.stop();
  });

  it('computes error ratios per track from two scrapes', async () => {
    const ratio = (track: string) =>
      `sum(rate(http_requests_total{track="${track}",code=~"5.."}[1m])) / sum(rate(http_requests_total{track="${track}"}[1m]))`;
    const [canaryRatio] = await source.query(ratio('canary'));
    const [stableRatio] = await source.query(ratio('stable'));
    expect(canaryRatio?.value).toBeCloseTo(0.25, 1);
    expect(stableRatio?.value).toBeLessThan(0.03);
  });

  it('computes rates over the elapsed time and keeps by-labels', async () => {
    const samples = await source.query('sum by (track) (increase(http_requests_total[1m]))');
    const byTrack = Object.fromEntries(samples.map((s) => [s.labels.track, s.value]));
    expect(byTrack.stable).toBe(loads[0]?.sent());
    const [rate] = await source.query('sum(rate(http_requests_total{track="stable"}[1m]))');
    expect(rate?.value).toBeCloseTo((loads[0]?.sent() ?? 0) / 10, 5);
  });

  it('computes latency quantiles from histogram buckets', async () => {
    const [p99] = await source.query(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))',
    );
    expect(p99?.value).toBeGreaterThan(0);
    expect(p99?.value).toBeLessThan(1);
  });

  it('returns no series for a window with only one scrape, rather than a made-up rate', async () => {
    const fresh = new ScrapeSource({ targets: [{ url: `${stable.url}/metrics` }] });
    expect(await fresh.query('rate(http_requests_total[1m])')).toEqual([]);
    await fresh.close();
  });

  it('refuses what it cannot evaluate and points to Prometheus', async () => {
    await expect(source.query('sum(http_requests_total) > bool 1')).rejects.toThrow(QueryRejectedError);
    await expect(source.query('quantile_over_time(0.5, up[5m])')).rejects.toThrow(/use a Prometheus server/);
    await expect(source.queryRange()).rejects.toThrow(/instant queries only/);
  });
});
