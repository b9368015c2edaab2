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
}

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
): Promise<RestoreResult> {
  const problems: string[] = [];
  const reset = await retryCleanup('resetting traffic to 100 % primary', () => router.reset(), budget, log);
  if (!reset.ok) {
    const served = lastConfirmed ?? { primary: -1, canary: -1 };
    problems.push(
      `${reset.reason}; the data plane was last confirmed to serve ${describeWeights(lastConfirmed)}`,
    );
    return { weights: served, confirmed: false, canaryScaledDown: false, problems };
  }
  const scaled = await retryCleanup(
    'scaling the canary to 0',
    () => workloads.scaleDownCanary(budget),
    budget,
    log,
  );
  if (!scaled.ok) problems.push(scaled.reason);
  return { weights: reset.value, confirmed: true, canaryScaledDown: scaled.ok, problems };
}

export function describeWeights(weights: Weights | undefined): string {
  if (!weights || weights.primary < 0) return 'an unknown split';
  if (weights.canary === 0) return '100 % primary';
  return `${weights.primary} % primary / ${weights.canary} % canary`;
}
