import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoService, startDemoService } from '../../playground/demo-service.js';
import { type LoadGenerator, startLoad } from '../../playground/load-generator.js';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import { gateFile, sloFile } from '../support/gate-fixtures.js';
import {
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
  waitForSamples,
} from '../support/prometheus.js';

// Two real services, 2 % and 20 % errors, under steady load, scraped every
// second by a real Prometheus.
describe.skipIf(!prometheusInstalled())('SLO gate against a real Prometheus', () => {
  let healthy: DemoService;
  let faulty: DemoService;
  let loads: LoadGenerator[];
  let prometheus: PrometheusServer & AsyncDisposable;
  let source: PrometheusSource;

  beforeAll(async () => {
    healthy = await startDemoService({ track: 'stable', version: '1.0.0', errorRate: 0.02 });
    faulty = await startDemoService({ track: 'canary', version: '1.1.0', errorRate: 0.2 });
    loads = [startLoad(healthy.url, 100), startLoad(faulty.url, 100)];
    prometheus = (await startPrometheus({
      targets: [{ address: `127.0.0.1:${healthy.port}` }, { address: `127.0.0.1:${faulty.port}` }],
    })) as PrometheusServer & AsyncDisposable;
    source = new PrometheusSource({ address: prometheus.url, retry: { retries: 0 } });
    // rate() over 10s needs at least two scrapes of both services in the window.
    await waitForSamples(
      prometheus.url,
      'sum by (track) (rate(http_requests_total[10s])) > 0 and on() count(up == 1) == 2',
    );
    await new Promise((r) => setTimeout(r, 3_000));
  });

  afterAll(async () => {
    await source?.close();
    for (const load of loads ?? []) await load.stop();
    await healthy?.stop();
    await faulty?.stop();
    await prometheus?.[Symbol.asyncDispose]();
  });

  async function evaluate(text: string) {
    const gates = loadGateTexts([{ file: 'gate.yml', text }]);
    const planned = planGates(gates, {
      defaultWindow: '10s',
      source: { provider: 'prometheus', address: prometheus.url },
    });
    return evaluateChecks(planned, { sourceFor: () => source });
  }

  it('passes a service within its bound, recording the measured value and the exact query', async () => {
    const report = await evaluate(gateFile({ track: 'stable', max: 0.05 }));
    expect(report.result).toBe('pass');
    const [check] = report.checks;
    expect(check?.value).toBeGreaterThan(0.01);
    expect(check?.value).toBeLessThan(0.03);
    expect(check?.query).toContain('track="stable"');
    expect(check?.query).toContain('[10s]');
  });

  it('warns when the value leaves the warn band but stays within bounds', async () => {
    const report = await evaluate(gateFile({ track: 'stable', max: 0.05, warnMax: 0.01 }));
    expect(report.result).toBe('warn');
    expect(report.checks[0]?.reason).toMatch(/warn band/);
  });

  it('fails a service above its bound and says by how much', async () => {
    const report = await evaluate(gateFile({ track: 'canary', max: 0.05 }));
    expect(report.result).toBe('fail');
    expect(report.checks[0]?.value).toBeGreaterThan(0.15);
    expect(report.checks[0]?.reason).toMatch(/above the maximum 0.05/);
  });

  it('fails on missing data by default, and says so', async () => {
    const report = await evaluate(gateFile({ track: 'nonexistent', max: 0.05 }));
    expect(report.result).toBe('fail');
    expect(report.checks[0]).toMatchObject({ status: 'no-data', verdict: 'fail' });
    expect(report.checks[0]?.reason).toMatch(/no data/);
  });

  it('treats missing data as inconclusive (warn) or pass only when the check says so', async () => {
    expect(
      (await evaluate(gateFile({ track: 'nonexistent', max: 0.05, onNoData: 'inconclusive' }))).result,
    ).toBe('warn');
    expect((await evaluate(gateFile({ track: 'nonexistent', max: 0.05, onNoData: 'pass' }))).result).toBe(
      'pass',
    );
  });

  it('evaluates an OpenSLO ratio SLO: 98 % success meets 0.95 and misses 0.99', async () => {
    const pass = await evaluate(sloFile({ track: 'stable', target: 0.95 }));
    expect(pass.result).toBe('pass');
    expect(pass.checks[0]?.value).toBeGreaterThan(0.96);
    const fail = await evaluate(sloFile({ track: 'stable', target: 0.99 }));
    expect(fail.result).toBe('fail');
    expect(fail.checks[0]?.reason).toMatch(/below the minimum 0.99/);
  });

  it('fails an OpenSLO SLO whose service has no traffic (no data)', async () => {
    const report = await evaluate(sloFile({ track: 'absent', target: 0.95 }));
    expect(report.checks[0]?.status).toBe('no-data');
    expect(report.result).toBe('fail');
  });

  it('evaluates an OpenSLO threshold objective over the window with a range query', async () => {
    const threshold = `apiVersion: openslo/v1
kind: SLO
metadata: { name: demo-rate }
spec:
  service: demo
  budgetingMethod: Occurrences
  indicator:
    metadata: { name: demo-request-rate }
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: sum(rate(http_requests_total{app="demo",track="stable"}[5s]))
  objectives:
    - op: gte
      value: 10
      target: 0.5
    - op: gte
      value: 100000
      target: 0.5
`;
    const report = await evaluate(threshold);
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'fail']);
    expect(report.checks[0]?.value).toBeGreaterThan(0.5);
  });

  it('surfaces Prometheus\u2019s own error text for a query it rejects, without retrying', async () => {
    const gates = loadGateTexts([
      {
        file: 'g.yml',
        text: gateFile({ track: 'stable', max: 1 }).replace(
          /query: '.*'/,
          "query: 'sum(http_requests_total) / on(code) group_left http_requests_total'",
        ),
      },
    ]);
    const planned = planGates(gates, {
      defaultWindow: '10s',
      source: { provider: 'prometheus', address: prometheus.url },
    });
    const report = await evaluateChecks(planned, { sourceFor: () => source });
    expect(report.result).toBe('fail');
    expect(report.checks[0]?.status).toBe('error');
    expect(report.checks[0]?.reason).toMatch(/refused the query \(execution\)/);
  });
});
