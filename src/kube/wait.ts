import type { AppsV1Api, V1Deployment } from '@kubernetes/client-node';
import { describeApiError, isNotFound } from './api-status.js';
import { ScopeAbortedError, scopedSleep, scopeStopReason, withRequestScope } from './request-scope.js';

export interface RolloutProgress {
  generation: number;
  observedGeneration: number | undefined;
  desired: number;
  /** All pods, old and new. */
  total: number;
  updated: number;
  ready: number;
  available: number;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  done: boolean;
  /** Why it is not done yet, in words (empty when done). */
  waitingFor: string;
}

/** As `kubectl rollout status` judges it: the controller saw this spec, and every pod is new, ready and available. */
export function rolloutProgress(deployment: V1Deployment): RolloutProgress {
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const generation = deployment.metadata?.generation ?? 0;
  const progress = {
    generation,
    observedGeneration: status.observedGeneration,
    desired,
    total: status.replicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    })),
  };
  let waitingFor = '';
  if ((progress.observedGeneration ?? -1) < generation)
    waitingFor = `the controller to observe generation ${generation}`;
  else if (progress.updated < desired) waitingFor = `${progress.updated}/${desired} replicas updated`;
  else if (progress.total > progress.updated)
    waitingFor = `${progress.total - progress.updated} old replicas to terminate`;
  else if (progress.ready < desired) waitingFor = `${progress.ready}/${desired} replicas ready`;
  else if (progress.available < desired) waitingFor = `${progress.available}/${desired} replicas available`;
  return { ...progress, done: waitingFor === '', waitingFor };
}

function describeConditions(progress: RolloutProgress): string {
  if (progress.conditions.length === 0) return 'none';
  return progress.conditions
    .map(
      (c) =>
        `${c.type}=${c.status}${c.reason || c.message ? ` (${[c.reason, c.message].filter(Boolean).join(': ')})` : ''}`,
    )
    .join('; ');
}

export class RolloutWaitError extends Error {
  override readonly name = 'RolloutWaitError';
  constructor(
    message: string,
    readonly progress: RolloutProgress | undefined,
  ) {
    super(message);
  }
}

/** The wait was cut short (cancel, lost Lease, a rollback's deadline): the write before it happened. */
export class WaitStoppedError extends ScopeAbortedError {
  override readonly name: string = 'WaitStoppedError';
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Between reads (default 2 s). */
  pollMs?: number;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (progress: RolloutProgress) => void;
  /** Ends the wait at once (a cancelled job); the current request scope's signal does too. */
  signal?: AbortSignal;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/**
 * Polls until the Deployment's rollout is complete. Fails at the deadline, or at once when the
 * controller reports ProgressDeadlineExceeded, with the Deployment's conditions in the message.
 * Read errors (a 500, a dropped connection) are retried until the deadline. A cancellation (the
 * signal, or the request scope's) ends it at once with a ScopeAbortedError: the runner gives a
 * cancelled step 7.5 s before SIGKILL, too short to let a readiness wait run on.
 */
export function waitForDeploymentRollout(
  apps: AppsV1Api,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<RolloutProgress> {
  return options.signal
    ? withRequestScope({ signal: options.signal }, () => pollDeployment(apps, namespace, name, options))
    : pollDeployment(apps, namespace, name, options);
}

async function pollDeployment(
  apps: AppsV1Api,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<RolloutProgress> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = options.pollMs ?? 2000;
  const deadline = now() + options.timeoutMs;
  let last: RolloutProgress | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = rolloutProgress(await apps.readNamespacedDeployment({ name, namespace }));
      lastError = undefined;
      options.onProgress?.(last);
      if (last.done) return last;
      const stalled = last.conditions.find(
        (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
      );
      if (stalled) {
        throw new RolloutWaitError(
          `Deployment ${namespace}/${name} exceeded its progress deadline: ${last.waitingFor}. Conditions: ${describeConditions(last)}`,
          last,
        );
      }
    } catch (e: unknown) {
      if (e instanceof RolloutWaitError) throw e;
      const stopped = scopeStopReason();
      if (stopped !== undefined)
        throw new WaitStoppedError(`stopped waiting for Deployment ${namespace}/${name}: ${stopped}`);
      if (isNotFound(e))
        throw new RolloutWaitError(`Deployment ${namespace}/${name} does not exist`, undefined);
      lastError = e;
    }
    const left = deadline - now();
    if (left <= 0) {
      const detail = last
        ? `waiting for ${last.waitingFor} (${last.ready}/${last.desired} ready, ${last.updated}/${last.desired} updated, ${last.available}/${last.desired} available; observedGeneration ${last.observedGeneration ?? 'none'}, generation ${last.generation}). Conditions: ${describeConditions(last)}`
        : 'it could not be read';
      const error = lastError !== undefined ? `; last read failed: ${describeApiError(lastError)}` : '';
      throw new RolloutWaitError(
        `Deployment ${namespace}/${name} did not become ready within ${formatDuration(options.timeoutMs)}: ${detail}${error}`,
        last,
      );
    }
    await scopedSleep(sleep, Math.min(pollMs, left)).catch((e: unknown) => {
      throw e instanceof ScopeAbortedError
        ? new WaitStoppedError(`stopped waiting for Deployment ${namespace}/${name}: ${e.message}`)
        : e;
    });
  }
}
