import * as core from '@actions/core';
import { restorePrimary } from '../../rollout/engine.js';
import { prepareRollout } from '../../rollout/setup.js';
import { readState } from './state.js';

/**
 * Runs after main whatever happened (post-if: always()). When main started a
 * rollout and did not finish it (cancelled, crashed), restore 100 % primary
 * and scale the canary down. It only undoes what this run recorded, and
 * warns rather than fails.
 */
export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const state = readState();
  if (!state.started || state.finished) {
    core.info('glidepath: nothing to clean up');
    return;
  }
  try {
    const prepared = prepareRollout({
      config: state.config,
      manifest: state.manifest,
      image: state.image,
      kubeconfig: state.kubeconfig,
      env,
    });
    // Another live run holds the Lease: this run never got it (or lost it and that run cleaned up),
    // so the traffic split belongs to that run's rollout and is not ours to undo.
    const holder = await prepared.leaseLock.inspect();
    if (holder && holder.holder !== prepared.holder && !holder.expired) {
      await prepared.metrics.close?.();
      core.warning(
        `glidepath: run ${holder.holder} holds the rollout lock of ${prepared.spec.service}; leaving its traffic split alone`,
      );
      return;
    }
    const weights = await restorePrimary(prepared.router, prepared.workloads, (message) =>
      core.warning(message),
    );
    await prepared.lock
      .record({
        phase: 'failed',
        step: -1,
        weights: { stable: weights.primary, canary: weights.canary },
        revision: state.image,
        startedAt: new Date().toISOString(),
      })
      .catch(() => undefined);
    await prepared.leaseLock.release().catch(() => undefined);
    await prepared.metrics.close?.();
    core.warning(
      `glidepath: the rollout did not finish; traffic restored to ${weights.primary} % primary and the canary scaled to 0`,
    );
  } catch (e: unknown) {
    core.warning(
      `glidepath: could not restore 100 % primary: ${e instanceof Error ? e.message : String(e)}; run \`glidepath janitor\` or the janitor workflow`,
    );
  }
}
