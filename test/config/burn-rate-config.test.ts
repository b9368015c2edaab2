import { describe, expect, it } from 'vitest';
import { planGates } from '../../src/analysis/gate.js';
import { type ConfigProblem, ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';

const prometheus = { provider: 'prometheus' as const, address: 'http://127.0.0.1:9' };
const ERRORS = 'sum(increase(http_requests_total{app="{{service}}",code=~"5.."}[{{window}}]))';
const TOTAL = 'sum(increase(http_requests_total{app="{{service}}"}[{{window}}]))';

const gate = (check: string) => `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: payments
spec:
  vars: { service: payments }
  checks:
    - name: budget
${check}`;

const burnBlock = (fields: Record<string, string>) =>
  `      burnRate:\n${Object.entries({
    target: '0.999',
    errors: `'${ERRORS}'`,
    total: `'${TOTAL}'`,
    ...fields,
  })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `        ${k}: ${v}`)
    .join('\n')}`;

function problemsOf(load: () => unknown): ConfigProblem[] {
  try {
    load();
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return e.problems;
    throw e;
  }
  throw new Error('expected the config to be refused');
}

const planGate = (text: string) =>
  planGates(loadGateTexts([{ file: 'gates/budget.yml', text }]), { defaultWindow: '5m', source: prometheus });

describe('burnRate on a Gate check', () => {
  it('accepts a check with burnRate and no query, and renders both queries for every page window', () => {
    const [planned] = planGate(gate(burnBlock({})));
    expect(planned?.query).toBeUndefined();
    expect(planned?.check.burnRate?.rules.map((r) => r.factor)).toEqual([14.4, 6]);
    expect(planned?.burnRate?.windows.map((w) => w.window)).toEqual(['5m', '30m', '1h', '6h']);
    expect(planned?.burnRate?.windows[2]).toMatchObject({
      errors: 'sum(increase(http_requests_total{app="payments",code=~"5.."}[1h]))',
      total: 'sum(increase(http_requests_total{app="payments"}[1h]))',
    });
  });

  it('adds the ticket rules and their windows with severity: ticket', () => {
    const [planned] = planGate(gate(burnBlock({ severity: 'ticket' })));
    expect(planned?.check.burnRate?.rules.map((r) => `${r.severity} ${r.factor}`)).toEqual([
      'page 14.4',
      'page 6',
      'ticket 3',
      'ticket 1',
    ]);
    expect(planned?.burnRate?.windows.map((w) => w.window)).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
    ]);
  });

  it('keeps a query with bounds beside a burn rate', () => {
    const [planned] = planGate(gate(`      query: 'sum(up)'\n      min: 1\n${burnBlock({})}`));
    expect(planned?.query).toBe('sum(up)');
    expect(planned?.burnRate?.windows).toHaveLength(4);
  });

  const cases: Array<[string, string, { field: string; line?: number; message: RegExp }]> = [
    [
      'a percentage target',
      burnBlock({ target: '99.9' }),
      { field: 'spec.checks[0].burnRate.target', line: 10, message: /fraction below 1/ },
    ],
    [
      'errors without {{window}}',
      burnBlock({ errors: 'sum(errors_total)' }),
      { field: 'spec.checks[0].burnRate.errors', line: 11, message: /must use \{\{window\}\}/ },
    ],
    [
      'a missing total',
      burnBlock({ total: '' }),
      { field: 'spec.checks[0].burnRate.total', message: /is required|expected string/ },
    ],
    [
      'an unknown severity',
      burnBlock({ severity: 'critical' }),
      { field: 'spec.checks[0].burnRate.severity', line: 13, message: /"page", "ticket"/ },
    ],
    [
      'an unknown field',
      burnBlock({ window: '1h' }),
      { field: 'spec.checks[0].burnRate.window', message: /unknown field "window"/ },
    ],
    [
      'bounds without a query',
      `      max: 0.01\n${burnBlock({})}`,
      { field: 'spec.checks[0].max', line: 9, message: /add a query, or remove max/ },
    ],
    [
      'a query without bounds',
      `      query: 'sum(up)'\n${burnBlock({})}`,
      { field: 'spec.checks[0]', message: /needs min, max or both/ },
    ],
    ['neither query nor burnRate', `      max: 1`, { field: 'spec.checks[0].query', message: /is required/ }],
  ];
  it.each(cases)('refuses %s with file, line and field', (_name, check, expected) => {
    const [problem] = problemsOf(() => loadGateTexts([{ file: 'gates/budget.yml', text: gate(check) }]));
    expect(problem).toMatchObject({ file: 'gates/budget.yml', field: expected.field });
    expect(problem?.message).toMatch(expected.message);
    if (expected.line) expect(problem?.line).toBe(expected.line);
  });

  it('refuses an unknown template variable in a burn-rate query at plan time, before anything is sent', () => {
    const text = gate(burnBlock({ total: `'sum(increase(x{team="{{team}}"}[{{window}}]))'` }));
    const [problem] = problemsOf(() => planGate(text));
    expect(problem).toMatchObject({
      file: 'gates/budget.yml',
      line: 8,
      field: 'spec.checks[0].burnRate.total',
    });
    expect(problem?.message).toMatch(/unknown template variable \{\{team\}\}/);
  });
});

describe('burnRate on a rollout check', () => {
  const rollout = (check: string) => `service: payments
router: { provider: local }
analysis:
  checks:
    - name: budget
${check}`;

  it('accepts the canary burn rate as a rollout check', () => {
    const spec = loadRolloutText(rollout(burnBlock({})), 'rollout.yml');
    expect(spec.checks[0]?.query).toBeUndefined();
    expect(spec.checks[0]?.burnRate).toMatchObject({ target: 0.999, errors: ERRORS, total: TOTAL });
  });

  it('refuses a bad template in a burn-rate query with the line and field', () => {
    const text = rollout(burnBlock({ errors: `'sum(increase(x{a="{{nope}}"}[{{window}}]))'` }));
    const [problem] = problemsOf(() => loadRolloutText(text, 'rollout.yml'));
    expect(problem).toMatchObject({
      file: 'rollout.yml',
      line: 5,
      field: 'analysis.checks[0].burnRate.errors',
    });
  });

  it('refuses compare on a check without a query', () => {
    const [problem] = problemsOf(() =>
      loadRolloutText(rollout(`      compare: { tolerance: 1.1 }\n${burnBlock({})}`), 'rollout.yml'),
    );
    expect(problem).toMatchObject({ field: 'analysis.checks[0].compare' });
    expect(problem?.message).toMatch(/add a query/);
  });
});

describe('OpenSLO alert policies', () => {
  const slo = (policies: string, indicator = ratio) => `apiVersion: openslo/v1
kind: SLO
metadata: { name: payments-availability }
spec:
  service: payments
  budgetingMethod: Occurrences
  indicator:
    metadata: { name: payments-ok }
    spec:
${indicator}
  objectives:
    - displayName: availability
      target: 0.999
  alertPolicies:
${policies}`;
  const ratio = `      ratioMetric:
        counter: true
        good:
          metricSource: { type: Prometheus, spec: { query: 'http_requests_total{app="{{service}}",code!~"5.."}' } }
        total:
          metricSource: { type: Prometheus, spec: { query: 'http_requests_total{app="{{service}}"}' } }`;
  const policy = (condition: string, severity = 'page') => `    - kind: AlertPolicy
      metadata: { name: burn }
      spec:
        conditions:
          - kind: AlertCondition
            metadata: { name: fast }
            spec:
              severity: ${severity}
              condition: ${condition}`;

  it('turns inline burnrate conditions into a burn-rate check on the SLO target', () => {
    const text = slo(
      `${policy('{ kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m }')}\n          - kind: AlertCondition\n            spec:\n              severity: ticket\n              condition: { kind: burnrate, op: gte, threshold: 3, lookbackWindow: 1d }`,
    );
    const [g] = loadGateTexts([{ file: 'slo.yml', text }]);
    const check = g?.checks.find((c) => c.name === 'availability-burn-rate');
    expect(check?.burnRate?.target).toBe(0.999);
    expect(check?.burnRate?.rules).toEqual([
      { severity: 'page', factor: 14.4, longWindowSeconds: 3600, shortWindowSeconds: 300 },
      // No alertAfter: the SRE Workbook's 1/12 of the lookback window.
      { severity: 'ticket', factor: 3, longWindowSeconds: 86_400, shortWindowSeconds: 7200 },
    ]);
    expect(check?.burnRate?.total).toBe('sum(increase(http_requests_total{app="{{service}}"}[{{window}}]))');
    expect(check?.burnRate?.errors).toBe(
      '(sum(increase(http_requests_total{app="{{service}}"}[{{window}}]))) - (sum(increase(http_requests_total{app="{{service}}",code!~"5.."}[{{window}}])))',
    );
    const planned = planGates([g as NonNullable<typeof g>], { defaultWindow: '5m', source: prometheus });
    expect(planned.find((p) => p.burnRate)?.burnRate?.windows.map((w) => w.window)).toEqual([
      '5m',
      '1h',
      '2h',
      '1d',
    ]);
  });

  const refusals: Array<[string, string, { field: string; message: RegExp }]> = [
    [
      'op lte',
      slo(policy('{ kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h }')),
      { field: 'spec.alertPolicies[0].spec.conditions[0].spec.condition.op', message: /use gt or gte/ },
    ],
    [
      'a severity the gate cannot map',
      slo(policy('{ kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h }', 'sev1')),
      { field: 'spec.alertPolicies[0].spec.conditions[0].spec.severity', message: /use page .* or ticket/ },
    ],
    [
      'alertAfter not shorter than the lookback',
      slo(policy('{ kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h, alertAfter: 2h }')),
      {
        field: 'spec.alertPolicies[0].spec.conditions[0].spec.condition.alertAfter',
        message: /shorter than lookbackWindow/,
      },
    ],
    [
      'a condition kind other than burnrate',
      slo(policy('{ kind: threshold, op: gt, threshold: 2, lookbackWindow: 1h }')),
      {
        field: 'spec.alertPolicies[0].spec.conditions[0].spec.condition.kind',
        message: /only kind: burnrate/,
      },
    ],
    [
      'a conditionRef',
      slo(
        `    - kind: AlertPolicy\n      metadata: { name: burn }\n      spec:\n        conditions:\n          - conditionRef: fast-burn`,
      ),
      {
        field: 'spec.alertPolicies[0].spec.conditions[0].conditionRef',
        message:
          /no AlertCondition named "fast-burn" among the files given: add its kind: AlertCondition document/,
      },
    ],
    [
      'an alertPolicyRef',
      slo('    - alertPolicyRef: shared-policy'),
      {
        field: 'spec.alertPolicies[0].alertPolicyRef',
        message: /no AlertPolicy named "shared-policy" among the files given/,
      },
    ],
    [
      'a threshold indicator',
      slo(
        policy('{ kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h }'),
        `      thresholdMetric:\n        metricSource: { type: Prometheus, spec: { query: 'up' } }`,
      ).replace('      target: 0.999', '      target: 0.999\n      op: gte\n      value: 1'),
      { field: 'spec.alertPolicies', message: /need a ratioMetric indicator/ },
    ],
    [
      'a rate query without {{window}}',
      slo(
        policy('{ kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h }'),
        ratio.replace('counter: true', 'counter: false'),
      ),
      {
        field: 'spec.indicator.spec.ratioMetric.total.metricSource.spec.query',
        message: /must use \[\{\{window\}\}\]/,
      },
    ],
  ];
  it.each(refusals)('refuses %s, never ignores it', (_name, text, expected) => {
    const [problem] = problemsOf(() => loadGateTexts([{ file: 'slo.yml', text }]));
    expect(problem).toMatchObject({ file: 'slo.yml', field: expected.field });
    expect(problem?.line).toBeGreaterThan(0);
    expect(problem?.message).toMatch(expected.message);
  });
});
