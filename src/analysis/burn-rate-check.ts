import { formatDuration } from '../config/duration.js';
import type { ConfigProblem } from '../config/errors.js';
import type { BurnRateConfig } from '../config/gate.js';
import type { BurnRateDefinition } from '../config/gate-definition.js';
import { renderSourceQuery } from '../config/query-language.js';
import type { SourceConfig } from '../config/source.js';
import type { TemplateValues } from '../config/template.js';
import { type MetricsSource, QueryRejectedError, type Sample } from '../metrics/source.js';
import {
  type BurnRateResult,
  type BurnRateRule,
  type BurnRateSeverity,
  evaluateBurnRate,
  PAGE_BURN_RATE_RULES,
  TICKET_BURN_RATE_RULES,
} from './burn-rate.js';
import type { CheckStatus } from './check-result.js';
import { format } from './threshold.js';

/** `page` judges by the page rules; `ticket` adds the slower ticket rules, which only warn. */
export function burnRateRulesFor(severity: BurnRateSeverity): readonly BurnRateRule[] {
  return severity === 'ticket' ? [...PAGE_BURN_RATE_RULES, ...TICKET_BURN_RATE_RULES] : PAGE_BURN_RATE_RULES;
}

/** A check's `burnRate:` block with its severity turned into rules. */
export function burnRateDefinition(config: BurnRateConfig): BurnRateDefinition {
  return {
    target: config.target,
    errors: config.errors,
    total: config.total,
    rules: burnRateRulesFor(config.severity),
  };
}

/** The errors and total queries of one window, rendered. */
export interface BurnRateWindowQueries {
  seconds: number;
  window: string;
  errors: string;
  total: string;
}

/** A burn-rate check ready to run: every query of every window rendered and checked. */
export interface PlannedBurnRate {
  target: number;
  rules: readonly BurnRateRule[];
  windows: BurnRateWindowQueries[];
}

/**
 * Renders both queries for every window the rules use, so a bad template
 * fails at planning, before anything is sent. `where` names the check's
 * field (e.g. `spec.checks[0]`).
 */
export function planBurnRate(
  definition: BurnRateDefinition,
  values: TemplateValues,
  where: Omit<ConfigProblem, 'message'> & { field: string },
  provider?: SourceConfig['provider'],
): PlannedBurnRate {
  const seconds = [
    ...new Set(definition.rules.flatMap((r) => [r.shortWindowSeconds, r.longWindowSeconds])),
  ].sort((a, b) => a - b);
  const windows = seconds.map((s) => {
    const window = formatDuration(s * 1000);
    const render = (key: 'errors' | 'total') =>
      renderSourceQuery(
        provider,
        definition[key],
        { ...values, window },
        { ...where, field: `${where.field}.burnRate.${key}` },
      );
    return { seconds: s, window, errors: render('errors'), total: render('total') };
  });
  return { target: definition.target, rules: definition.rules, windows };
}

/** Every query a burn-rate check sends, one per line, for the report. */
export function burnRateQueries(planned: PlannedBurnRate): string {
  return planned.windows
    .flatMap((w) => [`# errors over ${w.window}`, w.errors, `# total over ${w.window}`, w.total])
    .join('\n');
}

/** One window's burn rate as the report records it; null when the window had no events. */
export interface BurnWindowRecord {
  window: string;
  errors: number;
  total: number;
  burnRate: number | null;
}

/** What a burn-rate check recorded: every rule with both windows, its factor and whether it fired. */
export interface BurnRateRecord {
  target: number;
  errorBudget: number;
  rules: Array<{
    severity: BurnRateSeverity;
    factor: number;
    long: BurnWindowRecord;
    short: BurnWindowRecord;
    fired: boolean;
    noData: boolean;
  }>;
}

/** Reads the counts of every window at `at`, then applies the rules. */
export async function measureBurnRate(
  planned: PlannedBurnRate,
  source: MetricsSource,
  at: Date,
): Promise<BurnRateResult> {
  const counts = new Map<number, { errors: number; requests: number } | undefined>();
  for (const w of planned.windows) {
    const total = one(await source.query(w.total, at), `total over ${w.window}`);
    if (total === undefined || total <= 0) {
      counts.set(w.seconds, undefined);
      continue;
    }
    // A service with no failures often has no failure series at all: no series means no errors.
    const errors = one(await source.query(w.errors, at), `errors over ${w.window}`) ?? 0;
    counts.set(w.seconds, { errors: Math.min(errors, total), requests: total });
  }
  return evaluateBurnRate(planned.target, (seconds) => counts.get(seconds), planned.rules);
}

function one(samples: Sample[], what: string): number | undefined {
  if (samples.length > 1) {
    throw new QueryRejectedError(
      `the burn-rate query for ${what} returned ${samples.length} series where one number is needed: aggregate it with sum(...)`,
    );
  }
  const value = samples[0]?.value;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/**
 * A page rule firing fails; only ticket rules firing warns; no rule with
 * data anywhere is no data (the check's onNoData decides). A rule whose
 * windows lack data cannot fire, and the report says so.
 */
export function judgeBurnRate(result: BurnRateResult): {
  status: CheckStatus;
  reason: string;
  record: BurnRateRecord;
} {
  const record: BurnRateRecord = {
    target: result.sloTarget,
    errorBudget: result.errorBudget,
    rules: result.rules.map((r) => ({
      severity: r.severity,
      factor: r.factor,
      long: windowRecord(r.long),
      short: windowRecord(r.short),
      fired: r.fires,
      noData: r.noData,
    })),
  };
  const describe = (r: BurnRateRecord['rules'][number], verb: string) =>
    `burn rate ${rate(r.long.burnRate)} over ${r.long.window} and ${rate(r.short.burnRate)} over ${r.short.window} ${verb} ${format(r.factor)}x (${r.severity})`;
  const fired = record.rules.filter((r) => r.fired);
  if (fired.length > 0) {
    return {
      status: result.severity === 'page' ? 'fail' : 'warn',
      reason: fired.map((r) => describe(r, '>')).join('; '),
      record,
    };
  }
  const withData = record.rules.filter((r) => !r.noData);
  if (withData.length === 0) {
    return {
      status: 'no-data',
      reason: `no events in any burn-rate window (${[...new Set(record.rules.flatMap((r) => [r.short.window, r.long.window]))].join(', ')})`,
      record,
    };
  }
  const missing = record.rules.filter((r) => r.noData);
  return {
    status: 'pass',
    reason: `no burn-rate rule fires against SLO ${format(result.sloTarget)}: ${withData.map((r) => describe(r, 'not both >')).join('; ')}${missing.length > 0 ? `; no data for ${missing.map((r) => `${r.long.window}/${r.short.window}`).join(', ')}` : ''}`,
    record,
  };
}

function windowRecord(w: BurnRateResult['rules'][number]['long']): BurnWindowRecord {
  return {
    window: formatDuration(w.seconds * 1000),
    errors: w.errors,
    total: w.requests,
    burnRate: Number.isFinite(w.burnRate) ? w.burnRate : null,
  };
}

function rate(value: number | null): string {
  return value === null ? 'n/a' : `${Number(value.toPrecision(3))}x`;
}
