import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planGates } from '../../src/analysis/gate.js';
import { type ConfigProblem, ConfigurationError } from '../../src/config/errors.js';
import { loadGateFiles, loadGateTexts } from '../../src/config/load-gates.js';

const dir = join(import.meta.dirname, 'openslo');
const file = (name: string) => join(dir, name);

function load(names: string[]) {
  const notices: ConfigProblem[] = [];
  const gates = loadGateFiles(names.map(file), { notice: (n) => notices.push(n) });
  return { gates, notices };
}

function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigurationError');
}

describe('OpenSLO as people write it (files written from the OpenSLO v1 README)', () => {
  it('reads the list form: the DataSource gives the source, the Service is context, counter defaults to false, empty alertPolicies is none', () => {
    const { gates, notices } = load(['list-form.yaml']);
    expect(gates).toHaveLength(1);
    const [gate] = gates;
    expect(gate?.name).toBe('foo-slo');
    expect(gate?.source).toEqual({ provider: 'prometheus', address: 'http://prometheus.monitoring:9090' });
    // counter left out is false: the queries are used as written, not wrapped in increase().
    expect(gate?.checks.map((c) => c.query)).toEqual([
      '(sum(rate(http_requests_total{service="foo",code!~"5.."}[{{window}}]))) / (sum(rate(http_requests_total{service="foo"}[{{window}}])))',
    ]);
    expect(gate?.checks[0]?.min).toBe(0.98);
    expect(notices.map((n) => [n.line, n.message])).toEqual([
      [13, expect.stringMatching(/^Service "foo" read as context/)],
    ]);
    // No --prometheus-url and no spec.source: the DataSource's URL is what the gate queries.
    const planned = planGates(gates, { defaultWindow: '5m' });
    expect(planned[0]?.source).toEqual({
      provider: 'prometheus',
      address: 'http://prometheus.monitoring:9090',
    });
  });

  it('reads multi-document files: SLOs beside AlertPolicy, AlertCondition and AlertNotificationTarget objects, each skipped with a notice', () => {
    const { gates, notices } = load(['multi-document.yaml']);
    expect(gates.map((g) => g.name)).toEqual(['foo-slo']);
    const checks = gates[0]?.checks ?? [];
    expect(checks.map((c) => c.name)).toEqual(['Foo Total Errors', 'Foo Total Errors-burn-rate']);
    expect(checks[0]?.query).toContain('sum(increase(http_requests_total{service="foo"}[{{window}}]))');
    // The spec's own condition has no op: a burn rate above 2 over 1h (and over alertAfter 5m) pages.
    expect(checks[1]?.burnRate?.rules).toEqual([
      { severity: 'page', factor: 2, longWindowSeconds: 3600, shortWindowSeconds: 300 },
    ]);
    // The AlertPolicy and AlertCondition documents are read (for alertPolicyRef/conditionRef), not refused.
    expect(notices.map((n) => n.message.split(':')[0])).toEqual([
      'Service "foo" read as context',
      'AlertNotificationTarget "OnCallDevopsMailNotification" skipped',
    ]);
  });

  it('follows alertPolicyRef to an AlertPolicy and its conditionRef to an AlertCondition', () => {
    const { gates } = load(['alert-refs.yaml']);
    const burn = gates[0]?.checks.find((c) => c.burnRate);
    expect(burn?.burnRate?.rules).toEqual([
      { severity: 'page', factor: 2, longWindowSeconds: 3600, shortWindowSeconds: 300 },
    ]);
    expect(burn?.burnRate?.target).toBe(0.999);
    const text = readFileSync(file('alert-refs.yaml'), 'utf8');
    const [missing] = problemsOf(() =>
      loadGateTexts([
        { file: 'refs.yaml', text: text.replace('conditionRef: cpu-usage-breach', 'conditionRef: nowhere') },
      ]),
    );
    expect(missing).toMatchObject({
      line: 41,
      field: 'spec.conditions[0].conditionRef',
      message: expect.stringMatching(/^no AlertCondition named "nowhere" among the files given/),
    });
  });

  it('an SLO glob holding other kinds evaluates the SLOs beside them', () => {
    const { gates } = load(['list-form.yaml', 'multi-document.yaml']);
    expect(gates.map((g) => `${g.file.split('/').pop()}:${g.name}`)).toEqual([
      'list-form.yaml:foo-slo',
      'multi-document.yaml:foo-slo',
    ]);
  });

  it('reports every problem of every file in one pass, each at its line with the fix', () => {
    const problems = problemsOf(() => loadGateFiles([file('many-problems.yaml'), file('absent.yaml')]));
    const shown = problems.map(
      (p) => `${p.file?.split('/').pop()}:${p.line ?? ''} ${p.field ?? ''} ${p.message}`,
    );
    expect(shown).toEqual([
      expect.stringMatching(/^absent\.yaml: {2}cannot read the file \(no such file\); check the path$/),
      expect.stringMatching(
        /^many-problems\.yaml:19 .*metricSource\.type metric source type "Datadog" is not supported by the gate: use Prometheus$/,
      ),
      expect.stringMatching(/^many-problems\.yaml:56 spec\.objectives\[0\] needs target .* or targetPercent/),
      expect.stringMatching(
        /^many-problems\.yaml:39 .*metricSourceRef no DataSource named "nowhere" among the files given: add its kind: DataSource/,
      ),
    ]);
  });

  it('reports every problem inside one SLO too: each objective, and both parts of a ratio', () => {
    // An SLO as the OpenSLO spec's ratioMetric example writes it, with a mistake in each part, repeated by two objectives.
    const text = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-good-ratio
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            metricSourceRef: thanos
            spec:
              query: sum(http_requests_total{code!~"5.."})
        total:
          metricSource:
            metricSourceRef: cortex
            spec:
              query: sum(http_requests_total)
  budgetingMethod: Occurrences
  objectives:
    - displayName: strict
      target: 0.999
    - displayName: loose
      target: 0.99
`;
    const problems = problemsOf(() => loadGateTexts([{ file: 'slo.yaml', text }]));
    const shown = problems.map((p) => `${p.line} ${p.field} ${p.message}`);
    expect(shown).toEqual([
      expect.stringMatching(/^20 .*total\.metricSource\.metricSourceRef no DataSource named "cortex"/),
      expect.stringMatching(/^15 .*good\.metricSource\.metricSourceRef no DataSource named "thanos"/),
    ]);

    const threshold = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-p99
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[5m])))
  budgetingMethod: Occurrences
  objectives:
    - displayName: fast
      target: 0.99
    - displayName: slow
      op: lte
      target: 0.999
`;
    const perObjective = problemsOf(() => loadGateTexts([{ file: 'latency.yaml', text: threshold }]));
    expect(perObjective.map((p) => `${p.line} ${p.message}`)).toEqual([
      expect.stringMatching(/^18 a thresholdMetric objective needs op .* and value/),
      expect.stringMatching(/^20 a thresholdMetric objective needs op .* and value/),
    ]);
  });

  it("takes a managed Prometheus's cloud auth from the DataSource's connectionDetails", () => {
    const slo = (auth: string) => `- apiVersion: openslo/v1
  kind: DataSource
  metadata: { name: amp }
  spec:
    type: Prometheus
    connectionDetails:
      url: https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1
      auth: ${auth}
- apiVersion: openslo/v1
  kind: SLO
  metadata: { name: s }
  spec:
    service: foo
    indicator:
      metadata: { name: i }
      spec:
        thresholdMetric:
          metricSource: { metricSourceRef: amp, spec: { query: up } }
    budgetingMethod: Occurrences
    objectives: [{ op: gte, value: 1, target: 0.9 }]
`;
    const [gate] = loadGateTexts([{ file: 'amp.yaml', text: slo('{ type: sigv4, region: eu-west-1 }') }]);
    expect(gate?.source).toMatchObject({
      provider: 'prometheus',
      address: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1',
      auth: { type: 'sigv4', region: 'eu-west-1', service: 'aps' },
    });
    const [problem] = problemsOf(() =>
      loadGateTexts([{ file: 'amp.yaml', text: slo('{ type: kerberos }') }]),
    );
    expect(problem?.message).toMatch(
      /DataSource "amp" connectionDetails\.auth\.type: .*sigv4, azure, google or ibm/,
    );
  });

  it('refuses a DataSource that glidepath cannot query, naming what to give', () => {
    const text = `- apiVersion: openslo/v1
  kind: DataSource
  metadata: { name: prom }
  spec: { type: Prometheus, connectionDetails: { accessKeyID: x } }
- apiVersion: openslo/v1
  kind: SLO
  metadata: { name: s }
  spec:
    service: foo
    indicator:
      metadata: { name: i }
      spec:
        thresholdMetric:
          metricSource: { metricSourceRef: prom, spec: { query: up } }
    budgetingMethod: Occurrences
    objectives: [{ op: gte, value: 1, target: 0.9 }]
`;
    const [problem] = problemsOf(() => loadGateTexts([{ file: 'ds.yaml', text }]));
    expect(problem?.line).toBe(14);
    expect(problem?.message).toMatch(/DataSource "prom" of type Prometheus needs connectionDetails\.url/);
  });
});
