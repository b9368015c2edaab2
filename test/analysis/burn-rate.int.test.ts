import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BurnRateRecord } from '../../src/analysis/burn-rate-check.js';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { renderGateSummary } from '../../src/github/gate-summary.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import { AnalysisRun } from '../../src/rollout/analysis-tick.js';
import {
  backfillOpenMetrics,
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
} from '../support/prometheus.js';

// Seven hours of one-minute counter samples, backfilled with promtool, so
// every burn rate below can be computed by hand.
const END = 1_767_225_600; // 2026-01-01T00:00:00Z, the last sample
const MINUTES = 420;
const REQUESTS_PER_MINUTE = 1000;
/** Errors per minute, by minutes before the last sample (0 = the last minute). */
const SCENARIOS: Record<string, (minutesBeforeEnd: number) => number> = {
  // 3 % errors in the last 10 minutes, 2 % in the hour before them, 0.05 % earlier.
  fast: (m) => (m < 10 ? 30 : m < 60 ? 20 : 0.5),
  // 0.8 % all along: 8x the budget of a 99.9 % SLO.
  slow: () => 8,
  // 0.4 %: 4x, above the 3x ticket rule, below every page rule.
  simmer: () => 4,
  healthy: () => 0.5,
};
// "Just after the last sample": a window of W minutes then holds W samples, W - 1 increases.
const NOW = new Date((END + 30) * 1000);

function openMetrics(): string {
  const lines: string[] = [];
  for (const [family, perMinute] of [
    ['demo_requests', () => REQUESTS_PER_MINUTE],
    ['demo_errors', undefined],
  ] as const) {
    lines.push(`# TYPE ${family} counter`);
    for (const [service, errors] of Object.entries(SCENARIOS)) {
      // Large starting values keep Prometheus from clamping extrapolation at zero.
      let value = family === 'demo_requests' ? 1_000_000 : 10_000;
      for (let k = 0; k <= MINUTES; k++) {
        if (k > 0) value += perMinute ? perMinute() : errors(MINUTES - k);
        lines.push(`${family}_total{service="${service}"} ${value} ${END - (MINUTES - k) * 60}`);
      }
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

/** The burn rate Prometheus should report over the last `minutes` at NOW, from the scenario's numbers. */
function expected(service: string, minutes: number): number {
  const errors = SCENARIOS[service] as (m: number) => number;
  const increases = Math.min(minutes - 1, MINUTES);
  let failed = 0;
  for (let m = 0; m < increases; m++) failed += errors(m);
  return failed / (increases * REQUESTS_PER_MINUTE) / 0.001;
}

const gate = (service: string, severity = 'page', extra = '') => `apiVersion: glidepath.dev/v1
kind: Gate
metadata: { name: budget }
spec:
  checks:
    - name: ${service}
      burnRate:
        target: 0.999
        severity: ${severity}
        errors: sum(increase(demo_errors_total{service="${service}"}[{{window}}]))
        total: sum(increase(demo_requests_total{service="${service}"}[{{window}}]))${extra}
`;

function rule(record: BurnRateRecord | undefined, factor: number) {
  const found = record?.rules.find((r) => r.factor === factor);
  if (!found) throw new Error(`no ${factor}x rule in ${JSON.stringify(record)}`);
  return found;
}

describe.skipIf(!prometheusInstalled())('burn rate against a real Prometheus with backfilled history', () => {
  let prometheus: PrometheusServer & AsyncDisposable;
  let source: PrometheusSource;
  let backfill: { dir: string; remove(): void };

  beforeAll(async () => {
    backfill = backfillOpenMetrics(openMetrics());
    prometheus = (await startPrometheus({
      targets: [],
      storageFrom: backfill.dir,
      extraArgs: ['--storage.tsdb.retention.time=30d'],
    })) as PrometheusServer & AsyncDisposable;
    source = new PrometheusSource({ address: prometheus.url, retry: { retries: 0 } });
  });

  afterAll(async () => {
    await source?.close();
    await prometheus?.[Symbol.asyncDispose]();
    backfill?.remove();
  });

  async function evaluate(text: string) {
    const planned = planGates(loadGateTexts([{ file: 'budget.yml', text }]), {
      defaultWindow: '5m',
      source: { provider: 'prometheus', address: prometheus.url },
    });
    return evaluateChecks(planned, { sourceFor: () => source, now: () => NOW });
  }

  it('fails a fast burn by the 14.4x rule (1h and 5m), with the numbers computed by hand', async () => {
    const report = await evaluate(gate('fast'));
    expect(report.result).toBe('fail');
    const [check] = report.checks;
    expect(check?.status).toBe('fail');
    const fast = rule(check?.burnRate, 14.4);
    expect(fast.fired).toBe(true);
    expect(fast.long.window).toBe('1h');
    expect(fast.short.window).toBe('5m');
    // 59 increases over 1h: 10 at 30 and 49 at 20 errors per 1000 requests.
    expect(fast.long.burnRate).toBeCloseTo(1280 / 59, 6);
    expect(fast.long.burnRate).toBeCloseTo(expected('fast', 60), 6);
    expect(fast.short.burnRate).toBeCloseTo(30, 6);
    const six = rule(check?.burnRate, 6);
    expect(six.fired).toBe(false);
    expect(six.long.burnRate).toBeCloseTo(expected('fast', 360), 6);
    expect(six.long.burnRate).toBeCloseTo(1449.5 / 359, 6);
    expect(six.short.burnRate).toBeCloseTo(expected('fast', 30), 6);
    expect(check?.reason).toBe('burn rate 21.7x over 1h and 30x over 5m > 14.4x (page)');
    const summary = renderGateSummary(report);
    expect(summary).toContain('| page > 14.4× | 21.7× (');
    expect(summary).toContain('🔥 yes');
  });

  it('fails a slow burn by the 6x rule (6h and 30m) while the 14.4x rule stays quiet', async () => {
    const report = await evaluate(gate('slow'));
    expect(report.result).toBe('fail');
    const check = report.checks[0];
    expect(rule(check?.burnRate, 14.4)).toMatchObject({ fired: false });
    const six = rule(check?.burnRate, 6);
    expect(six).toMatchObject({ fired: true, long: { window: '6h' }, short: { window: '30m' } });
    expect(six.long.burnRate).toBeCloseTo(8, 6);
    expect(six.short.burnRate).toBeCloseTo(8, 6);
    expect(check?.reason).toBe('burn rate 8x over 6h and 8x over 30m > 6x (page)');
  });

  it('only warns when no more than a ticket rule fires', async () => {
    const report = await evaluate(gate('simmer', 'ticket'));
    expect(report.result).toBe('warn');
    const check = report.checks[0];
    expect(check?.status).toBe('warn');
    expect(check?.burnRate?.rules.map((r) => [r.factor, r.fired])).toEqual([
      [14.4, false],
      [6, false],
      [3, true],
      [1, true],
    ]);
    // Only 7 h of history: the 1d window holds all 420 increases.
    expect(rule(check?.burnRate, 3).long).toMatchObject({ window: '1d' });
    expect(rule(check?.burnRate, 3).long.burnRate).toBeCloseTo(4, 6);
    expect(check?.reason).toMatch(/^burn rate 4x over 1d and 4x over 2h > 3x \(ticket\)/);
  });

  it('passes a healthy service, recording every rule below its factor', async () => {
    const report = await evaluate(gate('healthy', 'ticket'));
    expect(report.result).toBe('pass');
    const check = report.checks[0];
    expect(check?.burnRate?.rules).toHaveLength(4);
    for (const r of check?.burnRate?.rules ?? []) {
      expect(r.fired).toBe(false);
      expect(r.long.burnRate).toBeCloseTo(0.5, 6);
    }
    expect(check?.reason).toMatch(/^no burn-rate rule fires against SLO 0.999/);
  });

  it('reports no data for a service without events, and applies onNoData', async () => {
    const report = await evaluate(gate('absent'));
    expect(report.checks[0]).toMatchObject({ status: 'no-data', verdict: 'fail' });
    expect(report.checks[0]?.reason).toMatch(/^no data: no events in any burn-rate window .*the check fails/);
    expect(report.checks[0]?.burnRate?.rules.every((r) => r.noData && r.long.burnRate === null)).toBe(true);
    const lenient = await evaluate(gate('absent', 'page', '\n      onNoData: inconclusive'));
    expect(lenient.result).toBe('warn');
  });

  it('evaluates an OpenSLO alert policy with a burnrate condition on a counter ratio', async () => {
    const slo = `apiVersion: openslo/v1
kind: SLO
metadata: { name: fast-availability }
spec:
  service: fast
  budgetingMethod: Occurrences
  indicator:
    metadata: { name: fast-errors }
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource: { type: Prometheus, spec: { query: 'demo_errors_total{service="{{service}}"}' } }
        total:
          metricSource: { type: Prometheus, spec: { query: 'demo_requests_total{service="{{service}}"}' } }
  objectives:
    - displayName: availability
      target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata: { name: fast-burn }
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: { name: page-fast }
            spec:
              severity: page
              condition: { kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m }
`;
    const report = await evaluate(slo);
    const burn = report.checks.find((c) => c.name === 'availability-burn-rate');
    expect(burn?.status).toBe('fail');
    expect(rule(burn?.burnRate, 14.4).long.burnRate).toBeCloseTo(1280 / 59, 6);
    expect(burn?.reason).toBe('burn rate 21.7x over 1h and 30x over 5m > 14.4x (page)');
  });

  it('rolls a canary back when its own burn rate fires a page rule', async () => {
    const rollout = (service: string) =>
      loadRolloutText(
        `service: ${service}
router: { provider: local }
analysis:
  source: { provider: prometheus, address: ${prometheus.url} }
  checks:
    - name: error-budget
      burnRate:
        target: 0.999
        errors: sum(increase(demo_errors_total{service="{{service}}"}[{{window}}]))
        total: sum(increase(demo_requests_total{service="{{service}}"}[{{window}}]))
`,
        'rollout.yml',
      );
    const bad = await new AnalysisRun(rollout('fast'), source, NOW.getTime() - 600_000).tick(NOW.getTime());
    expect(bad.decision).toBe('fail');
    expect(bad.reason).toBe('error-budget: burn rate 21.7x over 1h and 30x over 5m > 14.4x (page)');
    expect(bad.checks[0]?.canary.burnRate?.rules[0]?.fired).toBe(true);
    const good = await new AnalysisRun(rollout('healthy'), source, NOW.getTime() - 600_000).tick(
      NOW.getTime(),
    );
    expect(good.decision).toBe('continue');
  });
});
