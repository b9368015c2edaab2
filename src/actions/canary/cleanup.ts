import * as core from '@actions/core';
import { describeApiError } from '../../kube/api-status.js';
import { withRequestScope } from '../../kube/request-scope.js';
import { restorePrimarySnapshot, snapshotImages } from '../../rollout/previous-primary.js';
import { describeWeights, restoreTraffic } from '../../rollout/restore.js';
import { CLEANUP_BUDGET_MS, cleanupBudget, retryCleanup } from '../../rollout/retry-policy.js';
import { prepareRollout } from '../../rollout/setup.js';
import { readState } from './state.js';

/**
 * Runs after main whatever happened (post-if: always()). When main took the rollout lock and did
 * not finish (cancelled, crashed), or finished with its cleanup incomplete (a canary left scaled
 * up, the lock left held, a rollback recorded as still `rolling-back`), restore 100 % primary,
 * scale the canary down and free the lock. It only undoes what this run started, and warns
 * rather than fails.
 */
export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const state = readState();
  // Before it held the lock, main wrote nothing: whatever the cluster holds belongs to another run.
  if (!state.started || !state.leased) {
    core.info('glidepath: nothing to clean up (this run never took the rollout lock)');
    return;
  }
  let close: (() => Promise<void> | void) | undefined;
  try {
    const prepared = prepareRollout({
      config: state.config,
      manifest: state.manifest,
      image: state.image,
      kubeconfig: state.kubeconfig,
      env,
    });
    close = () => prepared.metrics.close?.();
    const holder = await prepared.leaseLock.inspect();
    // Another live run holds the Lease: this run lost it (and that run or the janitor cleaned
    // up), so the traffic split belongs to that run's rollout and is not ours to undo.
    if (holder && holder.holder !== prepared.holder && !holder.expired) {
      core.warning(
        `glidepath: run ${holder.holder} holds the rollout lock of ${prepared.spec.service}; leaving its traffic split alone`,
      );
      return;
    }
    const recorded = holder?.state ?? (await prepared.leaseLock.readState());
    const stillOurs = holder?.holder === prepared.holder;
    const unfinished =
      recorded.phase === undefined || ['progressing', 'promoting', 'rolling-back'].includes(recorded.phase);
    if (state.finished && !stillOurs && !unfinished) {
      core.info('glidepath: nothing to clean up');
      return;
    }
    const budget = cleanupBudget(Date.now, (ms) => new Promise((r) => setTimeout(r, ms)), CLEANUP_BUDGET_MS);
    // A promotion cut short: the primary goes back to the spec recorded before it started.
    const snapshot = recorded.phase === 'promoting' ? recorded.previousPrimary : undefined;
    if (snapshot) {
      const reverted = await retryCleanup(
        `putting ${prepared.spec.service}-primary back on its spec from before the promotion`,
        () => restorePrimarySnapshot(prepared.kube, prepared.spec.namespace, prepared.spec.service, snapshot),
        budget,
      );
      core.warning(
        reverted.ok
          ? `glidepath: the promotion was cut short; ${prepared.spec.service}-primary goes back to ${snapshotImages(snapshot).join(', ')}`
          : `glidepath: ${reverted.reason}`,
      );
    }
    const restored = await withRequestScope({ deadlineAt: budget.deadlineAt, what: 'the cleanup' }, () =>
      restoreTraffic(
        prepared.router,
        prepared.workloads,
        budget,
        (m) => core.warning(m),
        recorded.weights && {
          primary: recorded.weights.stable,
          canary: recorded.weights.canary,
        },
      ),
    );
    const clean = restored.confirmed && restored.canaryScaledDown;
    const phase = clean
      ? state.finished && recorded.phase !== 'rolling-back'
        ? recorded.phase
        : 'failed'
      : 'rolling-back';
    const write = await retryCleanup(
      'recording the rollout state',
      () =>
        prepared.lock.record({
          phase: phase ?? 'failed',
          step: recorded.step ?? -1,
          weights: { stable: restored.weights.primary, canary: restored.weights.canary },
          revision: state.image,
          startedAt: recorded.startedAt ?? new Date().toISOString(),
        }),
      budget,
    );
    if (!write.ok) core.warning(`glidepath: ${write.reason}`);
    const released = await retryCleanup(
      'releasing the rollout lock',
      () => prepared.leaseLock.release(),
      budget,
    );
    if (!released.ok) core.warning(`glidepath: ${released.reason}`);
    if (clean) {
      core.warning(
        state.finished
          ? `glidepath: the rollout had finished with its cleanup incomplete; now ${describeWeights(restored.weights)} with the canary scaled to 0${released.ok ? ' and the lock freed' : ''}`
          : `glidepath: the rollout did not finish; traffic restored to ${restored.weights.primary} % primary and the canary scaled to 0`,
      );
    } else {
      core.warning(
        `glidepath: could not finish the cleanup: ${restored.problems.join('; ')}; run \`glidepath janitor\` or the janitor workflow`,
      );
    }
  } catch (e: unknown) {
    core.warning(
      `glidepath: could not restore 100 % primary: ${describeApiError(e)}; run \`glidepath janitor\` or the janitor workflow`,
    );
  } finally {
    await close?.();
  }
}
