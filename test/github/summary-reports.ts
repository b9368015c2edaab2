// Real reports for the summary tests: rollouts run by the engine in simulated
// time (the same setup as test/rollout/engine.test.ts), gates evaluated by
// evaluateChecks against a MetricsSource answering fixed values, and plans
// from the recorded `terraform show -json` fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateReport } from '../../src/analysis/check-result.js';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import type { MetricsSource } from '../../src/metrics/source.js';
import { runRollout } from '../../src/rollout/engine.js';
import type { RolloutReport } from '../../src/rollout/report.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';
import { type Plan, parsePlan } from '../../src/terraform/plan.js';

const rolloutConfig = `service: demo
router: { provider: local }
steps: [5, 10, 25, 50]
interval: 2m
noDataDeadline: 1m
analysis:
  preset: demo
  sequential: { minSoak: 30s }
`;

export async function rolloutReport(
  kind: 'promoted' | 'rolled-back-step-1' | 'no-data',
): Promise<RolloutReport> {
  const spec = loadRolloutText(rolloutConfig, 'rollout.yml');
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const router = new MemoryRouter();
  const metrics = new SimulatedMetrics({
    rps: 100,
    errorProbability: { primary: 0.005, canary: kind === 'rolled-back-step-1' ? 0.05 : 0.005 },
    seed: 7,
    canaryWeight: () => router.weights.canary,
    now: () => clock.now(),
  });
  const silent: MetricsSource = { description: 'nothing', query: async () => [], queryRange: async () => [] };
  return runRollout({
    spec,
    clock,
    router,
    workloads: new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`),
    lock: new MemoryLock(),
    metrics: kind === 'no-data' ? silent : metrics,
    hooks: async () => ({ phase: 'rollout', url: '', ok: true, gating: true, reason: '' }),
  });
}

/** A gate of three checks (error rate, p99 latency in seconds, a count) evaluated against fixed values. */
export async function gateReport(kind: 'pass' | 'warn' | 'fail'): Promise<GateReport> {
  const errorRate = { pass: 0.0012, warn: 0.0153, fail: 0.0797546 }[kind];
  const text = `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: payments
spec:
  window: 5m
  source: { provider: prometheus, address: https://prometheus.example:9090 }
  checks:
    - name: error-rate
      query: 'sum(rate(http_requests_total{app="payments",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{app="payments"}[{{window}}]))'
      max: 0.02
      warn: { max: 0.01 }
    - name: p99-latency-seconds
      query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="payments"}[{{window}}])))'
      max: 0.25
    - name: queue-depth
      query: 'sum(payments_queue_depth)'
      max: 5000
`;
  const planned = planGates(loadGateTexts([{ file: 'slo/payments.yaml', text }]), { defaultWindow: '5m' });
  const values: Array<[RegExp, number]> = [
    [/http_requests_total/, errorRate],
    [/duration_seconds/, 0.00981667],
    [/queue_depth/, 1234],
  ];
  const source: MetricsSource = {
    description: 'Prometheus at https://prometheus.example:9090',
    query: async (expr) => [{ labels: {}, value: values.find(([re]) => re.test(expr))?.[1] ?? Number.NaN }],
    queryRange: async () => [],
  };
  return evaluateChecks(planned, {
    sourceFor: () => source,
    now: () => new Date(Date.UTC(2026, 0, 1, 12, 0, 5, 123)),
  });
}

/** A recorded real plan that deletes resources. */
export function destroyPlan(fixtures: string): Plan {
  const file = join(fixtures, 'terraform-plans', 'checkov__plan_with_deleted_resources_tfplan.json');
  return parsePlan(readFileSync(file, 'utf8'), file);
}
