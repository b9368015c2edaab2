import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import type { MetricsSource, Sample } from '../../src/metrics/source.js';
import { runRollout } from '../../src/rollout/engine.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';

const START = Date.UTC(2026, 0, 1);
const WARMUP = 15 * 60_000;

/**
 * The simulated Prometheus, except that the canary's p99 reads `slow` seconds while `slowAt` says
 * so: a latency spike of a chosen length, at a chosen time.
 */
function withCanaryP99(inner: MetricsSource, slowAt: (ms: number) => boolean, slow = 1): MetricsSource {
  return {
    description: inner.description,
    queryRange: inner.queryRange.bind(inner),
    async query(expr: string, at?: Date): Promise<Sample[]> {
      const samples = await inner.query(expr, at);
      if (!expr.startsWith('histogram_quantile') || !expr.includes('track="canary"')) return samples;
      if (!at || !slowAt(at.getTime())) return samples;
      return samples.map((s) => ({ ...s, value: slow }));
    },
  };
}

async function rollout(slowAt: (msSinceStart: number) => boolean) {
  const spec = loadRolloutText(
    'service: demo\nrouter: { provider: local }\nsteps: [20, 50]\ninterval: 1m\nanalysis:\n  preset: demo\n',
    'rollout.yml',
  );
  const clock = new VirtualClock(START - WARMUP);
  const router = new MemoryRouter();
  const simulated = new SimulatedMetrics({
    rps: 200,
    errorProbability: { primary: 0.005, canary: 0.005 },
    seed: 4,
    canaryWeight: () => router.weights.canary,
    now: () => clock.now(),
  });
  await clock.sleep(WARMUP);
  const report = await runRollout({
    spec,
    clock,
    router,
    metrics: withCanaryP99(simulated, (ms) => slowAt(ms - START)),
    workloads: new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`),
    lock: new MemoryLock(),
  });
  const ticks = report.steps.flatMap((step) => step.ticks);
  return { report, ticks };
}

describe("a check's `for`: a failure rolls back only once it has lasted", () => {
  it("holds through a p99 spike shorter than the preset's one scrape interval and promotes", async () => {
    // 10 s of slow p99 early in the second step (from 30 s): less than the 15 s the preset's check waits.
    const { report, ticks } = await rollout((ms) => ms >= 36_000 && ms < 46_000);
    expect(report.outcome, report.reason).toBe('promoted');
    const pending = ticks.filter((t) => t.checks.some((c) => /pending/.test(c.reason)));
    expect(pending.length).toBeGreaterThan(0);
    for (const tick of pending) expect(tick.decision).toBe('hold');
  });

  it('rolls back a p99 that stays slow, one scrape interval after its first failure', async () => {
    const { report, ticks } = await rollout((ms) => ms >= 36_000);
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/^step 2 failed analysis: p99-latency-seconds: .*\(failing for 1[5-9]s\)/);
    const firstFailing = ticks.find((t) => t.checks.some((c) => /pending/.test(c.reason)));
    const rolledBackAt = Date.parse(report.endedAt as string);
    expect(rolledBackAt - Date.parse(firstFailing?.at as string)).toBeGreaterThanOrEqual(15_000);
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
  });

  it('refuses a `for` that the noDataDeadline would cut short, naming the field', () => {
    let error: unknown;
    try {
      loadRolloutText(
        [
          'service: demo',
          'router: { provider: local }',
          'analysis:',
          '  checks:',
          '    - name: p95',
          '      query: histogram_quantile(0.95, sum by (le) (rate(x_bucket{track="{{track}}"}[{{window}}])))',
          '      max: 0.5',
          '      for: 10m',
        ].join('\n'),
        'rollout.yml',
      );
    } catch (e: unknown) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const [problem] = (error as ConfigurationError).problems;
    expect(problem).toMatchObject({ file: 'rollout.yml', line: 5, field: 'analysis.checks[0].for' });
    expect(problem?.message).toMatch(/shorter than noDataDeadline \(4m\)/);
  });
});
