import { describe, expect, it } from 'vitest';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import type { MetricsSource } from '../../src/metrics/source.js';
import { runRollout } from '../../src/rollout/engine.js';
import { checkTraffic } from '../../src/rollout/traffic-check.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';

const START = Date.UTC(2026, 0, 1);

function setup(options: {
  config: string;
  rps?: number;
  canaryError: number | ((weight: number) => number);
  scrapeIntervalMs?: number;
  /** Traffic before the rollout, so the primary has history to measure. */
  warmupMs?: number;
  seed?: number;
  /** The canary's share the traffic sees, from the router's weight (default: that weight). */
  canaryWeight?: (routerWeight: number) => number;
}) {
  const spec = loadRolloutText(options.config, 'rollout.yml');
  const warmup = options.warmupMs ?? 15 * 60_000;
  const clock = new VirtualClock(START - warmup);
  const router = new MemoryRouter();
  const metrics = new SimulatedMetrics({
    rps: options.rps ?? 100,
    errorProbability: { primary: 0.005, canary: options.canaryError },
    seed: options.seed ?? 3,
    canaryWeight: () => (options.canaryWeight ?? ((w) => w))(router.weights.canary),
    now: () => clock.now(),
    scrapeIntervalMs: options.scrapeIntervalMs,
  });
  return {
    spec,
    clock,
    router,
    metrics,
    workloads: new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`),
    lock: new MemoryLock(),
    warmUp: () => clock.sleep(warmup),
  };
}

const demo = (extra = '') => `service: demo
router: { provider: local }
${extra}analysis:
  preset: demo
`;

describe('each step is judged on its own evidence', () => {
  it('rolls back a canary that is healthy at 5-25 % and bad from 50 %, on the counts of the 50 % step', async () => {
    const s = setup({ config: demo(), canaryError: (w) => (w >= 50 ? 0.025 : 0.005) });
    await s.warmUp();
    const report = await runRollout(s);
    expect(report.outcome, report.reason).toBe('rolled-back');
    expect(report.reason).toMatch(/^step 4 failed analysis: sequential test/);
    expect(report.steps.slice(0, 3).every((step) => step.result?.startsWith('advanced'))).toBe(true);
    // The test at step 4 counted only step 4's requests, not the thousands of healthy earlier ones.
    const step4 = report.steps[3]?.ticks.at(-1)?.sequential;
    expect(step4?.requests).toBeGreaterThan(0);
    expect(step4?.requests).toBeLessThan(s.metrics.served.canary.requests / 2);
  });

  it('never ends a step before two scrapes at its weight, even when the test could decide sooner', async () => {
    const s = setup({
      config: demo('interval: 30s\n').replace('preset: demo', 'preset: demo\n  scrapeInterval: 30s'),
      canaryError: 0.005,
      scrapeIntervalMs: 30_000,
      rps: 1000,
    });
    await s.warmUp();
    const report = await runRollout(s);
    expect(report.outcome, report.reason).toBe('promoted');
    for (const step of report.steps) {
      const ms = Date.parse(step.endedAt as string) - Date.parse(step.startedAt);
      expect(ms).toBeGreaterThanOrEqual(60_000);
    }
  });

  it('extends an undecided step, then rolls back saying how many requests it saw and how many the test needs', async () => {
    const s = setup({
      config: demo('steps: [5]\ninterval: 1m\nmaxStepDuration: 3m\n').replace(
        'preset: demo',
        'preset: demo\n  lowTraffic: warn',
      ),
      canaryError: 0.005,
      rps: 10,
    });
    await s.warmUp();
    const report = await runRollout(s);
    expect(report.outcome).toBe('rolled-back');
    expect(report.steps[0]?.result).toBe('undecided');
    expect(report.reason).toMatch(
      /step 1 stayed undecided for 18\d s \(maxStepDuration\): the canary served \d+ request\(s\) \(\d+ failed\) at 5 %, and the sequential test needs about \d+ to accept/,
    );
    expect(report.decisions.some((d) => d.action === 'step 1 extended')).toBe(true);
    const evidence = report.steps[0]?.evidence;
    expect(evidence?.requests).toBeLessThan(evidence?.needed as number);
    expect(s.router.weights).toEqual({ primary: 100, canary: 0 });
  });

  it('refuses up front, writing nothing, when the service has too little traffic for the schedule', async () => {
    const s = setup({ config: demo(), canaryError: 0.005, rps: 2 });
    await s.warmUp();
    const report = await runRollout(s);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/^not started: the service has too little traffic for this schedule/);
    expect(report.reason).toMatch(/load generator/);
    expect(s.router.history).toEqual([]);
    expect(s.workloads.events).toEqual([]);
    expect(s.lock.state).toBeUndefined();
    expect(report.minimumTraffic?.measuredRps).toBeCloseTo(2, 0);
    expect(report.minimumTraffic?.p0Source).toBe('measured');
    expect(report.minimumTraffic?.minimumRps).toBeGreaterThan(2);
  });

  it('counts both tracks up front, so a rollout started right after a promotion is not refused', async () => {
    // A promotion just ended: the canary served the whole service while the primary's pods were
    // replaced, and traffic went back to the primary 30 s ago.
    let promoting = true;
    const s = setup({ config: demo(), canaryError: 0.005, canaryWeight: (w) => (promoting ? 100 : w) });
    await s.clock.sleep(15 * 60_000 - 30_000);
    s.metrics.advance();
    promoting = false;
    await s.clock.sleep(30_000);
    const report = await runRollout(s);
    expect(report.reason ?? '').not.toMatch(/too little traffic/);
    expect(report.minimumTraffic?.measuredRps).toBeGreaterThan(90);
    expect(report.outcome, report.reason).toBe('promoted');
  });

  it('states the minimum traffic and proceeds when the primary has no history to measure', async () => {
    const s = setup({ config: demo(), canaryError: 0.005, warmupMs: 0 });
    const report = await runRollout(s);
    expect(report.outcome, report.reason).toBe('promoted');
    expect(report.minimumTraffic?.p0Source).toBe('assumed');
    expect(report.minimumTraffic?.measuredRps).toBeUndefined();
    expect(report.decisions[0]?.action).toBe('traffic');
    expect(report.decisions[0]?.reason).toMatch(/needs about \d+ canary requests per step/);
  });
});

describe('Istio ambient mode', () => {
  it('is detected up front when only a waypoint reports the service, naming the preset to use', async () => {
    // Prometheus as an ambient namespace leaves it: istio_requests_total only with reporter="waypoint".
    const metrics: MetricsSource = {
      description: 'ambient Prometheus',
      query: async (expr) => (expr.includes('reporter="waypoint"') ? [{ labels: {}, value: 1200 }] : []),
      queryRange: async () => [],
    };
    const spec = loadRolloutText(
      'service: payments\nnamespace: shop\nrouter: { provider: local }\nanalysis:\n  preset: istio\n',
      'payments.yaml',
    );
    const router = new MemoryRouter();
    const workloads = new MemoryWorkloads(`payments@sha256:${'b'.repeat(64)}`);
    const report = await runRollout({
      spec,
      router,
      workloads,
      metrics,
      lock: new MemoryLock(),
      clock: new VirtualClock(START),
    });
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(
      /^not started: payments\.yaml.*analysis\.preset.*shop\/payments.*Istio ambient mode\. Set analysis\.preset: istio-ambient/,
    );
    expect(router.history).toEqual([]);
    expect(workloads.events).toEqual([]);
  });
});

describe('the minimum traffic stated up front', () => {
  it("reads the primary's error rate over the last hour, not only over maxStepDuration", async () => {
    const spec = loadRolloutText(demo(), 'rollout.yml');
    // Counts per range as a Prometheus would return them for a primary whose last 8 minutes were
    // quiet (0.2 % errors) within an hour at 0.5 %; the canary has no series yet.
    const counts: Record<string, { requests: number; errors: number }> = {
      '8m': { requests: 48_000, errors: 96 },
      '1h': { requests: 360_000, errors: 1_800 },
    };
    const source: MetricsSource = {
      description: 'counts by range',
      async query(expr) {
        const range = /\[(\w+)\]/.exec(expr)?.[1] as string;
        const found = counts[range];
        if (!expr.includes('track="stable"') || !found) return [];
        return [{ labels: {}, value: expr.includes(' - (') ? found.errors : found.requests }];
      },
      async queryRange() {
        return [];
      },
    };
    const traffic = await checkTraffic(spec, source, START);
    expect(traffic?.p0Source).toBe('measured');
    expect(traffic?.p0).toBeCloseTo(0.005, 6);
    // The rate is still the recent one: what the rollout's steps will see.
    expect(traffic?.measuredRps).toBeCloseTo(100, 6);
  });
});
