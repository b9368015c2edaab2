import { parser } from '@prometheus-io/lezer-promql';
import type { BurnRateRule } from '../analysis/burn-rate.js';
import { parseDuration } from './duration.js';
import { ConfigurationError } from './errors.js';
import type { BurnRateDefinition, CheckDefinition, GateDefinition } from './gate-definition.js';
import type { IndicatorSpec, SliFile, SloFile } from './openslo.js';
import { problemAt, type YamlDocument } from './yaml-document.js';

type Metric = { metricSource: { type: string; spec: Record<string, unknown>; metricSourceRef?: string } };

/**
 * Turns an OpenSLO SLO into gate checks. The gate judges the recent window
 * (the gate's `window`), not the SLO's `timeWindow`, which is the budget
 * period: a release is held to the objective over the last few minutes.
 */
export function sloToGate(
  slo: SloFile,
  document: YamlDocument,
  indicators: Map<string, SliFile>,
): GateDefinition {
  const base = ['spec'] as const;
  let indicator: IndicatorSpec;
  let indicatorField: Array<string | number>;
  if (slo.spec.indicator) {
    indicator = slo.spec.indicator.spec;
    indicatorField = [...base, 'indicator', 'spec'];
  } else {
    const ref = slo.spec.indicatorRef as string;
    const found = indicators.get(ref);
    if (!found) {
      throw problem(
        document,
        [...base, 'indicatorRef'],
        `no SLI named "${ref}" among the files given: add its kind: SLI document to the slos input`,
      );
    }
    indicator = found.spec;
    indicatorField = [...base, 'indicatorRef'];
  }

  const checks: CheckDefinition[] = slo.spec.objectives.map((objective, i) => {
    const field = `spec.objectives[${i}]`;
    const target = objective.target ?? (objective.targetPercent as number) / 100;
    const name =
      objective.displayName ?? (slo.spec.objectives.length > 1 ? `objective-${i + 1}` : 'objective');
    const location = {
      file: document.file,
      line: document.positionOf(['spec', 'objectives', i])?.line,
      field,
    };
    if (indicator.ratioMetric) {
      const ratio = indicator.ratioMetric;
      const fieldOf = (part: string) => [...indicatorField, 'ratioMetric', part];
      const total = counted(
        promQuery(ratio.total as Metric, document, fieldOf('total')),
        ratio.counter,
        document,
        fieldOf('total'),
      );
      const query = ratio.good
        ? `(${counted(promQuery(ratio.good, document, fieldOf('good')), ratio.counter, document, fieldOf('good'))}) / (${total})`
        : `1 - (${counted(promQuery(ratio.bad as Metric, document, fieldOf('bad')), ratio.counter, document, fieldOf('bad'))}) / (${total})`;
      return { name, query, min: target, onNoData: 'fail', location };
    }
    if (objective.op === undefined || objective.value === undefined) {
      throw problem(
        document,
        ['spec', 'objectives', i],
        'a thresholdMetric objective needs op (lte, gte, lt, gt) and value',
      );
    }
    const query = promQuery(indicator.thresholdMetric as Metric, document, [
      ...indicatorField,
      'thresholdMetric',
    ]);
    return {
      name,
      query,
      min: target,
      onNoData: 'fail',
      fractionOf: { op: objective.op, value: objective.value },
      location,
    };
  });

  const burnRate = alertPolicyBurnRate(slo, document, indicator, indicatorField);
  if (burnRate) {
    slo.spec.objectives.forEach((objective, i) => {
      const objectiveCheck = checks[i] as CheckDefinition;
      checks.push({
        name: `${objectiveCheck.name}-burn-rate`,
        onNoData: 'fail',
        burnRate: { ...burnRate, target: objective.target ?? (objective.targetPercent as number) / 100 },
        location: {
          file: document.file,
          line: document.positionOf(['spec', 'alertPolicies'])?.line,
          field: 'spec.alertPolicies',
        },
      });
    });
  }

  return {
    name: slo.metadata.name,
    kind: 'SLO',
    file: document.file,
    vars: { service: slo.spec.service },
    checks,
  };
}

/**
 * The SLO's inline alert policies as burn-rate rules over its ratio
 * indicator. An OpenSLO burnrate condition fires when the burn rate over
 * `lookbackWindow` has crossed `threshold` for `alertAfter`. A gate judges
 * one moment, so "has held for alertAfter" becomes the SRE Workbook's short
 * window: the burn rate over the last `alertAfter` must exceed the threshold
 * too. Without alertAfter (or 0m) the short window is 1/12 of the lookback,
 * the Workbook's ratio (5m for 1h).
 */
function alertPolicyBurnRate(
  slo: SloFile,
  document: YamlDocument,
  indicator: IndicatorSpec,
  indicatorField: Array<string | number>,
): Omit<BurnRateDefinition, 'target'> | undefined {
  const policies = slo.spec.alertPolicies ?? [];
  if (policies.length === 0) return undefined;
  const ratio = indicator.ratioMetric;
  if (!ratio) {
    throw problem(
      document,
      ['spec', 'alertPolicies'],
      'burn-rate alert policies need a ratioMetric indicator (good or bad events over total): a thresholdMetric has no error budget to burn',
    );
  }
  const rules: BurnRateRule[] = [];
  policies.forEach((policy, p) => {
    policy.spec?.conditions.forEach((condition, c) => {
      const path = ['spec', 'alertPolicies', p, 'spec', 'conditions', c, 'spec'];
      const spec = condition.spec as NonNullable<typeof condition.spec>;
      const rule = spec.condition;
      if (rule.op === 'lt' || rule.op === 'lte') {
        throw problem(
          document,
          [...path, 'condition', 'op'],
          `${rule.op} alerts when the burn rate is low, which cannot fail a release: use gt or gte`,
        );
      }
      const severity = spec.severity.toLowerCase();
      if (severity !== 'page' && severity !== 'ticket') {
        throw problem(
          document,
          [...path, 'severity'],
          `severity "${spec.severity}" has no meaning to the gate: use page (fails the gate) or ticket (warns)`,
        );
      }
      const longSeconds = (parseDuration(rule.lookbackWindow) as number) / 1000;
      const afterMs = rule.alertAfter === undefined ? undefined : parseDuration(rule.alertAfter);
      const shortSeconds = afterMs === undefined ? longSeconds / 12 : afterMs / 1000;
      if (shortSeconds >= longSeconds || shortSeconds < 1) {
        throw problem(
          document,
          [...path, 'condition', 'alertAfter'],
          `${rule.alertAfter} must be shorter than lookbackWindow ${rule.lookbackWindow} (the gate checks the burn rate over both)`,
        );
      }
      rules.push({
        severity,
        factor: rule.threshold,
        longWindowSeconds: longSeconds,
        shortWindowSeconds: Math.round(shortSeconds),
      });
    });
  });
  const fieldOf = (part: string) => [...indicatorField, 'ratioMetric', part];
  const windowed = (part: 'good' | 'bad' | 'total') => {
    const query = counted(
      promQuery(ratio[part] as Metric, document, fieldOf(part)),
      ratio.counter,
      document,
      fieldOf(part),
    );
    if (!/\{\{\s*window\s*\}\}/.test(query)) {
      throw problem(
        document,
        [...fieldOf(part), 'metricSource', 'spec', 'query'],
        'burn-rate alert policies measure several windows: with counter: false the query must use [{{window}}], e.g. sum(rate(x[{{window}}])); or set counter: true',
      );
    }
    return query;
  };
  const total = windowed('total');
  const errors = ratio.bad ? windowed('bad') : `(${total}) - (${windowed('good')})`;
  return { errors, total, rules };
}

function promQuery(metric: Metric, document: YamlDocument, field: Array<string | number>): string {
  const source = metric.metricSource;
  if (source.metricSourceRef !== undefined) {
    throw problem(
      document,
      [...field, 'metricSource', 'metricSourceRef'],
      'metricSourceRef is not supported: give type: Prometheus and spec.query inline',
    );
  }
  if (source.type.toLowerCase() !== 'prometheus') {
    throw problem(
      document,
      [...field, 'metricSource', 'type'],
      `metric source type "${source.type}" is not supported by the gate: use Prometheus`,
    );
  }
  const query = source.spec.query;
  if (typeof query !== 'string' || query.trim() === '') {
    throw problem(
      document,
      [...field, 'metricSource', 'spec', 'query'],
      'is required: the PromQL query of this metric',
    );
  }
  return query.trim();
}

/**
 * With `counter: true` OpenSLO hands us raw counters; the gate needs the
 * events of its window, so a selector (optionally under `sum`) becomes
 * `sum(increase(selector[{{window}}]))`. Anything more complex is refused
 * rather than guessed at.
 */
function counted(
  query: string,
  counter: boolean,
  document: YamlDocument,
  field: Array<string | number>,
): string {
  if (!counter) return query;
  const tree = parser.parse(query);
  const top = tree.topNode.firstChild;
  let selector: string | undefined;
  if (top?.name === 'VectorSelector' && !top.nextSibling) {
    selector = query.slice(top.from, top.to);
  } else if (top?.name === 'AggregateExpr' && !top.nextSibling) {
    const op = top.getChild('AggregateOp');
    const body = top.getChild('FunctionCallBody');
    const inner = body?.firstChild;
    if (
      op &&
      query.slice(op.from, op.to) === 'sum' &&
      inner?.name === 'VectorSelector' &&
      !inner.nextSibling
    ) {
      const modifier = top.getChild('AggregateModifier');
      const grouping = modifier ? ` ${query.slice(modifier.from, modifier.to)}` : '';
      return `sum${grouping}(increase(${query.slice(inner.from, inner.to)}[{{window}}]))`;
    }
  }
  if (!selector) {
    throw problem(
      document,
      [...field, 'metricSource', 'spec', 'query'],
      'with counter: true the query must be a counter selector such as http_requests_total{code!~"5.."} (optionally inside sum(...)); or set counter: false and write the rate over {{window}} yourself',
    );
  }
  return `sum(increase(${selector}[{{window}}]))`;
}

function problem(document: YamlDocument, path: Array<string | number>, message: string): ConfigurationError {
  return new ConfigurationError([problemAt(document, path, message)]);
}
