import { describe, expect, it } from 'vitest';
import { planGates } from '../../src/analysis/gate.js';
import { type ConfigProblem, ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';

const prometheus = { provider: 'prometheus' as const, address: 'http://127.0.0.1:9' };

function problemsOf(text: string, options: { plan?: boolean } = {}): ConfigProblem[] {
  try {
    const gates = loadGateTexts([{ file: 'gates/bad.yml', text }]);
    if (options.plan) planGates(gates, { defaultWindow: '5m', source: prometheus });
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return e.problems;
    throw e;
  }
  throw new Error('expected the file to be refused');
}

const gate = (checks: string, extra = '') => `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: payments
spec:${extra}
  checks:
${checks}`;

const okCheck = `    - name: error-rate
      query: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
      max: 0.01`;

describe('loading Gate files', () => {
  it('reads a valid gate with defaults filled in', () => {
    const [g] = loadGateTexts([{ file: 'g.yml', text: gate(okCheck, '\n  window: 10m') }]);
    expect(g?.checks[0]).toMatchObject({
      name: 'error-rate',
      max: 0.01,
      onNoData: 'fail',
      location: { file: 'g.yml', line: 8 },
    });
    expect(g?.window).toBe('10m');
  });

  // Each malformed input: a clear message naming the file, the line and the field.
  const cases: Array<[string, string, { field?: string; line?: number; message: RegExp }]> = [
    [
      'bad YAML',
      'apiVersion: glidepath.dev/v1\nkind: Gate\nspec: [unclosed',
      { line: 3, message: /invalid YAML/ },
    ],
    ['duplicate key', 'apiVersion: a\napiVersion: b\n', { line: 2, message: /invalid YAML/ }],
    [
      'unknown kind',
      'apiVersion: glidepath.dev/v1\nkind: Gait\n',
      { field: 'kind', line: 2, message: /expected glidepath.dev\/v1 Gate/ },
    ],
    [
      'OpenSLO v1alpha',
      'apiVersion: openslo/v1alpha\nkind: SLO\n',
      { field: 'kind', message: /v1alpha is not supported/ },
    ],
    ['not a map', '- a\n- b\n', { message: /must be a map with apiVersion and kind/ }],
    [
      'unknown field',
      gate(`${okCheck}\n      maximum: 3`),
      { field: 'spec.checks[0].maximum', line: 10, message: /unknown field "maximum"/ },
    ],
    [
      'wrong type',
      gate(`    - name: e\n      query: up\n      max: high`),
      { field: 'spec.checks[0].max', line: 9, message: /must be a number \(got "high"\)/ },
    ],
    [
      'missing query',
      gate(`    - name: e\n      max: 1`),
      { field: 'spec.checks[0].query', message: /is required/ },
    ],
    [
      'empty query',
      gate(`    - name: e\n      query: "  "\n      max: 1`),
      { field: 'spec.checks[0].query', message: /must be a PromQL query/ },
    ],
    [
      'no bound',
      gate(`    - name: e\n      query: up`),
      { field: 'spec.checks[0]', message: /needs min, max or both/ },
    ],
    [
      'min > max',
      gate(`    - name: e\n      query: up\n      min: 5\n      max: 1`),
      { field: 'spec.checks[0].min', line: 9, message: /greater than max.*swap/ },
    ],
    [
      'bad window',
      gate(okCheck, '\n  window: five minutes'),
      { field: 'spec.window', line: 6, message: /must be a duration such as 30s, 5m/ },
    ],
    [
      'bad check window',
      gate(`${okCheck}\n      window: 5 m`),
      { field: 'spec.checks[0].window', message: /duration/ },
    ],
    [
      'bad onNoData',
      gate(`${okCheck}\n      onNoData: ignore`),
      { field: 'spec.checks[0].onNoData', message: /one of "fail", "pass", "inconclusive"/ },
    ],
    [
      'warn band outside pass band',
      gate(`${okCheck}\n      warn: { max: 0.5 }`),
      { field: 'spec.checks[0].warn.max', message: /outside the pass band/ },
    ],
    [
      'duplicate names',
      gate(`${okCheck}\n${okCheck}`),
      { field: 'spec.checks[1].name', message: /used twice/ },
    ],
    ['no checks', gate('    []'), { field: 'spec.checks', message: /at least one check/ }],
    [
      'unknown provider',
      gate(okCheck, '\n  source: { provider: influx, address: http://x }'),
      { field: 'spec.source.provider', message: /prometheus.*scrape/ },
    ],
    [
      'bad address',
      gate(okCheck, '\n  source: { provider: prometheus, address: "prom:9090" }'),
      { field: 'spec.source.address', message: /http\(s\) URL/ },
    ],
  ];
  it.each(cases)('refuses %s with file, line, field and fix', (_name, text, expected) => {
    const [problem] = problemsOf(text);
    expect(problem?.file).toBe('gates/bad.yml');
    expect(problem?.message).toMatch(expected.message);
    if (expected.field) expect(problem?.field).toBe(expected.field);
    if (expected.line) expect(problem?.line).toBe(expected.line);
  });

  const injections: Array<[string, string]> = [
    ['quote-closing label value', `spec:\n  vars: { service: 'x"} or vector(1) #' }`],
    ['regex breakout', `spec:\n  vars: { service: 'a"}) or vector(1) or (up{a=~"' }`],
    ['newline', `spec:\n  vars: { service: "a\\nb" }`],
  ];
  it.each(injections)('refuses a template injection attempt: %s', (_name, vars) => {
    const text = gate(
      `    - name: e\n      query: 'sum(rate(x{app="{{service}}"}[{{window}}]))'\n      max: 1`,
    ).replace('spec:', vars);
    const [problem] = problemsOf(text, { plan: true });
    expect(problem).toMatchObject({ file: 'gates/bad.yml', field: 'spec.checks[0].query', line: 8 });
    expect(problem?.message).toMatch(/\{\{service\}\}/);
  });

  it('refuses an unknown template variable at plan time', () => {
    const [problem] = problemsOf(gate(`    - name: e\n      query: 'up{a="{{team}}"}'\n      max: 1`), {
      plan: true,
    });
    expect(problem?.message).toMatch(/unknown template variable \{\{team\}\}/);
  });

  it('refuses a gate with no source and no prometheus-url', () => {
    const gates = loadGateTexts([{ file: 'g.yml', text: gate(okCheck) }]);
    expect(() => planGates(gates, { defaultWindow: '5m' })).toThrow(
      /no metrics source: pass --prometheus-url \(the prometheus-url input of the slo-gate action\)/,
    );
  });

  it('reports problems from several files at once', () => {
    try {
      loadGateTexts([
        { file: 'a.yml', text: 'kind: [' },
        { file: 'b.yml', text: gate('    - name: e\n      query: up') },
      ]);
    } catch (e: unknown) {
      expect((e as ConfigurationError).problems.map((p) => p.file)).toEqual(['a.yml', 'b.yml']);
      return;
    }
    throw new Error('expected a ConfigurationError');
  });
});

const slo = (
  indicator: string,
  objectives = '    - displayName: availability\n      target: 0.99',
  budgeting = 'Occurrences',
) => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments-availability
spec:
  service: payments
  budgetingMethod: ${budgeting}
  indicator:
    metadata:
      name: payments-success
    spec:
${indicator}
  objectives:
${objectives}`;

const ratio = `      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{app="payments",code!~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{app="payments"})`;

describe('loading OpenSLO files', () => {
  it('turns a counter ratio into good/total increases over the window with the target as minimum', () => {
    const [g] = loadGateTexts([{ file: 'slo.yml', text: slo(ratio) }]);
    expect(g?.kind).toBe('SLO');
    expect(g?.checks[0]).toMatchObject({
      name: 'availability',
      min: 0.99,
      onNoData: 'fail',
      query:
        '(sum(increase(http_requests_total{app="payments",code!~"5.."}[{{window}}]))) / (sum(increase(http_requests_total{app="payments"}[{{window}}])))',
    });
    expect(g?.vars.service).toBe('payments');
  });

  it('turns a bad/total ratio into one minus the bad share; targetPercent is a percentage', () => {
    const bad = ratio.replace('good:', 'bad:').replace('code!~', 'code=~');
    const [g] = loadGateTexts([{ file: 'slo.yml', text: slo(bad, '    - targetPercent: 99.5') }]);
    expect(g?.checks[0]?.query).toMatch(/^1 - \(sum\(increase\(/);
    expect(g?.checks[0]?.min).toBeCloseTo(0.995);
  });

  it('turns a threshold objective into the share of points meeting op value', () => {
    const threshold = `      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum by (le) (rate(latency_bucket[1m])))`;
    const [g] = loadGateTexts([
      { file: 'slo.yml', text: slo(threshold, '    - op: lte\n      value: 0.3\n      target: 0.95') },
    ]);
    expect(g?.checks[0]).toMatchObject({ min: 0.95, fractionOf: { op: 'lte', value: 0.3 } });
  });

  it('resolves an indicatorRef to an SLI in another file', () => {
    const sli = `apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: payments-success\nspec:\n${ratio.replace(/^ {4}/gm, '')}`;
    const withRef = slo(ratio).replace(
      / {2}indicator:\n[\s\S]*?(?= {2}objectives:)/,
      '  indicatorRef: payments-success\n',
    );
    const gates = loadGateTexts([
      { file: 'sli.yml', text: sli },
      { file: 'slo.yml', text: withRef },
    ]);
    expect(gates).toHaveLength(1);
    expect(gates[0]?.checks[0]?.query).toContain('increase(');
  });

  const unsupported: Array<[string, string, RegExp]> = [
    ['Timeslices budgeting', slo(ratio, undefined, 'Timeslices'), /Timeslices is not supported.*Occurrences/],
    ['a non-Prometheus source', slo(ratio.replaceAll('Prometheus', 'Datadog')), /"Datadog" is not supported/],
    [
      'a complex counter query',
      slo(ratio.replace('sum(http_requests_total{app="payments"})', 'sum(a) + sum(b)')),
      /counter: true the query must be a counter selector/,
    ],
    [
      'good and bad together',
      slo(
        ratio.replace(
          '        total:',
          '        bad:\n          metricSource: { type: Prometheus, spec: { query: x } }\n        total:',
        ),
      ),
      /exactly one of good or bad/,
    ],
    [
      'a missing SLI reference',
      slo(ratio).replace(/ {2}indicator:\n[\s\S]*?(?= {2}objectives:)/, '  indicatorRef: nowhere\n'),
      /no SLI named "nowhere"/,
    ],
    ['an objective without target', slo(ratio, '    - displayName: x'), /needs target/],
    [
      'time slices on an objective',
      slo(ratio, '    - target: 0.9\n      timeSliceTarget: 0.9'),
      /timeSliceTarget is not supported/,
    ],
  ];
  it.each(unsupported)('refuses %s clearly instead of passing silently', (_name, text, pattern) => {
    const problems = problemsOf(text);
    expect(problems.map((p) => p.message).join('\n')).toMatch(pattern);
    expect(problems[0]?.file).toBe('gates/bad.yml');
  });
});
