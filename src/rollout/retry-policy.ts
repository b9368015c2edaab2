import { ConfigurationError } from '../config/errors.js';
import { apiRefusal, describeApiError } from '../kube/api-status.js';
import { LeaseLostError } from '../kube/lease.js';
import { ScopeAbortedError } from '../kube/request-scope.js';

/**
 * The one retry policy for every cleanup write (route reset, canary scale-down, Lease record and
 * release, janitor repairs). An API server that just failed a write often fails the next few too
 * (a restarting etcd leader, a webhook timing out, an apiserver behind a load balancer rolling),
 * so a cleanup write is retried with capped exponential backoff until its time budget runs out,
 * never given up after a fixed few tries: a canary left scaled up, or a Lease left held, is
 * exactly what cleanup exists to prevent.
 */
export interface CleanupBudget {
  /** Time on `now` after which no new attempt starts. */
  deadlineAt: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Enough for an apiserver restart; the cancel window (7.5 s) gets its own, shorter budget. */
export const CLEANUP_BUDGET_MS = 60_000;
/** The runner sends SIGTERM 7.5 s after SIGINT: leave time for the report, outputs and summary. */
export const CANCELLED_CLEANUP_BUDGET_MS = 5_000;

export function cleanupBudget(
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  ms = CLEANUP_BUDGET_MS,
): CleanupBudget {
  return { deadlineAt: now() + ms, now, sleep };
}

/** 250 ms, 500 ms, 1 s, then every 2 s. */
export function cleanupBackoffMs(attempt: number): number {
  return Math.min(2_000, 250 * 2 ** (attempt - 1));
}

/**
 * A cleanup write left on purpose for a later post step, janitor or run: retrying within the same
 * budget cannot make it fit (the canary's scale-down delay is longer than the time left).
 */
export class CleanupDeferredError extends Error {
  override readonly name = 'CleanupDeferredError';
}

/** Time a bounded wait leaves for the write after it and the Lease record (two API calls). */
export const CLEANUP_RESERVE_MS = 2_000;

/** A user's mistake or a refusal that repeats the same way: retrying cannot help. */
export function isPermanent(e: unknown): boolean {
  if (e instanceof ConfigurationError || e instanceof LeaseLostError || e instanceof CleanupDeferredError)
    return true;
  const code = apiRefusal(e)?.code;
  return code !== undefined && code >= 400 && code < 500 && code !== 408 && code !== 409 && code !== 429;
}

export type CleanupResult<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number; reason: string };

export async function retryCleanup<T>(
  what: string,
  write: () => Promise<T>,
  budget: CleanupBudget,
  log: (message: string) => void = () => undefined,
): Promise<CleanupResult<T>> {
  let last: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await write(), attempts: attempt };
    } catch (e: unknown) {
      last = e;
      const left = budget.deadlineAt - budget.now();
      const permanent = isPermanent(e) || e instanceof ScopeAbortedError;
      const wait = cleanupBackoffMs(attempt);
      if (permanent || left <= wait) {
        const reason = `${what} failed after ${attempt} attempt(s): ${describeApiError(last)}`;
        log(reason);
        return { ok: false, error: last, attempts: attempt, reason };
      }
      log(`${what} failed (attempt ${attempt}), retrying: ${describeApiError(e)}`);
      await budget.sleep(wait);
    }
  }
}
