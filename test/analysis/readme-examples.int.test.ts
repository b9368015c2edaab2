import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { preset } from '../../src/analysis/presets.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { loadRolloutText, templateValues } from '../../src/config/load-rollout.js';
import { renderQuery } from '../../src/config/template.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import {
  backfillOpenMetrics,
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
} from '../support/prometheus.js';

// Seven hours of 15-second samples of a healthy canary: its pods never failed a request, so it has
// no code="500" series at all, the case where "5xx / total" returns nothing. The primary fails 0.2 %.
const END = 1_767_225_600; // 2026-01-01T00:00:00Z, the last sample
const STEP = 15;
const POINTS = (7 * 3600) / STEP;
const NOW = new Date((END + 5) * 1000);
const RPS = { stable: 40, canary: 4 };

function openMetrics(): string {
  const lines = ['# TYPE http_requests_total counter'];
  for (const app of ['payments', 'demo']) {
    const series: Array<[string, string, number]> = [
      ['stable', '200', RPS.stable * STEP * 0.998],
      ['stable', '500', RPS.stable * STEP * 0.002],
      ['canary', '200', RPS.canary * STEP],
    ];
    for (const [track, code, perStep] of series) {
      for (let k = 0; k <= POINTS; k++) {
        lines.push(
          `http_requests_total{app="${app}",track="${track}",code="${code}"} ${1000 + k * perStep} ${END - (POINTS - k) * STEP}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

/** The README's ```yaml blocks, so the test reads exactly what a user copies. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const block = blocks.find((b) => b.includes(marker));
  if (!block) throw new Error(`no README yaml block contains ${marker}`);
  return block;
}

describe.skipIf(!prometheusInstalled())("the README's example checks against a real Prometheus", () => {
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

  it("the rollout config's error-rate check returns 0 for a canary with no 5xx series", async () => {
    const spec = loadRolloutText(readmeBlock('# .glidepath/payments.yaml'), 'payments.yaml');
    const checks = spec.checks.filter((c) => c.location.field.startsWith('analysis.checks'));
    expect(checks.map((c) => c.name)).toEqual(['error-rate']);
    for (const check of checks) {
      for (const [track, expected] of [
        ['canary', 0],
        ['stable', 0.002],
      ] as const) {
        const query = renderQuery(
          check.query as string,
          templateValues(spec, track, check.window, check.window),
        );
        const samples = await source.query(query, NOW);
        expect(samples, `${track}: ${query}`).toHaveLength(1);
        expect(samples[0]?.value).toBeCloseTo(expected, 6);
      }
    }
  });

  it('the Gate file example passes on the same data instead of reporting no data', async () => {
    const planned = planGates(loadGateTexts([{ file: 'payments.yml', text: readmeBlock('kind: Gate') }]), {
      defaultWindow: '5m',
      source: { provider: 'prometheus', address: prometheus.url },
    });
    const report = await evaluateChecks(planned, { sourceFor: () => source, now: () => NOW });
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([['error-rate', 'pass']]);
    // (40 * 0.002) / 44 of all requests failed.
    expect(report.checks[0]?.value).toBeCloseTo(0.08 / 44, 6);
  });

  it('the burn-rate example counts errors from non-errors, and its page rule stays quiet at 1.8x', async () => {
    const fragment = readmeBlock('availability-burn');
    const text = `apiVersion: glidepath.dev/v1
kind: Gate
metadata: { name: budget }
spec:
  vars: { service: payments }
  checks:
${fragment}`;
    const planned = planGates(loadGateTexts([{ file: 'budget.yml', text }]), {
      defaultWindow: '5m',
      source: { provider: 'prometheus', address: prometheus.url },
    });
    const report = await evaluateChecks(planned, { sourceFor: () => source, now: () => NOW });
    const [check] = report.checks;
    expect(check?.status).toBe('pass');
    const page = check?.burnRate?.rules.find((r) => r.factor === 14.4);
    expect(page?.fired).toBe(false);
    expect(page?.long.burnRate).toBeCloseTo(0.08 / 44 / 0.001, 3);
  });

  it("the demo preset's counts give the canary 0 errors and the primary its own, on a real server", async () => {
    const spec = loadRolloutText(
      'service: demo\nrouter: { provider: local }\nanalysis:\n  preset: demo\n',
      'r.yml',
    );
    const counts = preset('demo').counts;
    const read = async (query: string, track: 'stable' | 'canary') => {
      const samples = await source.query(renderQuery(query, templateValues(spec, track, '5m', '5m')), NOW);
      expect(samples).toHaveLength(1);
      return samples[0]?.value as number;
    };
    expect(await read(counts.errors, 'canary')).toBeCloseTo(0, 6);
    expect(await read(counts.requests, 'canary')).toBeCloseTo(RPS.canary * 300, 0);
    expect(await read(counts.errors, 'stable')).toBeCloseTo(RPS.stable * 300 * 0.002, 3);
  });
});
