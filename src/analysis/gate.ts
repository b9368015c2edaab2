import { parseDuration } from '../config/duration.js';
import { type ConfigProblem, ConfigurationError } from '../config/errors.js';
import type { CheckDefinition, ComparisonOp, GateDefinition } from '../config/gate-definition.js';
import { renderSourceQuery } from '../config/query-language.js';
import type { SourceConfig } from '../config/source.js';
import { type MetricsSource, QueryRejectedError, type Sample } from '../metrics/source.js';
import {
  burnRateQueries,
  judgeBurnRate,
  measureBurnRate,
  type PlannedBurnRate,
  planBurnRate,
} from './burn-rate-check.js';
import { type CheckResult, type CheckStatus, type GateReport, worstVerdict } from './check-result.js';
import { format, formatBand, judgeValue, verdictOf } from './threshold.js';

/** A check with its query rendered and its source chosen: everything validated, nothing sent yet. */
export interface PlannedCheck {
  gate: string;
  check: CheckDefinition;
  /** The rendered value query; absent for a pure burn-rate check. */
  query?: string;
  burnRate?: PlannedBurnRate;
  window: string;
  source: SourceConfig;
}

export interface PlanOptions {
  /** Used when neither the check nor its file sets a window. */
  defaultWindow: string;
  /** Override the files' vars (e.g. the action's `vars` input). */
  vars?: Record<string, string>;
  /** Used for gates that name no source, and overrides the address of Prometheus sources. */
  source?: SourceConfig;
}

/**
 * Validates every check of every gate and renders its query. Any problem
 * (a bad template value, a query that does not parse, no source) stops here,
 * before a single query is sent.
 */
export function planGates(gates: GateDefinition[], options: PlanOptions): PlannedCheck[] {
  const problems: ConfigProblem[] = [];
  const planned: PlannedCheck[] = [];
  for (const gate of gates) {
    const source = chooseSource(gate, options.source);
    if (!source) {
      problems.push({
        file: gate.file,
        field: 'spec.source',
        message:
          'no metrics source: pass --prometheus-url (the prometheus-url input of the slo-gate action), or set spec.source in a Gate or a Prometheus DataSource (metricSourceRef) in OpenSLO',
      });
      continue;
    }
    for (const check of gate.checks) {
      const window = check.window ?? gate.window ?? options.defaultWindow;
      const where = {
        file: check.location.file,
        line: check.location.line,
        field: `${check.location.field}.query`,
      };
      const values = { ...gate.vars, ...options.vars, window };
      try {
        const query =
          check.query === undefined
            ? undefined
            : renderSourceQuery(source.provider, check.query, values, where);
        const burnRate = check.burnRate
          ? planBurnRate(check.burnRate, values, { ...where, field: check.location.field }, source.provider)
          : undefined;
        if ((check.fractionOf || burnRate) && source.provider === 'scrape') {
          throw new ConfigurationError([
            {
              ...where,
              message:
                'threshold objectives and burn rates need range queries, which the scrape source cannot answer: use a Prometheus source',
            },
          ]);
        }
        planned.push({ gate: gate.name, check, query, burnRate, window, source });
      } catch (e: unknown) {
        if (!(e instanceof ConfigurationError)) throw e;
        problems.push(...e.problems);
      }
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return planned;
}

function chooseSource(gate: GateDefinition, override: SourceConfig | undefined): SourceConfig | undefined {
  if (!override) return gate.source;
  if (!gate.source) return override;
  if (gate.source.provider === 'prometheus' && override.provider === 'prometheus') {
    return { ...gate.source, ...override, headers: { ...gate.source.headers, ...override.headers } };
  }
  return gate.source;
}

export interface EvaluateOptions {
  sourceFor: (config: SourceConfig) => MetricsSource;
  now?: () => Date;
}

/** Runs the planned checks; a source that fails makes its checks `error`, which fails the gate. */
export async function evaluateChecks(planned: PlannedCheck[], options: EvaluateOptions): Promise<GateReport> {
  const now = options.now ?? (() => new Date());
  const checks: CheckResult[] = [];
  const descriptions = new Set<string>();
  for (const item of planned) {
    const source = options.sourceFor(item.source);
    descriptions.add(source.description);
    checks.push(await evaluateCheck(item, source, now()));
  }
  return {
    result: worstVerdict(checks.map((c) => c.verdict)),
    source: [...descriptions].join('; '),
    evaluatedAt: now().toISOString(),
    checks,
  };
}

export async function evaluateCheck(
  item: PlannedCheck,
  source: MetricsSource,
  at: Date,
): Promise<CheckResult> {
  const { check } = item;
  const base = {
    gate: item.gate,
    name: check.name,
    bound: { min: check.min, max: check.max },
    warnBand: check.warn,
    fractionOf: check.fractionOf,
    onNoData: check.onNoData,
    window: item.window,
    query: [item.query, item.burnRate && burnRateQueries(item.burnRate)].filter(Boolean).join('\n'),
    location: check.location,
    evaluatedAt: at.toISOString(),
  };
  const finish = (status: CheckStatus, reason: string, value?: number): CheckResult => ({
    ...base,
    status,
    verdict: verdictOf(status, check.onNoData),
    reason,
    value,
  });
  if (!item.burnRate) return evaluateValue(item, item.query as string, source, at, finish);
  let burn: ReturnType<typeof judgeBurnRate>;
  try {
    burn = judgeBurnRate(await measureBurnRate(item.burnRate, source, at));
  } catch (e: unknown) {
    if (e instanceof QueryRejectedError) return finish('error', e.message);
    if (e instanceof Error) return finish('error', `${e.message}; failing closed`);
    throw e;
  }
  const burnResult = (status: CheckStatus, reason: string, value?: number): CheckResult => ({
    ...finish(status, reason, value),
    burnRate: burn.record,
  });
  if (item.query === undefined) {
    return burnResult(
      burn.status,
      burn.status === 'no-data' ? `no data: ${burn.reason}; ${noDataText(check.onNoData)}` : burn.reason,
    );
  }
  // Both a bound and a burn rate: the worse finding decides, and the reason gives both.
  const value = await evaluateValue(item, item.query, source, at, finish);
  const status = [value.status, burn.status].sort((a, b) => SEVERITY[b] - SEVERITY[a])[0] as CheckStatus;
  return burnResult(status, `${value.reason}; ${burn.reason}`, value.value);
}

const SEVERITY: Record<CheckStatus, number> = { pass: 0, warn: 1, 'no-data': 2, fail: 3, error: 4 };

function noDataText(policy: CheckDefinition['onNoData']): string {
  return {
    fail: 'the check fails',
    pass: 'the check passes (onNoData: pass)',
    inconclusive: 'the check is inconclusive (onNoData: inconclusive)',
  }[policy];
}

async function evaluateValue(
  item: PlannedCheck,
  query: string,
  source: MetricsSource,
  at: Date,
  finish: (status: CheckStatus, reason: string, value?: number) => CheckResult,
): Promise<CheckResult> {
  const { check } = item;
  const bound = { min: check.min, max: check.max };
  try {
    const measured = check.fractionOf
      ? await measureFraction(item, query, source, at, check.fractionOf)
      : single(await source.query(query, at));
    if ('missing' in measured) {
      return finish('no-data', `no data: ${measured.missing}; ${noDataText(check.onNoData)}`);
    }
    const judged = judgeValue(measured.value, bound, check.warn);
    const prefix = check.fractionOf
      ? `${format(measured.value * 100)}% of points ${opText(check.fractionOf.op)} ${format(check.fractionOf.value)}; `
      : '';
    return finish(
      judged.status,
      prefix + (check.fractionOf ? `needs ${formatBand(bound)}` : judged.reason),
      measured.value,
    );
  } catch (e: unknown) {
    if (e instanceof QueryRejectedError) return finish('error', e.message);
    if (e instanceof Error) return finish('error', `${e.message}; failing closed`);
    throw e;
  }
}

type Measured = { value: number } | { missing: string };

function single(samples: Sample[]): Measured {
  if (samples.length === 0)
    return { missing: 'the query returned no series (no traffic, or labels that match nothing)' };
  if (samples.length > 1) {
    throw new QueryRejectedError(
      `the query returned ${samples.length} series where one number is needed: aggregate it, e.g. sum(...) or max(...)`,
    );
  }
  const value = (samples[0] as Sample).value;
  if (!Number.isFinite(value))
    return { missing: `the query returned ${value} (e.g. 0/0 when there were no requests)` };
  return { value };
}

async function measureFraction(
  item: PlannedCheck,
  query: string,
  source: MetricsSource,
  at: Date,
  objective: { op: ComparisonOp; value: number },
): Promise<Measured> {
  const windowMs = parseDuration(item.window) as number;
  const stepSeconds = Math.max(1, Math.round(windowMs / 1000 / 60));
  const series = await source.queryRange(query, {
    start: new Date(at.getTime() - windowMs),
    end: at,
    stepSeconds,
  });
  if (series.length > 1) {
    throw new QueryRejectedError(
      `the query returned ${series.length} series where one is needed: aggregate it, e.g. max(...)`,
    );
  }
  const points = (series[0]?.points ?? []).filter(([, v]) => Number.isFinite(v));
  if (points.length === 0) return { missing: 'the query returned no points in the window' };
  const good = points.filter(([, v]) => compare(v, objective.op, objective.value)).length;
  return { value: good / points.length };
}

function compare(value: number, op: ComparisonOp, bound: number): boolean {
  switch (op) {
    case 'lt':
      return value < bound;
    case 'lte':
      return value <= bound;
    case 'gt':
      return value > bound;
    case 'gte':
      return value >= bound;
  }
}

function opText(op: ComparisonOp): string {
  return { lt: '<', lte: '≤', gt: '>', gte: '≥' }[op];
}
