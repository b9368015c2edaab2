import { planBurnRate } from '../analysis/burn-rate-check.js';
import type { CheckResult } from '../analysis/check-result.js';
import {
  type ComparisonVerdict,
  compareErrorRates,
  compareLatencies,
  compareRelative,
  type TrackCounts,
} from '../analysis/compare.js';
import { canaryDispersion } from '../analysis/dispersion.js';
import { evaluateCheck } from '../analysis/gate.js';
import { sprtSampleSize } from '../analysis/sample-size.js';
import { createSprt, type SprtState, type SprtTick, updateSprt } from '../analysis/sequential.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import type { RolloutCheck, RolloutSpec, Track } from '../config/load-rollout.js';
import { templateValues } from '../config/load-rollout.js';
import { renderSourceQuery } from '../config/query-language.js';
import type { MetricsSource } from '../metrics/source.js';
import { observedShare } from './observed-share.js';
import { measureSpecDispersion, type PrimaryDispersion } from './primary-dispersion.js';

/** What one check found at one tick, with the numbers behind it. */
export interface CheckOutcome {
  name: string;
  /** pass / fail decide; hold waits for data (never passes on it). */
  decision: 'pass' | 'fail' | 'hold';
  canary: CheckResult;
  primaryValue?: number;
  comparison?: { rule: string; verdict: ComparisonVerdict; reason: string; details?: unknown };
  reason: string;
}

export interface TickOutcome {
  at: string;
  /** fail: roll back now; hold: missing data; advance: the evidence is in (SPRT accepted); continue: keep soaking. */
  decision: 'fail' | 'hold' | 'advance' | 'continue';
  reason: string;
  checks: CheckOutcome[];
  sequential?: SprtTick;
  /** How the primary's dispersion was measured for this step (the test divides its llr by the canary's). */
  dispersion?: PrimaryDispersion;
}

/** What the sequential test has seen at the current step against what it needs, for the report. */
export interface StepEvidence {
  /** Canary requests counted since the step's weights were confirmed. */
  requests: number;
  errors: number;
  /** Mean canary requests the test needs to accept a canary at p0 (Wald's average sample number). */
  needed: number;
  p0: number;
  p1: number;
  /** The canary's dispersion factor the test used (1: errors taken as independent). */
  dispersion: number;
  /** Why the dispersion could not be measured, when it could not. */
  dispersionUnmeasured?: string;
}

/** The longest history p0 is lengthened to for bursty errors. */
const PRIMARY_HISTORY_CAP_MS = 60 * 60_000;

/**
 * Evaluates the analysis of one step at one moment: threshold checks on the
 * canary, comparisons against the primary over the same window, and the
 * sequential test on the error counts since the step's weights were
 * confirmed. Each step gets a fresh test (`startStep`): evidence from a lower
 * weight says little about a higher one (a canary that fails only under more
 * load, a cache that only a larger share warms), and carried over it would
 * let every later step advance on the first step's acceptance.
 */
export class AnalysisRun {
  private sprt: SprtState | undefined;
  private stepStartedAt: number;
  /** When each check with a `for` began failing at this step (absent: not failing). */
  private readonly failingSince = new Map<string, number>();
  /** The primary's dispersion, measured once per step (the primary's traffic share moves with the step). */
  private dispersion: PrimaryDispersion | undefined;

  constructor(
    private readonly spec: RolloutSpec,
    private readonly source: MetricsSource,
    private readonly startedAt: number,
  ) {
    this.stepStartedAt = startedAt;
    this.sprt = this.freshTest();
  }

  /** A new step: its weights were confirmed at `now`; the sequential test starts over on its counts. */
  startStep(now: number): void {
    this.stepStartedAt = now;
    this.sprt = this.freshTest();
    this.failingSince.clear();
    this.dispersion = undefined;
  }

  /** Whether the sequential test runs (on counts). */
  get sequential(): boolean {
    return this.sprt !== undefined;
  }

  /** The current step's evidence, once the test has counted anything. */
  evidence(): StepEvidence | undefined {
    const last = this.sprt?.last;
    const sequential = this.spec.sequential;
    if (!last || !sequential) return undefined;
    // The quasi-likelihood llr moves 1/phi as fast, so the test needs phi times the requests.
    const needed = Math.ceil(
      sprtSampleSize(sequential.stepAlpha, sequential.beta, last.p0, last.p1).toAccept * last.dispersion,
    );
    return {
      requests: last.requests,
      errors: last.errors,
      needed,
      p0: last.p0,
      p1: last.p1,
      dispersion: last.dispersion,
      ...(this.dispersion?.unmeasured ? { dispersionUnmeasured: this.dispersion.unmeasured } : {}),
    };
  }

  /**
   * The primary runs the same version before and through the rollout, so its error rate (the
   * baseline p0) is estimated over all of it plus one interval before: a step-long estimate on a
   * few errors would swing p0 and with it the false rollbacks (alpha holds only for a known p0).
   * Bursty errors make it swing phi times more (its variance is phi p0 / n, not p0 / n), and an
   * underestimated p0 both rolls back healthy canaries and leaves them undecided (blast-radius bench,
   * burst 3, 1000 runs: with the dispersion alone, 47 healthy canaries stayed undecided, with p0 at a
   * median 78 % of the truth). phi times the history gives p0 the precision independent errors give
   * it, up to an hour (older errors say less about what the primary shares with the canary now):
   * false rollbacks went from 64 to 44. Independent errors keep today's history.
   */
  private primarySince(now: number): string {
    const history = now - this.startedAt + this.spec.intervalMs;
    const phi = this.dispersion?.phi ?? 1;
    return formatDuration(Math.max(history, Math.min(history * phi, PRIMARY_HISTORY_CAP_MS)));
  }

  private freshTest(): SprtState | undefined {
    const sequential = this.spec.sequential;
    if (!sequential || !this.spec.counts) return undefined;
    return createSprt({
      alpha: sequential.stepAlpha,
      beta: sequential.beta,
      multiplier: sequential.multiplier,
      baseline: sequential.p0 !== undefined ? { kind: 'fixed', p0: sequential.p0 } : { kind: 'primary' },
    });
  }

  async tick(now: number): Promise<TickOutcome> {
    const outcome = await this.decide(now);
    return this.dispersion ? { ...outcome, dispersion: this.dispersion } : outcome;
  }

  private async decide(now: number): Promise<TickOutcome> {
    const at = new Date(now);
    const since = formatDuration(Math.max(1_000, now - this.stepStartedAt));
    const checks: CheckOutcome[] = [];
    for (const check of this.spec.checks)
      checks.push(this.confirmFailure(check, await this.evaluate(check, at, since), now));

    let sequential: SprtTick | undefined;
    let sequentialError: string | undefined;
    if (this.sprt && this.spec.counts) {
      try {
        // First: the primary's history for p0 is lengthened by it.
        this.dispersion ??= await measureSpecDispersion(this.spec, this.source, at);
        const canary = await this.counts('canary', at, since);
        const primary =
          this.spec.sequential?.p0 === undefined
            ? await this.counts('stable', at, this.primarySince(now))
            : undefined;
        if (canary && (primary || this.spec.sequential?.p0 !== undefined)) {
          const dispersion = canaryDispersion(
            this.dispersion?.phi ?? 1,
            canary.requests / ((parseDuration(since) as number) / 1000) / observedShare(this.spec, since),
            this.dispersion?.primaryRate ?? 0,
          );
          this.sprt = updateSprt(this.sprt, { canary, primary, dispersion });
          sequential = this.sprt.last;
        }
      } catch (e: unknown) {
        sequentialError = e instanceof Error ? e.message : String(e);
      }
    }

    const failed = checks.filter((c) => c.decision === 'fail');
    if (failed.length > 0) {
      return {
        at: at.toISOString(),
        decision: 'fail',
        reason: failed.map((c) => `${c.name}: ${c.reason}`).join('; '),
        checks,
        sequential,
      };
    }
    if (sequentialError) {
      return {
        at: at.toISOString(),
        decision: 'fail',
        reason: `sequential test: ${sequentialError}; failing closed`,
        checks,
        sequential,
      };
    }
    if (sequential?.decision === 'reject-h0') {
      return {
        at: at.toISOString(),
        decision: 'fail',
        reason: `sequential test: canary error rate ${sequential.errors}/${sequential.requests} is above ${(sequential.p1 * 100).toPrecision(3)} % with log-likelihood ratio ${sequential.llr.toFixed(2)} ≥ ${sequential.upper.toFixed(2)}${dispersed(sequential)}`,
        checks,
        sequential,
      };
    }
    const held = checks.filter((c) => c.decision === 'hold');
    if (held.length > 0) {
      return {
        at: at.toISOString(),
        decision: 'hold',
        reason: held.map((c) => `${c.name}: ${c.reason}`).join('; '),
        checks,
        sequential,
      };
    }
    if (sequential?.decision === 'accept-h0') {
      return {
        at: at.toISOString(),
        decision: 'advance',
        reason: `sequential test: canary error rate is at most ${(sequential.p0 * 100).toPrecision(3)} % (log-likelihood ratio ${sequential.llr.toFixed(2)} ≤ ${sequential.lower.toFixed(2)}${dispersed(sequential)})`,
        checks,
        sequential,
      };
    }
    if (this.sprt && !sequential) {
      return {
        at: at.toISOString(),
        decision: 'hold',
        reason: 'sequential test: no request counts yet',
        checks,
      };
    }
    return { at: at.toISOString(), decision: 'continue', reason: 'all checks pass', checks, sequential };
  }

  /**
   * A check with `for` fails only once it has failed for that long; until then it holds, as a
   * Prometheus alerting rule is pending before it fires. Any other result ends the failing spell.
   */
  private confirmFailure(check: RolloutCheck, outcome: CheckOutcome, now: number): CheckOutcome {
    if (check.forMs <= 0) return outcome;
    if (outcome.decision !== 'fail') {
      this.failingSince.delete(check.name);
      return outcome;
    }
    const since = this.failingSince.get(check.name) ?? now;
    this.failingSince.set(check.name, since);
    if (now - since >= check.forMs)
      return { ...outcome, reason: `${outcome.reason} (failing for ${formatDuration(now - since)})` };
    return {
      ...outcome,
      decision: 'hold',
      reason: `${outcome.reason}: pending, fails if it still does after ${formatDuration(check.forMs)} (for)`,
    };
  }

  private render(query: string, track: Track, window: string, since: string): string {
    return renderSourceQuery(
      this.spec.source?.provider,
      query,
      templateValues(this.spec, track, window, since),
    );
  }

  private async counts(track: Track, at: Date, since: string): Promise<TrackCounts | undefined> {
    const counts = this.spec.counts as NonNullable<RolloutSpec['counts']>;
    const read = async (query: string) => {
      const samples = await this.source.query(this.render(query, track, this.spec.window, since), at);
      if (samples.length === 0) return undefined;
      if (samples.length > 1)
        throw new Error(
          `the counts query for ${track} returned ${samples.length} series: aggregate it with sum()`,
        );
      const value = (samples[0] as { value: number }).value;
      return Number.isFinite(value) ? value : undefined;
    };
    const requests = await read(counts.requests);
    if (requests === undefined) return undefined;
    const errors = (await read(counts.errors)) ?? 0;
    const share = observedShare(this.spec, since);
    // increase() extrapolates, so counts come back fractional; the tests need whole events.
    return {
      // total - non-errors can come out a hair below 0 from extrapolation.
      errors: Math.round(Math.max(0, Math.min(errors, requests)) * share),
      requests: Math.round(requests * share),
    };
  }

  private async evaluate(check: RolloutCheck, at: Date, since: string): Promise<CheckOutcome> {
    const planned = (track: Track) => ({
      gate: 'analysis',
      check: { ...check, location: check.location },
      query: check.query === undefined ? undefined : this.render(check.query, track, check.window, since),
      burnRate: check.burnRate
        ? planBurnRate(
            check.burnRate,
            templateValues(this.spec, track, check.window, since),
            { field: check.location.field },
            this.spec.source?.provider,
          )
        : undefined,
      window: check.window,
      source: { provider: 'prometheus' as const, address: 'http://unused' },
    });
    const canary = await evaluateCheck(planned('canary'), this.source, at);
    const hasBounds = check.min !== undefined || check.max !== undefined;
    const outcome = (
      decision: CheckOutcome['decision'],
      reason: string,
      extra: Partial<CheckOutcome> = {},
    ): CheckOutcome => ({
      name: check.name,
      decision,
      canary,
      reason,
      ...extra,
    });
    if (canary.status === 'error') return outcome('fail', canary.reason);
    if (canary.status === 'no-data') {
      if (check.onNoData === 'pass') return outcome('pass', canary.reason);
      return outcome('hold', canary.reason);
    }
    if ((hasBounds || check.burnRate) && canary.status === 'fail') return outcome('fail', canary.reason);
    // A burn-rate warning (only a ticket rule fires) is recorded but does not stop the rollout.
    if (!check.compare || check.query === undefined) return outcome('pass', canary.reason);

    const primary = await evaluateCheck(planned('stable'), this.source, at);
    if (primary.status === 'error') return outcome('fail', `primary: ${primary.reason}`);
    if (primary.value === undefined) return outcome('hold', `primary: ${primary.reason}`);
    const relative = compareRelative({
      canary: canary.value as number,
      primary: primary.value,
      tolerance: check.compare.tolerance,
      slack: check.compare.slack,
    });
    if (relative.verdict === 'fail') {
      return outcome('fail', relative.reason, {
        primaryValue: primary.value,
        comparison: { rule: 'relative', verdict: 'fail', reason: relative.reason, details: relative },
      });
    }
    if (check.compare.test === 'two-proportion') {
      const [canaryCounts, primaryCounts] = [
        await this.counts('canary', at, check.window),
        await this.counts('stable', at, check.window),
      ];
      if (!canaryCounts || !primaryCounts)
        return outcome('hold', 'no request counts yet for the two-proportion test', {
          primaryValue: primary.value,
        });
      const test = compareErrorRates({
        canary: canaryCounts,
        primary: primaryCounts,
        alpha: check.compare.alpha,
        minRequests: check.compare.minSamples,
      });
      return this.fromVerdict(outcome, test.verdict, test.reason, primary.value, test);
    }
    if (check.compare.test === 'mann-whitney') {
      const windowMs = parseDuration(check.window) as number;
      const range = {
        start: new Date(at.getTime() - windowMs),
        end: at,
        stepSeconds: Math.max(1, Math.round(windowMs / 60_000)),
      };
      const points = async (track: Track) =>
        (await this.source.queryRange(this.render(check.query as string, track, check.window, since), range))
          .flatMap((s) => s.points.map(([, v]) => v))
          .filter(Number.isFinite);
      const test = compareLatencies({
        canary: await points('canary'),
        primary: await points('stable'),
        alpha: check.compare.alpha,
        minSamples: check.compare.minSamples,
      });
      return this.fromVerdict(outcome, test.verdict, test.reason, primary.value, test);
    }
    return outcome('pass', relative.reason, {
      primaryValue: primary.value,
      comparison: { rule: 'relative', verdict: 'pass', reason: relative.reason, details: relative },
    });
  }

  private fromVerdict(
    outcome: (
      decision: CheckOutcome['decision'],
      reason: string,
      extra?: Partial<CheckOutcome>,
    ) => CheckOutcome,
    verdict: ComparisonVerdict,
    reason: string,
    primaryValue: number,
    details: { rule: string },
  ): CheckOutcome {
    // Too few samples is "inconclusive": hold for more data, never pass on it.
    const decision = verdict === 'inconclusive' ? 'hold' : verdict;
    return outcome(decision, reason, {
      primaryValue,
      comparison: { rule: details.rule, verdict, reason, details },
    });
  }
}

/** How the reason says the llr was discounted for bursty errors; nothing for independent ones. */
function dispersed(tick: SprtTick): string {
  return tick.dispersion > 1
    ? `, after dividing by ${tick.dispersion.toFixed(2)} for errors that come in bursts`
    : '';
}
