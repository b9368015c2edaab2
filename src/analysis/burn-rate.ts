import type { TrackCounts } from './compare.js';

/**
 * Error-budget burn rate and the multi-window, multi-burn-rate alerting rules
 * of the Google SRE Workbook, chapter "Alerting on SLOs" (Table 5-8): a rule
 * fires only when the burn rate over both its long and its short window
 * exceeds the factor. The long window gives significance, the short one makes
 * the rule stop firing soon after the errors stop.
 */

export type BurnRateSeverity = 'page' | 'ticket';

export interface BurnRateRule {
  severity: BurnRateSeverity;
  /** Burn rate both windows must exceed. */
  factor: number;
  longWindowSeconds: number;
  shortWindowSeconds: number;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** SRE Workbook Table 5-8, pages: 2 % of a 30-day budget in 1 h, 5 % in 6 h. */
export const PAGE_BURN_RATE_RULES: readonly BurnRateRule[] = [
  { severity: 'page', factor: 14.4, longWindowSeconds: HOUR, shortWindowSeconds: 5 * MINUTE },
  { severity: 'page', factor: 6, longWindowSeconds: 6 * HOUR, shortWindowSeconds: 30 * MINUTE },
];

/** SRE Workbook Table 5-8, tickets: 10 % of a 30-day budget in 1 d or in 3 d. */
export const TICKET_BURN_RATE_RULES: readonly BurnRateRule[] = [
  { severity: 'ticket', factor: 3, longWindowSeconds: DAY, shortWindowSeconds: 2 * HOUR },
  { severity: 'ticket', factor: 1, longWindowSeconds: 3 * DAY, shortWindowSeconds: 6 * HOUR },
];

/** burn rate = error ratio / (1 - SLO target); 1 spends the budget exactly over the SLO period. */
export function burnRate(errorRatio: number, sloTarget: number): number {
  checkTarget(sloTarget);
  return errorRatio / (1 - sloTarget);
}

export interface WindowBurn {
  seconds: number;
  errors: number;
  requests: number;
  /** NaN when the window has no requests. */
  errorRatio: number;
  burnRate: number;
  exceeds: boolean;
}

export interface BurnRateRuleResult extends BurnRateRule {
  long: WindowBurn;
  short: WindowBurn;
  fires: boolean;
  /** A window without requests: the rule cannot fire, and the report says why. */
  noData: boolean;
}

export interface BurnRateResult {
  sloTarget: number;
  /** 1 - sloTarget. */
  errorBudget: number;
  rules: BurnRateRuleResult[];
  fires: boolean;
  /** The most severe firing rule's severity, or undefined. */
  severity?: BurnRateSeverity;
}

/**
 * Evaluates the rules against counts per window length. `countsFor(seconds)`
 * returns the errors and requests over the last `seconds` (e.g. from
 * `increase(...[1h])`), or undefined when there is no data.
 */
export function evaluateBurnRate(
  sloTarget: number,
  countsFor: (windowSeconds: number) => TrackCounts | undefined,
  rules: readonly BurnRateRule[] = PAGE_BURN_RATE_RULES,
): BurnRateResult {
  checkTarget(sloTarget);
  const results = rules.map((rule): BurnRateRuleResult => {
    if (
      !(rule.factor > 0 && rule.shortWindowSeconds > 0 && rule.longWindowSeconds > rule.shortWindowSeconds)
    ) {
      throw new RangeError(
        `a burn-rate rule needs factor > 0 and 0 < short window < long window (got ${JSON.stringify(rule)})`,
      );
    }
    const long = windowBurn(
      rule.longWindowSeconds,
      countsFor(rule.longWindowSeconds),
      sloTarget,
      rule.factor,
    );
    const short = windowBurn(
      rule.shortWindowSeconds,
      countsFor(rule.shortWindowSeconds),
      sloTarget,
      rule.factor,
    );
    const noData = long.requests <= 0 || short.requests <= 0;
    return { ...rule, long, short, fires: long.exceeds && short.exceeds, noData };
  });
  const firing = results.filter((r) => r.fires);
  const severity = firing.some((r) => r.severity === 'page')
    ? 'page'
    : firing.length > 0
      ? 'ticket'
      : undefined;
  return {
    sloTarget,
    errorBudget: 1 - sloTarget,
    rules: results,
    fires: firing.length > 0,
    ...(severity ? { severity } : {}),
  };
}

function windowBurn(
  seconds: number,
  counts: TrackCounts | undefined,
  sloTarget: number,
  factor: number,
): WindowBurn {
  const errors = counts?.errors ?? 0;
  const requests = counts?.requests ?? 0;
  const errorRatio = requests > 0 ? errors / requests : Number.NaN;
  const rate = burnRate(errorRatio, sloTarget);
  // NaN > factor is false: a window without requests never fires.
  return { seconds, errors, requests, errorRatio, burnRate: rate, exceeds: rate > factor };
}

function checkTarget(sloTarget: number): void {
  if (!(sloTarget > 0 && sloTarget < 1)) {
    throw new RangeError(`the SLO target must be a ratio between 0 and 1, e.g. 0.999 (got ${sloTarget})`);
  }
}
