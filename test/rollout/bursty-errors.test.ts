import { describe, expect, it } from 'vitest';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { sequentialConclusion } from '../../src/github/rollout-summary.js';
import { type MetricsSource, MetricsUnavailableError, QueryRejectedError } from '../../src/metrics/source.js';
import { runRollout } from '../../src/rollout/engine.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';
import { mulberry32 } from '../../src/simulation/random.js';

const START = Date.UTC(2026, 0, 1);
/** Traffic before the rollout, so the primary has history (as in the blast-radius bench). */
const WARMUP_MS = 15 * 60_000;
const BASE_ERROR = 0.005;
const CONFIG = `service: demo
router: { provider: local }
analysis:
  preset: demo
`;

/**
 * The default rollout through the real engine against the simulated Prometheus, errors in 5-s
 * bursts at 3x the rate a third of the time (the bench's --burst 3): what the blast-radius bench
 * runs, on fewer seeds.
 */
async function rollout(
  multiplier: number,
  seed: number,
  options: { burst?: number; source?: (metrics: SimulatedMetrics) => MetricsSource } = {},
) {
  const clock = new VirtualClock(START - WARMUP_MS);
  const router = new MemoryRouter();
  const metrics = new SimulatedMetrics({
    rps: 100,
    errorProbability: { primary: BASE_ERROR, canary: BASE_ERROR * multiplier },
    seed,
    canaryWeight: () => router.weights.canary,
    now: () => clock.now(),
    scrapeIntervalMs: 15_000,
    burst: options.burst ?? 3,
  });
  await clock.sleep(WARMUP_MS);
  metrics.advance();
  return runRollout({
    spec: loadRolloutText(CONFIG, 'rollout.yml'),
    router,
    workloads: new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`),
    metrics: options.source ? options.source(metrics) : metrics,
    lock: new MemoryLock(),
    clock,
  });
}

function seeds(count: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => Math.floor(rng.next() * 2 ** 32));
}

describe('errors that come in bursts', () => {
  it('rarely roll back a healthy canary', async () => {
    // Measured on these 80 seeds before the test allowed for bursts: 4 rolled back, all 4 by the
    // sequential test (10 % in 1000 runs of the bench). With it: none by the test, 2 that stayed
    // undecided at maxStepDuration (the test is phi times slower at the 5 % step).
    const reports = [];
    for (const seed of seeds(80, 1)) reports.push(await rollout(1, seed));
    const rolledBack = reports.filter((r) => r.outcome === 'rolled-back');
    const reasons = rolledBack.map((r) => r.reason).join('\n');
    expect(
      rolledBack.filter((r) => /failed analysis: sequential test/.test(r.reason ?? '')).length,
      reasons,
    ).toBeLessThanOrEqual(1);
    expect(rolledBack.length, reasons).toBeLessThanOrEqual(3);
    // The dispersion was measured on the primary's history and used by the test.
    const tick = reports[0]?.steps[0]?.ticks.find((t) => t.sequential);
    expect(tick?.dispersion?.phi).toBeGreaterThan(2);
    expect(tick?.sequential?.dispersion).toBeGreaterThan(1);
    expect(sequentialConclusion(reports[0] as (typeof reports)[0])).toMatch(
      /Errors came in bursts \(the primary's counts varied [\d.]+ times as much as independent errors would\), so the evidence was discounted by [\d.]+/,
    );
  }, 60_000);

  it('are rarely named in the summary of a service whose errors are independent', async () => {
    // Independent errors measure a dispersion index above 1 about half the time; only an index
    // significant at 1 % counts, so a summary names bursts for about 1 rollout in 100 (each
    // rollout's last step tests the most windows), and before that test for about half of them.
    const named: string[] = [];
    for (const seed of seeds(20, 5)) {
      const conclusion = sequentialConclusion(await rollout(1, seed, { burst: 1 })) ?? '';
      if (/bursts/.test(conclusion)) named.push(conclusion);
    }
    expect(named.length, named.join('\n')).toBeLessThanOrEqual(1);
  }, 60_000);

  it('still roll back a canary that fails 5x as often', async () => {
    for (const seed of seeds(20, 2)) {
      const report = await rollout(5, seed);
      expect(report.outcome, report.reason).toBe('rolled-back');
    }
  }, 60_000);

  it('takes errors as independent, and says so, when the source cannot answer range queries', async () => {
    const report = await rollout(1, 5, {
      burst: 1,
      source: (m) => ({
        description: 'instant queries only',
        query: (expr, at) => m.query(expr, at),
        queryRange: async () => {
          throw new QueryRejectedError('the scrape source answers instant queries only');
        },
      }),
    });
    const tick = report.steps[0]?.ticks.find((t) => t.sequential);
    expect(tick?.sequential?.dispersion).toBe(1);
    expect(tick?.dispersion?.unmeasured).toMatch(/cannot answer range queries/);
    expect(report.steps[0]?.evidence?.dispersionUnmeasured).toMatch(/cannot answer range queries/);
    expect(sequentialConclusion(report)).toMatch(/Whether errors come in bursts could not be measured/);
  });

  it('fails closed when the range query fails otherwise', async () => {
    const report = await rollout(1, 5, {
      source: (m) => ({
        description: 'flaky',
        query: (expr, at) => m.query(expr, at),
        queryRange: async () => {
          throw new MetricsUnavailableError('Prometheus at http://prom: connection refused');
        },
      }),
    });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(
      /sequential test: Prometheus at http:\/\/prom: connection refused; failing closed/,
    );
  });
});
