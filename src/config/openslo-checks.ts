import { parser } from '@prometheus-io/lezer-promql';
import type { BurnRateRule } from '../analysis/burn-rate.js';
import { parseDuration } from './duration.js';
import { type ConfigProblem, ConfigurationError, formatProblem, problemCollector } from './errors.js';
import type { BurnRateDefinition, CheckDefinition, GateDefinition } from './gate-definition.js';
import type {
  AlertConditionFile,
  AlertPolicyFile,
  DataSourceFile,
  IndicatorSpec,
  SliFile,
  SloFile,
} from './openslo.js';
import { cloudAuthSchema, type SourceConfig } from './source.js';
import { problemAt, type YamlDocument } from './yaml-document.js';

type Metric = { metricSource: { type?: string; spec: Record<string, unknown>; metricSourceRef?: string } };

/** AlertPolicy and AlertCondition documents of the files given, for alertPolicyRef and conditionRef. */
export interface AlertObjects {
  policies: Map<string, { policy: AlertPolicyFile; document: YamlDocument }>;
  conditions: Map<string, { condition: AlertConditionFile; document: YamlDocument }>;
  /** `Kind/name` of documents that failed their schema, with the problems to report when one is named. */
  broken: Map<string, ConfigProblem[]>;
}

/** The DataSources of the files given, and the one source an SLO's metrics resolve to. */
interface SourceContext {
  dataSources: Map<string, DataSourceFile>;
  found?: { name: string; source: SourceConfig };
}

/**
 * Turns an OpenSLO SLO into gate checks. The gate judges the recent window
 * (the gate's `window`), not the SLO's `timeWindow`, which is the budget
 * period: a release is held to the objective over the last few minutes.
 */
export function sloToGate(
  slo: SloFile,
  document: YamlDocument,
  indicators: Map<string, SliFile>,
  dataSources: Map<string, DataSourceFile> = new Map(),
  alerts: AlertObjects = { policies: new Map(), conditions: new Map(), broken: new Map() },
): GateDefinition {
  const sourceContext: SourceContext = { dataSources };
  // Every objective, query and alert policy is checked on its own, so one pass reports them all.
  const { problems, collect } = problemCollector();
  const promQuery = (metric: Metric, doc: YamlDocument, field: Array<string | number>) =>
    metricQuery(metric, doc, field, sourceContext);
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

  const objectiveChecks = slo.spec.objectives.map((objective, i) =>
    collect(() => objectiveCheck(objective, i)),
  );
  const burnRate = collect(() =>
    alertPolicyBurnRate(slo, document, indicator, indicatorField, promQuery, alerts),
  );
  // Objectives share their indicator: its problem is reported once, not once per objective.
  if (problems.length > 0)
    throw new ConfigurationError([...new Map(problems.map((p) => [formatProblem(p), p])).values()]);
  const checks = objectiveChecks as CheckDefinition[];

  function objectiveCheck(objective: SloFile['spec']['objectives'][number], i: number): CheckDefinition {
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
      // Both parts are checked before either problem is thrown.
      const parts = problemCollector();
      const part = (metric: Metric, which: string) =>
        parts.collect(() =>
          counted(promQuery(metric, document, fieldOf(which)), ratio.counter, document, fieldOf(which)),
        ) ?? '';
      const total = part(ratio.total as Metric, 'total');
      const numerator = ratio.good ? part(ratio.good, 'good') : part(ratio.bad as Metric, 'bad');
      if (parts.problems.length > 0) throw new ConfigurationError(parts.problems);
      const query = ratio.good ? `(${numerator}) / (${total})` : `1 - (${numerator}) / (${total})`;
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
  }

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
    ...(sourceContext.found ? { source: sourceContext.found.source } : {}),
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
  promQuery: (metric: Metric, document: YamlDocument, field: Array<string | number>) => string,
  alerts: AlertObjects,
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
  policies.forEach((inline, p) => {
    const policy = resolveRef(
      inline,
      inline.alertPolicyRef,
      'AlertPolicy',
      alerts.policies,
      (found) => found.policy,
      { document, path: ['spec', 'alertPolicies', p] },
      'alertPolicyRef',
      alerts.broken,
    );
    (policy.value.spec?.conditions ?? []).forEach((inlineCondition, c) => {
      const condition = resolveRef(
        inlineCondition,
        inlineCondition.conditionRef,
        'AlertCondition',
        alerts.conditions,
        (found) => found.condition,
        { document: policy.document, path: [...policy.path, 'spec', 'conditions', c] },
        'conditionRef',
        alerts.broken,
      );
      const document = condition.document;
      const path = [...condition.path, 'spec'];
      const spec = condition.value.spec as NonNullable<AlertConditionFile['spec']>;
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

/**
 * An inline alert object, or the document its ref names (OpenSLO: "the name
 * or path" of the object; glidepath looks names up among the files given),
 * with the document and path to point problems at.
 */
function resolveRef<T, F extends { document: YamlDocument }>(
  inline: T,
  ref: string | undefined,
  kind: 'AlertPolicy' | 'AlertCondition',
  found: Map<string, F>,
  pick: (entry: F) => T,
  at: { document: YamlDocument; path: Array<string | number> },
  field: string,
  broken: Map<string, ConfigProblem[]>,
): { value: T; document: YamlDocument; path: Array<string | number> } {
  if (ref === undefined) return { value: inline, ...at };
  const entry = found.get(ref);
  if (entry) {
    const document = entry.document;
    return { value: pick(entry), document, path: [] };
  }
  throw new ConfigurationError(
    broken.get(`${kind}/${ref}`) ?? [
      problemAt(
        at.document,
        [...at.path, field],
        `no ${kind} named "${ref}" among the files given: add its kind: ${kind} document, or inline it`,
      ),
    ],
  );
}

function metricQuery(
  metric: Metric,
  document: YamlDocument,
  field: Array<string | number>,
  context: SourceContext,
): string {
  const source = metric.metricSource;
  let type = source.type;
  if (source.metricSourceRef !== undefined) {
    const ref = source.metricSourceRef;
    const dataSource = context.dataSources.get(ref);
    const at = [...field, 'metricSource', 'metricSourceRef'];
    if (!dataSource) {
      throw problem(
        document,
        at,
        `no DataSource named "${ref}" among the files given: add its kind: DataSource document (type: Prometheus, connectionDetails.url), or drop metricSourceRef and set the gate's source`,
      );
    }
    type = type ?? dataSource.spec.type;
    if (dataSource.spec.type.toLowerCase() === 'prometheus') {
      const resolved = prometheusOf(dataSource, document, at);
      if (context.found && context.found.name !== ref) {
        throw problem(
          document,
          at,
          `"${ref}" differs from DataSource "${context.found.name}" of another metric of this SLO: a gate queries one source per SLO`,
        );
      }
      context.found = { name: ref, source: resolved };
    }
  }
  if (type === undefined || type.toLowerCase() !== 'prometheus') {
    throw problem(
      document,
      [...field, 'metricSource', type === source.type ? 'type' : 'metricSourceRef'],
      `metric source type "${type}" is not supported by the gate: use Prometheus`,
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

/**
 * A Prometheus DataSource's address. OpenSLO leaves `connectionDetails`
 * free-form ("everything that is valid YAML can be put here"); glidepath reads
 * `url` (or `address`), the Prometheus HTTP API's base URL.
 */
function prometheusOf(
  dataSource: DataSourceFile,
  document: YamlDocument,
  at: Array<string | number>,
): SourceConfig {
  const details = dataSource.spec.connectionDetails ?? {};
  const address = [details.url, details.address].find((v): v is string => typeof v === 'string');
  if (!address || !/^https?:\/\/\S+$/.test(address)) {
    throw problem(
      document,
      at,
      `DataSource "${dataSource.metadata.name}" of type Prometheus needs connectionDetails.url, an http(s) URL such as https://prometheus.example:9090${address ? ` (got ${JSON.stringify(address)})` : ''}`,
    );
  }
  // The cloud auth of a managed Prometheus (sigv4, azure, google, ibm) rides in the same free-form
  // block, in the shape of a Gate source's `auth`.
  if (details.auth === undefined || details.auth === null) return { provider: 'prometheus', address };
  const auth = cloudAuthSchema.safeParse(details.auth);
  if (!auth.success) {
    const issue = auth.error.issues[0];
    const path = ['auth', ...(issue?.path ?? [])].join('.');
    throw problem(
      document,
      at,
      `DataSource "${dataSource.metadata.name}" connectionDetails.${path}: ${issue?.message ?? 'is invalid'} (the same fields as a Gate source's auth: type sigv4, azure, google or ibm)`,
    );
  }
  return { provider: 'prometheus', address, auth: auth.data } as SourceConfig;
}

function problem(document: YamlDocument, path: Array<string | number>, message: string): ConfigurationError {
  return new ConfigurationError([problemAt(document, path, message)]);
}
