import { readFileSync } from 'node:fs';
import { burnRateDefinition, planBurnRate } from '../analysis/burn-rate-check.js';
import { preset } from '../analysis/presets.js';
import { formatDuration, parseDuration } from './duration.js';
import { type ConfigProblem, ConfigurationError } from './errors.js';
import type { NoDataPolicy } from './gate.js';
import type { BurnRateDefinition, SourceLocation } from './gate-definition.js';
import { renderSourceQuery } from './query-language.js';
import {
  type CountsConfig,
  type HookConfig,
  type RolloutConfig,
  rolloutSchema,
  SEQUENTIAL_DEFAULTS,
  type SequentialConfig,
} from './rollout.js';
import { schemaProblems } from './schema-problems.js';
import type { SourceConfig } from './source.js';
import type { TemplateValues } from './template.js';
import { parseYamlDocuments } from './yaml-document.js';

export type Track = 'stable' | 'canary';
export type HookPhase = 'pre-rollout' | 'rollout' | 'post-rollout' | 'rollback';

export interface RolloutCheck {
  name: string;
  /** Absent for a pure burn-rate check. */
  query?: string;
  /** The canary's own error-budget burn rate (`{{track}}` = canary); a page rule firing rolls back. */
  burnRate?: BurnRateDefinition;
  min?: number;
  max?: number;
  warn?: { min?: number; max?: number };
  onNoData: NoDataPolicy;
  window: string;
  /** A failure rolls back once it has lasted this long (`for`); 0 rolls back at the first. */
  forMs: number;
  compare?: {
    tolerance: number;
    slack: number;
    test?: 'two-proportion' | 'mann-whitney';
    alpha?: number;
    minSamples?: number;
  };
  location: SourceLocation;
}

export interface HookSpec {
  url: string;
  timeoutMs: number;
  gating: boolean;
  headers: Record<string, string>;
  metadata?: Record<string, string>;
}

/** A rollout config with every default resolved and every query checked: what the engine runs. */
export interface RolloutSpec {
  file: string;
  config: RolloutConfig;
  service: string;
  namespace: string;
  steps: number[];
  intervalMs: number;
  checkIntervalMs: number;
  readyTimeoutMs: number;
  leaseDurationMs: number;
  noDataDeadlineMs: number;
  /** An undecided step extends up to this long, then rolls back. */
  maxStepMs: number;
  /** The metrics backend's scrape interval: no step ends before two scrapes at its weight. */
  scrapeIntervalMs: number;
  /** What to do when the measured traffic is below what the schedule needs. */
  lowTraffic: 'refuse' | 'warn';
  source?: SourceConfig;
  window: string;
  vars: Record<string, string>;
  checks: RolloutCheck[];
  counts?: CountsConfig;
  /** stepAlpha: each step's share of alpha (alpha / steps), so alpha holds for the whole rollout. */
  sequential?: SequentialConfig & { minSoakMs: number; stepAlpha: number };
  hooks: Partial<Record<HookPhase, HookSpec>>;
}

export function loadRolloutFile(file: string, defaults: { namespace?: string } = {}): RolloutSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigurationError([
      { field: 'config', message: `cannot read the rollout config "${file}": check the path` },
    ]);
  }
  return loadRolloutText(text, file, defaults);
}

export function loadRolloutText(
  text: string,
  file: string,
  defaults: { namespace?: string } = {},
): RolloutSpec {
  const documents = parseYamlDocuments(text, file);
  if (documents.length !== 1) {
    throw new ConfigurationError([
      { file, message: `must hold exactly one rollout document (found ${documents.length})` },
    ]);
  }
  const document = documents[0] as (typeof documents)[number];
  const parsed = rolloutSchema.safeParse(document.value, { reportInput: true });
  if (!parsed.success) throw new ConfigurationError(schemaProblems(parsed.error, document));
  const config = parsed.data;
  const analysis = config.analysis ?? { checks: [] };
  const intervalMs = parseDuration(config.interval) as number;
  const presetAnalysis = analysis.preset ? preset(analysis.preset) : undefined;
  const checkIntervalMs = config.checkInterval
    ? (parseDuration(config.checkInterval) as number)
    : // Every 5 s by default: each tick is a chance for the sequential test to stop a bad canary,
      // and with a 15 s scrape a 5 s tick reads each new scrape within 5 s (10 s ticks left a bad
      // canary up to 10 s longer at its weight and measured more false rollbacks: blast-radius bench).
      // A tick costs a few queries.
      Math.max(1_000, Math.min(5_000, intervalMs / 4));
  const scrapeIntervalMs = analysis.scrapeInterval
    ? (parseDuration(analysis.scrapeInterval) as number)
    : // The scrape source reads /metrics at each check; Prometheus's example config scrapes every 15 s.
      analysis.source?.provider === 'scrape'
      ? checkIntervalMs
      : 15_000;
  // rate() needs two samples in its range; four scrape intervals is the usual floor (a missed
  // scrape still leaves enough), so a short interval does not make every check "no data".
  const window =
    analysis.window ??
    (intervalMs >= 4 * scrapeIntervalMs ? config.interval : formatDuration(4 * scrapeIntervalMs));

  const checks: RolloutCheck[] = [
    ...(presetAnalysis?.checks ?? []).map((check) => ({
      ...check,
      onNoData: 'fail' as const,
      window,
      // A p99 early in a step rests on a few slow requests; the next scrape confirms or clears it
      // (two false rollbacks in 1 000 at 5 % weight without: blast-radius bench).
      forMs: scrapeIntervalMs,
      location: { file, line: document.positionOf(['analysis', 'preset'])?.line, field: 'analysis.preset' },
    })),
    ...analysis.checks.map((check, i) => ({
      ...check,
      window: check.window ?? window,
      forMs: check.for ? (parseDuration(check.for) as number) : 0,
      burnRate: check.burnRate ? burnRateDefinition(check.burnRate) : undefined,
      compare: check.compare
        ? {
            tolerance: check.compare.tolerance ?? 1,
            slack: check.compare.slack ?? 0,
            test: check.compare.test,
            alpha: check.compare.alpha,
            minSamples: check.compare.minSamples,
          }
        : undefined,
      location: {
        file,
        line: document.positionOf(['analysis', 'checks', i])?.line,
        field: `analysis.checks[${i}]`,
      },
    })),
  ];
  const counts = analysis.counts ?? presetAnalysis?.counts;
  const sequentialConfig =
    analysis.sequential === false
      ? undefined
      : (analysis.sequential ?? (counts ? { ...SEQUENTIAL_DEFAULTS } : undefined));
  const spec: RolloutSpec = {
    file,
    config,
    service: config.service,
    namespace: config.namespace ?? defaults.namespace ?? 'default',
    steps: config.steps,
    intervalMs,
    checkIntervalMs,
    readyTimeoutMs: parseDuration(config.readyTimeout) as number,
    // Renewal runs on its own timer, so the duration only bounds how long a lost runner's split
    // lasts: short for short intervals, never so short that one slow API call loses it.
    leaseDurationMs: config.leaseDuration
      ? (parseDuration(config.leaseDuration) as number)
      : Math.min(300_000, Math.max(60_000, intervalMs)),
    noDataDeadlineMs: config.noDataDeadline
      ? (parseDuration(config.noDataDeadline) as number)
      : Math.max(intervalMs * 2, 4 * scrapeIntervalMs),
    // Four intervals: with three, 1 in 200 healthy canaries at 100 rps and 0.5 % errors was still
    // undecided at the 5 % step and rolled back (blast-radius bench); the sequential test's accept
    // time has a long right tail (about 2.7x its mean at the 99th percentile, sample-size.ts).
    maxStepMs: config.maxStepDuration ? (parseDuration(config.maxStepDuration) as number) : intervalMs * 4,
    scrapeIntervalMs,
    lowTraffic: analysis.lowTraffic ?? 'refuse',
    source: analysis.source,
    window,
    vars: config.vars ?? {},
    checks,
    counts,
    sequential: sequentialConfig
      ? {
          ...sequentialConfig,
          stepAlpha: sequentialConfig.alpha / config.steps.length,
          // A step is judged on its own weight's data, and a counter moves only at a scrape: two
          // scrapes after the weight change give one whole increase at the new weight.
          minSoakMs: Math.max(
            2 * scrapeIntervalMs,
            sequentialConfig.minSoak
              ? (parseDuration(sequentialConfig.minSoak) as number)
              : Math.min(intervalMs, 20_000),
          ),
        }
      : undefined,
    hooks: Object.fromEntries(
      Object.entries(config.hooks ?? {}).map(([phase, hook]) => [
        phase,
        normalizeHook(hook as HookConfig, phase as HookPhase),
      ]),
    ),
  };
  validateQueries(spec, document.positionOf.bind(document));
  return spec;
}

function normalizeHook(hook: HookConfig, phase: HookPhase): HookSpec {
  const object = typeof hook === 'string' ? { url: hook } : hook;
  return {
    url: object.url,
    timeoutMs: 'timeout' in object && object.timeout ? (parseDuration(object.timeout) as number) : 30_000,
    // A rollback hook only informs: nothing can stop a rollback.
    gating: phase === 'rollback' ? false : 'gating' in object ? (object.gating ?? true) : true,
    headers: ('headers' in object ? object.headers : undefined) ?? {},
    ...('metadata' in object && object.metadata ? { metadata: object.metadata } : {}),
  };
}

/** The template values of one track at one moment of the rollout. */
export function templateValues(
  spec: RolloutSpec,
  track: Track,
  window: string,
  since: string,
): TemplateValues {
  return {
    ...spec.vars,
    service: spec.service,
    namespace: spec.namespace,
    track,
    workload: `${spec.service}-${track === 'stable' ? 'primary' : 'canary'}`,
    window,
    since,
  };
}

/** Renders every query for both tracks now, so a bad template fails before the first write. */
function validateQueries(
  spec: RolloutSpec,
  positionOf: (path: Array<string | number>) => { line: number } | undefined,
): void {
  const problems: ConfigProblem[] = [];
  const tryRender = (query: string, where: Omit<ConfigProblem, 'message'>, window: string) => {
    for (const track of ['stable', 'canary'] as const) {
      try {
        renderSourceQuery(spec.source?.provider, query, templateValues(spec, track, window, window), where);
      } catch (e: unknown) {
        if (!(e instanceof ConfigurationError)) throw e;
        problems.push(...e.problems);
        return;
      }
    }
  };
  for (const check of spec.checks) {
    // A pending failure holds the step, and a hold that outlasts noDataDeadline rolls back as missing data.
    if (check.forMs >= spec.noDataDeadlineMs) {
      problems.push({
        file: spec.file,
        line: check.location.line,
        field: `${check.location.field}.for`,
        message: `must be shorter than noDataDeadline (${formatDuration(spec.noDataDeadlineMs)}): a failure pending for ${formatDuration(check.forMs)} would hold the step past it. Shorten for or raise noDataDeadline`,
      });
    }
    if (check.query !== undefined) {
      tryRender(
        check.query,
        { file: spec.file, line: check.location.line, field: `${check.location.field}.query` },
        check.window,
      );
    }
    if (check.burnRate) {
      try {
        for (const track of ['stable', 'canary'] as const) {
          planBurnRate(
            check.burnRate,
            templateValues(spec, track, check.window, check.window),
            { file: spec.file, line: check.location.line, field: check.location.field },
            spec.source?.provider,
          );
        }
      } catch (e: unknown) {
        if (!(e instanceof ConfigurationError)) throw e;
        problems.push(...e.problems);
      }
    }
  }
  if (spec.counts) {
    for (const key of ['errors', 'requests'] as const) {
      tryRender(
        spec.counts[key],
        {
          file: spec.file,
          line: positionOf(['analysis', 'counts', key])?.line,
          field: `analysis.counts.${key}`,
        },
        spec.window,
      );
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
}
