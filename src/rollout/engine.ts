import type { HookPhase, RolloutSpec } from '../config/load-rollout.js';
import { describeApiError } from '../kube/api-status.js';
import { ALL_PRIMARY, type TrafficRouter, type Weights } from '../mesh/router.js';
import type { MetricsSource } from '../metrics/source.js';
import { AnalysisRun, type TickOutcome } from './analysis-tick.js';
import { callHook, type HookCaller } from './hooks.js';
import type { RolloutOutcome, RolloutReport, StepRecord } from './report.js';
import type { RolloutLock, Workloads } from './workloads.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
  /** Live progress for logs and the playground. */
  onEvent?: (event: { at: string; message: string }) => void;
}

class RolloutAbort extends Error {
  constructor(
    readonly outcome: RolloutOutcome,
    message: string,
    readonly stepResult: StepRecord['result'],
  ) {
    super(message);
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
  const iso = () => new Date(clock.now()).toISOString();
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
  const checkCancelled = () => {
    if (deps.signal?.aborted) throw new RolloutAbort('failed', 'the job was cancelled', 'cancelled');
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

  let acquired: Awaited<ReturnType<RolloutLock['acquire']>>;
  try {
    acquired = await lock.acquire();
  } catch (e: unknown) {
    report.outcome = 'failed';
    report.reason = e instanceof Error ? e.message : String(e);
    report.endedAt = iso();
    decide('not started', report.reason);
    return report;
  }
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
      await router.reset();
      await workloads.scaleDownCanary();
    }
  }

  let current: Weights = ALL_PRIMARY;
  let promoting = false;
  const record = (phase: string, step: number) =>
    lock.record({
      phase,
      step,
      weights: { stable: current.primary, canary: current.canary },
      revision: workloads.revision,
      startedAt: report.startedAt,
    });

  try {
    checkCancelled();
    await runHook('pre-rollout');
    await record('progressing', -1);
    if (await workloads.ensurePrimary())
      decide('bootstrap', `created ${spec.service}-primary from the current ${spec.service} Deployment`);
    await router.ensure();
    checkCancelled();
    decide('deploy canary', `${spec.service}-canary at ${workloads.revision}`);
    await workloads.deployCanary();

    const metricsStart = clock.now();
    const analysis = new AnalysisRun(spec, deps.metrics, metricsStart);
    for (let index = firstStep; index < spec.steps.length; index++) {
      checkCancelled();
      const canaryWeight = spec.steps[index] as number;
      current = await router.setWeights({ primary: 100 - canaryWeight, canary: canaryWeight });
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
    await workloads.promotePrimary();
    promoting = false;
    current = await router.reset();
    await workloads.scaleDownCanary();
    report.outcome = 'promoted';
    report.reason = `promoted after ${spec.steps.length} step(s)`;
    await record('promoted', spec.steps.length);
    await runHook('post-rollout', { outcome: 'promoted' }).catch((e: unknown) =>
      decide('post-rollout hook', String(e)),
    );
  } catch (e: unknown) {
    const abort = e instanceof RolloutAbort ? e : undefined;
    report.outcome = abort?.outcome ?? 'failed';
    report.reason = abort?.message ?? describeApiError(e);
    const last = report.steps.at(-1);
    if (last && !last.result) {
      last.result = abort?.stepResult ?? 'error';
      last.endedAt = iso();
    }
    decide('roll back', report.reason);
    if (promoting && workloads.revertPrimary) {
      // The canary still serves its share while the primary goes back to the old spec.
      await workloads
        .revertPrimary()
        .then(() => decide('roll back', `${spec.service}-primary is back on its previous spec`))
        .catch((revertError: unknown) =>
          decide('roll back', `reverting ${spec.service}-primary failed: ${describeApiError(revertError)}`),
        );
    }
    current = await restorePrimary(
      router,
      workloads,
      (msg) => decide('roll back', msg),
      (ms) => clock.sleep(ms),
    );
    await lock
      .record({
        phase: report.outcome,
        step: report.steps.length - 1,
        weights: { stable: current.primary, canary: current.canary },
        revision: workloads.revision,
        startedAt: report.startedAt,
      })
      .catch(() => undefined);
    await runHook('rollback', { outcome: report.outcome, reason: report.reason }).catch(() => undefined);
  } finally {
    report.finalWeights = current;
    report.endedAt = iso();
    await lock.release().catch((e: unknown) => decide('release lock', `failed: ${String(e)}`));
  }
  return report;

  async function soak(step: StepRecord, analysis: AnalysisRun): Promise<void> {
    const start = clock.now();
    let holdingSince: number | undefined;
    for (;;) {
      await clock.sleep(spec.checkIntervalMs, deps.signal);
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
      await lock.heartbeat();
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
      const minSoak = spec.sequential?.minSoakMs ?? spec.intervalMs;
      if (tick.decision === 'advance' && elapsed >= Math.min(minSoak, spec.intervalMs)) {
        step.result = 'advanced-early';
        step.endedAt = iso();
        decide(`step ${step.index + 1} passed early`, tick.reason);
        return;
      }
      if (elapsed >= spec.intervalMs) {
        step.result = 'advanced';
        step.endedAt = iso();
        decide(`step ${step.index + 1} passed`, tick.reason);
        return;
      }
    }
  }
}

/**
 * 100 % primary and no canary pods, whatever else failed; each part is tried even if another fails.
 * An API server that just failed a write often fails the next few too (a restarting etcd leader, a
 * webhook timing out), so the reset is retried with backoff rather than given up within milliseconds.
 */
export async function restorePrimary(
  router: TrafficRouter,
  workloads: Workloads,
  log: (message: string) => void,
  sleep: (ms: number) => Promise<void> = realClock.sleep,
): Promise<Weights> {
  const attempts = 6;
  let weights: Weights = ALL_PRIMARY;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      weights = await router.reset();
      break;
    } catch (e: unknown) {
      log(`resetting traffic failed (attempt ${attempt} of ${attempts}): ${describeApiError(e)}`);
      if (attempt === attempts)
        weights = (await router.getWeights().catch(() => undefined)) ?? { primary: -1, canary: -1 };
      else await sleep(500 * 2 ** (attempt - 1));
    }
  }
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await workloads.scaleDownCanary();
      break;
    } catch (e: unknown) {
      log(`scaling the canary down failed (attempt ${attempt} of 3): ${describeApiError(e)}`);
      if (attempt < 3) await sleep(1_000 * attempt);
    }
  }
  return weights;
}
