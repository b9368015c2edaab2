import type { HookPhase, RolloutSpec } from '../config/load-rollout.js';
import { describeApiError } from '../kube/api-status.js';
import { LeaseLostError } from '../kube/lease.js';
import { withoutRequestScope, withRequestScope } from '../kube/request-scope.js';
import { WaitStoppedError } from '../kube/wait.js';
import { ALL_PRIMARY, type TrafficRouter, type Weights } from '../mesh/router.js';
import type { MetricsSource } from '../metrics/source.js';
import { AnalysisRun, type TickOutcome } from './analysis-tick.js';
import { callHook, type HookCaller } from './hooks.js';
import { type Every, guardOf, realEvery } from './lease-guard.js';
import type { RolloutOutcome, RolloutReport, StepRecord } from './report.js';
import { describeWeights, restoreTraffic } from './restore.js';
import {
  CANCELLED_CLEANUP_BUDGET_MS,
  CLEANUP_BUDGET_MS,
  cleanupBudget,
  retryCleanup,
} from './retry-policy.js';
import { AmbientModeError, checkTraffic, describeTraffic, tooLittleTraffic } from './traffic-check.js';
import type { RolloutLock, Workloads } from './workloads.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A repeating timer on this clock (the Lease renewal); without one, real time is used. */
  every?: Every;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    }),
  every: realEvery,
};

export interface RolloutDeps {
  spec: RolloutSpec;
  router: TrafficRouter;
  workloads: Workloads;
  metrics: MetricsSource;
  lock: RolloutLock;
  clock?: Clock;
  hooks?: HookCaller;
  /** Aborted on cancellation (SIGINT from the runner): the rollout restores 100 % primary and stops. */
  signal?: AbortSignal;
  /** Resume a rollout an earlier run left unfinished, instead of restarting it. */
  resume?: boolean;
  /** Called once this run holds the lock: from then on its post step has something to undo. */
  onLockAcquired?: () => void;
  /** Live progress for logs and the playground. */
  onEvent?: (event: { at: string; message: string }) => void;
}

class RolloutAbort extends Error {
  constructor(
    readonly outcome: RolloutOutcome,
    message: string,
    readonly stepResult: StepRecord['result'],
    /** This run no longer holds the Lease: it must write nothing more. */
    readonly lostLease = false,
  ) {
    super(message);
  }
}

/** A write of the forward path that failed, named for the report ("could not set the canary weight to 25 %"). */
class RolloutWriteError extends Error {
  constructor(what: string, cause: unknown) {
    super(`could not ${what}: ${describeApiError(cause)}`);
  }
}

/**
 * The canary state machine. Every exit ends promoted, or at 100 % primary
 * with the canary scaled to zero, and the report says why.
 */
export async function runRollout(deps: RolloutDeps): Promise<RolloutReport> {
  const { spec, router, workloads, lock } = deps;
  const clock = deps.clock ?? realClock;
  const hooks = deps.hooks ?? callHook;
  const now = () => clock.now();
  const iso = () => new Date(now()).toISOString();
  const report: RolloutReport = {
    service: spec.service,
    namespace: spec.namespace,
    revision: workloads.revision,
    router: router.provider,
    startedAt: iso(),
    steps: [],
    hooks: [],
    decisions: [],
  };
  const decide = (action: string, reason: string) => {
    report.decisions.push({ at: iso(), action, reason });
    deps.onEvent?.({ at: iso(), message: `${action}: ${reason}` });
  };
  let guard: ReturnType<typeof guardOf>;
  const lostAbort = (reason: unknown) =>
    new RolloutAbort(
      'failed',
      `this run lost the rollout lock and stopped without writing anything more: ${reason instanceof Error ? reason.message : String(reason)}`,
      'error',
      true,
    );
  const checkCancelled = () => {
    if (guard?.lost.aborted) throw lostAbort(guard.lost.reason);
    if (deps.signal?.aborted) throw new RolloutAbort('failed', 'the job was cancelled', 'cancelled');
  };
  // Cancelled or lost Lease: stop waiting at once (the readiness wait, a route's status, a hook).
  const stop = new AbortController();
  const onStop = () => stop.abort();
  deps.signal?.addEventListener('abort', onStop, { once: true });
  if (deps.signal?.aborted) stop.abort();
  const untilStopped = async <T>(work: Promise<T>): Promise<T> => {
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => {
        try {
          checkCancelled();
        } catch (e: unknown) {
          reject(e);
        }
      };
      stop.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, stopped]);
    } finally {
      if (onAbort) stop.signal.removeEventListener('abort', onAbort);
    }
  };
  /** Every forward write: only while this run holds the Lease, cut short by a cancel, named when it fails. */
  const write = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    checkCancelled();
    try {
      await guard?.check(what);
    } catch (e: unknown) {
      if (e instanceof LeaseLostError) throw lostAbort(e);
      throw new RolloutWriteError(`check the rollout lock before writing (${what})`, e);
    }
    try {
      return await untilStopped(work());
    } catch (e: unknown) {
      if (e instanceof RolloutAbort || e instanceof RolloutWriteError) throw e;
      checkCancelled();
      if (e instanceof LeaseLostError) throw lostAbort(e);
      throw new RolloutWriteError(what, e);
    }
  };
  const runHook = async (phase: HookPhase, extra: object = {}) => {
    const hook = spec.hooks[phase];
    if (!hook) return;
    // A hook may take up to its timeout (30 s by default) but the runner kills the step 7.5 s after
    // SIGINT, so a cancellation must cut a gating call short; the rollback hook still runs after it.
    const cancellable = phase === 'pre-rollout' || phase === 'rollout';
    const result = await hooks(
      phase,
      hook,
      { service: spec.service, namespace: spec.namespace, revision: workloads.revision, ...extra },
      cancellable ? deps.signal : undefined,
    );
    report.hooks.push(result);
    decide(`hook ${phase}`, `${result.url} ${result.reason}`);
    if (cancellable) checkCancelled();
    if (!result.ok && result.gating)
      throw new RolloutAbort('rolled-back', `the ${phase} hook ${result.url} ${result.reason}`, 'failed');
  };

  // Validation reads only: nothing is written before every check has passed.
  await router.validate();
  await workloads.validate();
  let traffic: Awaited<ReturnType<typeof checkTraffic>>;
  try {
    traffic = await checkTraffic(spec, deps.metrics, clock.now());
  } catch (e: unknown) {
    if (!(e instanceof AmbientModeError)) throw e;
    report.outcome = 'failed';
    report.reason = `not started: ${e.message}`;
    report.endedAt = iso();
    decide('not started', report.reason);
    return report;
  }
  if (traffic) {
    report.minimumTraffic = traffic;
    decide('traffic', describeTraffic(traffic, spec));
    if (tooLittleTraffic(traffic) && spec.lowTraffic === 'refuse') {
      report.outcome = 'failed';
      report.reason = `not started: the service has too little traffic for this schedule to decide (${describeTraffic(traffic, spec)}). Raise the first step's weight, lengthen interval or maxStepDuration, send load with a rollout hook (a load generator), or set analysis.lowTraffic: warn`;
      report.endedAt = iso();
      decide('not started', report.reason);
      return report;
    }
  }

  let acquired: Awaited<ReturnType<RolloutLock['acquire']>>;
  try {
    acquired = await withRequestScope(deps.signal ? { signal: deps.signal } : {}, () => lock.acquire());
  } catch (e: unknown) {
    report.outcome = 'failed';
    report.reason = deps.signal?.aborted
      ? 'the job was cancelled while waiting for the rollout lock; nothing was written'
      : describeApiError(e);
    report.endedAt = iso();
    decide('not started', report.reason);
    return report;
  }
  deps.onLockAcquired?.();
  guard = guardOf(lock, clock, (message) => decide('lease', message));
  guard?.lost.addEventListener('abort', onStop, { once: true });
  guard?.start();
  let firstStep = 0;
  const previous = acquired.previous;
  if (previous?.phase && !['promoted', 'rolled-back', 'failed'].includes(previous.phase)) {
    if (
      deps.resume &&
      previous.revision === workloads.revision &&
      previous.step !== undefined &&
      previous.step >= 0
    ) {
      firstStep = previous.step;
      decide(
        'resume',
        `run ${previous.holder} stopped at step ${previous.step + 1} of revision ${previous.revision}; resuming from there`,
      );
    } else {
      decide(
        'clean up',
        `run ${previous.holder} left a rollout of ${previous.revision ?? 'an unknown revision'} unfinished (phase ${previous.phase}); restoring 100 % primary before starting`,
      );
      await write('reset the route to 100 % primary', () => router.reset());
      await write('scale the canary to 0', () => workloads.scaleDownCanary());
    }
  }

  let current: Weights = ALL_PRIMARY;
  let promoting = false;
  let lostLease = false;
  // Bookkeeping on the Lease: a 500 on it must not end a healthy rollout, a lost Lease must.
  const record = (phase: string, step: number) =>
    write(`record the rollout state (${phase})`, async () => {
      const recorded = await retryCleanup(
        `recording the rollout state (${phase})`,
        () =>
          lock.record({
            phase,
            step,
            weights: { stable: current.primary, canary: current.canary },
            revision: workloads.revision,
            startedAt: report.startedAt,
          }),
        cleanupBudget(now, (ms) => clock.sleep(ms), 15_000),
      );
      if (!recorded.ok) throw recorded.error;
    });

  try {
    await withRequestScope({ signal: stop.signal }, forward);
  } catch (e: unknown) {
    const abort = e instanceof RolloutAbort ? e : undefined;
    report.outcome = abort?.outcome ?? 'failed';
    report.reason = abort?.message ?? describeApiError(e);
    lostLease = abort?.lostLease ?? false;
    const last = report.steps.at(-1);
    if (last && !last.result) {
      last.result = abort?.stepResult ?? 'error';
      last.endedAt = iso();
    }
    if (lostLease) {
      // Another run (or the janitor) owns these objects now: a rollback would fight it.
      decide('stop', report.reason);
      report.serving = promoting ? 'unknown' : current.canary === 0 ? 'previous' : 'split';
    } else {
      decide('roll back', report.reason);
      await withoutRequestScope(() => rollBack());
    }
  } finally {
    guard?.stop();
    deps.signal?.removeEventListener('abort', onStop);
    report.finalWeights = current;
    report.endedAt = iso();
    if (!lostLease) {
      const released = await withoutRequestScope(() =>
        retryCleanup(
          'releasing the rollout lock',
          () => lock.release(),
          cleanupBudget(now, (ms) => clock.sleep(ms), deps.signal?.aborted ? 2_000 : CLEANUP_BUDGET_MS),
        ),
      );
      if (!released.ok) decide('release lock', released.reason);
    }
  }
  return report;

  async function forward(): Promise<void> {
    checkCancelled();
    await runHook('pre-rollout');
    await record('progressing', -1);
    if (await write(`create ${spec.service}-primary`, () => workloads.ensurePrimary()))
      decide('bootstrap', `created ${spec.service}-primary from the current ${spec.service} Deployment`);
    await write('set up the route', () => router.ensure());
    checkCancelled();
    decide('deploy canary', `${spec.service}-canary at ${workloads.revision}`);
    await write(`deploy ${spec.service}-canary and wait until it is ready`, () => workloads.deployCanary());

    const metricsStart = clock.now();
    const analysis = new AnalysisRun(spec, deps.metrics, metricsStart);
    for (let index = firstStep; index < spec.steps.length; index++) {
      checkCancelled();
      const canaryWeight = spec.steps[index] as number;
      // Pods first, then traffic: the canary is sized for the step before its weight moves there.
      const sizeCanary = workloads.sizeCanary?.bind(workloads);
      if (sizeCanary) {
        const replicas = await write(`size ${spec.service}-canary for ${canaryWeight} %`, () =>
          sizeCanary(canaryWeight),
        );
        decide('size canary', `${spec.service}-canary at ${replicas} replica(s) for ${canaryWeight} %`);
      }
      current = await write(`set the canary weight to ${canaryWeight} %`, () =>
        router.setWeights({ primary: 100 - canaryWeight, canary: canaryWeight }),
      );
      // The router returns once the route is reconciled: this step's evidence starts now.
      analysis.startStep(clock.now());
      const step: StepRecord = { index, weights: current, startedAt: iso(), ticks: [] };
      report.steps.push(step);
      await record('progressing', index);
      decide(`step ${index + 1}/${spec.steps.length}`, `canary at ${current.canary} %`);
      await runHook('rollout', { step: index + 1, weights: current });
      await soak(step, analysis);
    }

    decide('promote', `every step passed; moving ${spec.service}-primary to ${workloads.revision}`);
    await record('promoting', spec.steps.length);
    promoting = true;
    await write(`move ${spec.service}-primary to ${workloads.revision} and wait until it is ready`, () =>
      workloads.promotePrimary(),
    );
    promoting = false;
    current = await write('reset the route to 100 % primary', () => router.reset());
    await write('scale the canary to 0', () => workloads.scaleDownCanary());
    report.outcome = 'promoted';
    report.reason = `promoted after ${spec.steps.length} step(s)`;
    report.serving = 'new';
    await record('promoted', spec.steps.length);
    await runHook('post-rollout', { outcome: 'promoted' }).catch((e: unknown) =>
      decide('post-rollout hook', String(e)),
    );
  }

  /**
   * 100 % primary on the previous spec and the canary at 0, within a time budget: the whole
   * rollback must fit the runner's cancel window (SIGINT, then SIGTERM 7.5 s later) when cancelled,
   * and a gateway controller that stopped answering must not hold it for minutes. Requests run
   * in a scope of their own with that deadline (request-scope.ts), so no wait outlives it.
   */
  async function rollBack(): Promise<void> {
    const budgetMs = deps.signal?.aborted ? CANCELLED_CLEANUP_BUDGET_MS : CLEANUP_BUDGET_MS;
    const budget = cleanupBudget(now, (ms) => clock.sleep(ms), budgetMs);
    const scope = { deadlineAt: budget.deadlineAt, now, what: 'the rollback' };
    let primaryReverted = !promoting;
    // The holder is checked before each rollback write too (restore.ts): once another run or the
    // janitor has taken the Lease, these objects are theirs.
    const holdsLease = async (what: string) => {
      await guard?.check(what);
    };
    const stopOnLostLease = (lost: LeaseLostError, serving: RolloutReport['serving'] = 'unknown') => {
      lostLease = true;
      report.outcome = 'failed';
      report.reason = `${report.reason}; this run lost the rollout lock during the rollback and stopped without writing anything more: ${lost.message}`;
      report.serving = serving;
      decide('stop', lost.message);
    };
    if (promoting && workloads.revertPrimary) {
      // The canary still serves its share while the primary goes back to the old spec; half the
      // budget at most, so that resetting the route still fits.
      const revertPrimary = workloads.revertPrimary.bind(workloads);
      const revert = async () => {
        await holdsLease(`put ${spec.service}-primary back on its previous spec`);
        await revertPrimary();
      };
      let lost: LeaseLostError | undefined;
      await withRequestScope({ ...scope, deadlineAt: clock.now() + budgetMs / 2 }, revert)
        .then(() => {
          primaryReverted = true;
          decide('roll back', `${spec.service}-primary is back on its previous spec`);
        })
        .catch((revertError: unknown) => {
          if (revertError instanceof LeaseLostError) lost = revertError;
          else if (revertError instanceof WaitStoppedError) {
            // The previous spec was written; its pods were not all ready when the time ran out.
            primaryReverted = true;
            decide(
              'roll back',
              `${spec.service}-primary is going back to its previous spec (${describeApiError(revertError)})`,
            );
          } else {
            decide('roll back', `reverting ${spec.service}-primary failed: ${describeApiError(revertError)}`);
          }
        });
      if (lost) return stopOnLostLease(lost);
    }
    const restored = await withRequestScope(scope, () =>
      restoreTraffic(router, workloads, budget, (msg) => decide('roll back', msg), current, holdsLease),
    );
    current = restored.weights;
    if (restored.lostLease)
      return stopOnLostLease(
        restored.lostLease,
        restored.confirmed ? (primaryReverted ? 'previous' : 'new') : 'unknown',
      );
    const clean = restored.confirmed && restored.canaryScaledDown;
    if (!restored.confirmed) {
      report.reason = `${report.reason}; the rollback did not complete: traffic was last confirmed at ${describeWeights(restored.weights)} (the next post step, janitor or run finishes it)`;
    } else if (!restored.canaryScaledDown) {
      report.reason = `${report.reason}; ${spec.service}-canary could not be scaled to 0 (the next post step, janitor or run finishes it)`;
    }
    if (!primaryReverted) {
      report.outcome = 'failed';
      report.reason = `${report.reason}; the promotion was cut short and ${spec.service}-primary could not be put back: ${workloads.revision} may now serve ${restored.confirmed ? '100 %' : 'the primary share'} of traffic`;
    }
    report.serving = !restored.confirmed ? 'split' : primaryReverted ? 'previous' : 'new';
    // An incomplete cleanup stays `rolling-back` on the Lease, so the post step, the janitor and
    // the next run see a rollout that still needs them.
    const recorded = await withRequestScope(scope, () =>
      retryCleanup(
        'recording the rollout state',
        () =>
          holdsLease('record the rollout state').then(() =>
            lock.record({
              phase: clean ? (report.outcome as string) : 'rolling-back',
              step: report.steps.length - 1,
              weights: { stable: current.primary, canary: current.canary },
              revision: workloads.revision,
              startedAt: report.startedAt,
            }),
          ),
        budget,
      ),
    );
    if (!recorded.ok && recorded.error instanceof LeaseLostError)
      return stopOnLostLease(recorded.error, report.serving);
    if (!recorded.ok) decide('roll back', recorded.reason);
    await runHook('rollback', { outcome: report.outcome, reason: report.reason }).catch(() => undefined);
  }

  /**
   * A GitOps controller's self-heal (Argo CD, Flux), Helm or a `kubectl apply` of the route from Git
   * may put other weights in place mid-step; analysis of a split glidepath did not set means
   * nothing, so the step aborts and names the writer.
   */
  async function checkWeightsUnchanged(step: StepRecord): Promise<void> {
    const live = await router.getWeights();
    if (live && live.primary === current.primary && live.canary === current.canary) return;
    const writer = await router.weightsWriter?.().catch(() => undefined);
    const found = live ? `${live.primary} % primary / ${live.canary} % canary` : 'no primary/canary split';
    throw new RolloutAbort(
      'rolled-back',
      `step ${step.index + 1}: the route's weights were changed outside glidepath (found ${found}, expected ${current.primary}/${current.canary})${writer ? ` by field manager "${writer}"` : ''}; make that tool ignore the route's weights (see the README's GitOps section) and retry`,
      'failed',
    );
  }

  async function soak(step: StepRecord, analysis: AnalysisRun): Promise<void> {
    const start = clock.now();
    let holdingSince: number | undefined;
    let extended = false;
    for (;;) {
      await clock.sleep(spec.checkIntervalMs, stop.signal);
      checkCancelled();
      await guard?.tick();
      checkCancelled();
      let tick: TickOutcome;
      try {
        tick = await analysis.tick(clock.now());
      } catch (e: unknown) {
        throw new RolloutAbort(
          'failed',
          `analysis failed: ${e instanceof Error ? e.message : String(e)}`,
          'error',
        );
      }
      step.ticks.push(tick);
      await checkWeightsUnchanged(step);
      if (!guard) await lock.heartbeat();
      const elapsed = clock.now() - start;
      if (tick.decision === 'fail')
        throw new RolloutAbort(
          'rolled-back',
          `step ${step.index + 1} failed analysis: ${tick.reason}`,
          'failed',
        );
      if (tick.decision === 'hold') {
        holdingSince ??= clock.now();
        if (clock.now() - holdingSince >= spec.noDataDeadlineMs) {
          throw new RolloutAbort(
            'rolled-back',
            `step ${step.index + 1} had no usable data for ${Math.round((clock.now() - holdingSince) / 1000)} s (noDataDeadline): ${tick.reason}; glidepath never promotes on missing data`,
            'no-data',
          );
        }
        continue;
      }
      holdingSince = undefined;
      const evidence = analysis.evidence();
      if (evidence) step.evidence = evidence;
      // Only the sequential test's own decision on this step's counts ends a step early, and never
      // before two scrapes at the new weight (minSoakMs includes them).
      const minSoak = spec.sequential?.minSoakMs ?? spec.intervalMs;
      if (tick.decision === 'advance' && elapsed >= minSoak) {
        step.result = elapsed >= spec.intervalMs ? 'advanced' : 'advanced-early';
        step.endedAt = iso();
        decide(`step ${step.index + 1} passed${elapsed >= spec.intervalMs ? '' : ' early'}`, tick.reason);
        return;
      }
      if (elapsed < spec.intervalMs) continue;
      if (!analysis.sequential) {
        step.result = 'advanced';
        step.endedAt = iso();
        decide(`step ${step.index + 1} passed`, tick.reason);
        return;
      }
      const seen = evidence
        ? `the canary served ${evidence.requests} request(s) (${evidence.errors} failed) at ${step.weights.canary} %, and the sequential test needs about ${evidence.needed} to accept a canary at ${(evidence.p0 * 100).toPrecision(2)} % errors`
        : 'the sequential test has counted no canary request yet';
      if (elapsed >= spec.maxStepMs) {
        throw new RolloutAbort(
          'rolled-back',
          `step ${step.index + 1} stayed undecided for ${Math.round(elapsed / 1000)} s (maxStepDuration): ${seen}; glidepath never advances undecided. Send more traffic (a load generator hook), raise the step's weight or lengthen maxStepDuration`,
          'undecided',
        );
      }
      if (!extended) {
        extended = true;
        decide(`step ${step.index + 1} extended`, `undecided after interval: ${seen}`);
      }
    }
  }
}
