import { LeaseLostError } from '../kube/lease.js';
import type { TrafficRouter, Weights } from '../mesh/router.js';
import { type CleanupBudget, retryCleanup } from './retry-policy.js';
import type { Workloads } from './workloads.js';

export interface RestoreResult {
  /** What the data plane was last confirmed to serve: the reset, or the last weights a router confirmed. */
  weights: Weights;
  /** The router confirmed 100 % primary (for Gateway API: the gateway accepted the reset route). */
  confirmed: boolean;
  canaryScaledDown: boolean;
  /** Why the restore is incomplete, in words; empty when it is complete. */
  problems: string[];
  /** Set when another run (or the janitor) took the Lease mid-restore: nothing more was written. */
  lostLease?: LeaseLostError;
}

/** Resolves while this run holds the rollout's Lease; throws LeaseLostError once another run does. */
export type HoldsLease = (what: string) => Promise<void>;

/**
 * 100 % primary, then no canary pods, within one time budget (retry-policy.ts). The canary is
 * scaled down only once the reset route is confirmed: while a data plane may still send it a
 * share (a gateway that has not accepted the reset), scaling it away would turn that share into
 * errors. An incomplete restore says what serves, and the next post step, janitor or run finishes
 * it (a finished-but-dirty rollout).
 */
export async function restoreTraffic(
  router: TrafficRouter,
  workloads: Workloads,
  budget: CleanupBudget,
  log: (message: string) => void,
  lastConfirmed: Weights | undefined,
  holdsLease: HoldsLease = async () => undefined,
): Promise<RestoreResult> {
  const problems: string[] = [];
  // The holder is checked before every attempt: a Lease taken over mid-rollback means another
  // run (or the janitor) owns these objects now, and a rollback write would fight it.
  const guarded =
    <T>(what: string, write: () => Promise<T>) =>
    async () => {
      await holdsLease(what);
      return write();
    };
  const resetting = 'resetting traffic to 100 % primary';
  const reset = await retryCleanup(
    resetting,
    guarded(resetting, () => router.reset()),
    budget,
    log,
  );
  if (!reset.ok) {
    const served = lastConfirmed ?? { primary: -1, canary: -1 };
    problems.push(
      `${reset.reason}; the data plane was last confirmed to serve ${describeWeights(lastConfirmed)}`,
    );
    const lostLease = reset.error instanceof LeaseLostError ? reset.error : undefined;
    return { weights: served, confirmed: false, canaryScaledDown: false, problems, lostLease };
  }
  const scaling = 'scaling the canary to 0';
  const scaled = await retryCleanup(
    scaling,
    guarded(scaling, () => workloads.scaleDownCanary(budget)),
    budget,
    log,
  );
  if (!scaled.ok) problems.push(scaled.reason);
  const lostLease = !scaled.ok && scaled.error instanceof LeaseLostError ? scaled.error : undefined;
  return { weights: reset.value, confirmed: true, canaryScaledDown: scaled.ok, problems, lostLease };
}

export function describeWeights(weights: Weights | undefined): string {
  if (!weights || weights.primary < 0) return 'an unknown split';
  if (weights.canary === 0) return '100 % primary';
  return `${weights.primary} % primary / ${weights.canary} % canary`;
}
