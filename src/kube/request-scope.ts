import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What bounds the Kubernetes requests and waits made on behalf of one phase of a rollout: the
 * signal that cancels them (SIGINT from the runner, a lost Lease) and a deadline on the rollout's
 * own clock (a rollback must fit the runner's 7.5 s cancel window). It travels with the async
 * context, so every request made by code called inside `withRequestScope` is bound by it without
 * each layer (routers, workloads, retries) threading a signal through.
 */
export interface RequestScope {
  signal?: AbortSignal;
  /** Requests started at or after this time (ms on `now`) fail at once. */
  deadlineAt?: number;
  now?: () => number;
  /** Per request (default DEFAULT_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Named in the error when the deadline passes ("rolling back"). */
  what?: string;
}

/** A write held by the server (an overloaded apiserver, a webhook that hangs) must not stall the rollout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const storage = new AsyncLocalStorage<RequestScope>();

export function withRequestScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  const outer = storage.getStore();
  const signals = [outer?.signal, scope.signal].filter((s): s is AbortSignal => s !== undefined);
  const merged: RequestScope = {
    ...outer,
    ...scope,
    ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
  };
  return storage.run(merged, fn);
}

/** Runs `fn` outside any scope: cleanup after a cancellation must not inherit the cancelled signal. */
export function withoutRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  return storage.run({}, fn);
}

export function currentRequestScope(): RequestScope {
  return storage.getStore() ?? {};
}

/** Thrown for a request or wait the scope cut short. */
export class ScopeAbortedError extends Error {
  override readonly name: string = 'ScopeAbortedError';
}

/** The reason to stop now, or undefined: the scope's signal fired or its deadline passed. */
export function scopeStopReason(scope: RequestScope = currentRequestScope()): string | undefined {
  if (scope.signal?.aborted) {
    const reason: unknown = scope.signal.reason;
    return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  }
  if (scope.deadlineAt !== undefined && (scope.now ?? Date.now)() >= scope.deadlineAt)
    return `${scope.what ?? 'this phase'} ran out of time`;
  return undefined;
}

export function throwIfScopeStopped(): void {
  const reason = scopeStopReason();
  if (reason !== undefined) throw new ScopeAbortedError(reason);
}

/** The signal one request should carry: the scope's, and its own timeout. */
export function requestSignal(scope: RequestScope = currentRequestScope()): AbortSignal {
  const timeout = AbortSignal.timeout(scope.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  return scope.signal ? AbortSignal.any([scope.signal, timeout]) : timeout;
}

/** A sleep that ends early (rejecting) when the scope stops. */
export async function scopedSleep(sleep: (ms: number) => Promise<void>, ms: number): Promise<void> {
  throwIfScopeStopped();
  const signal = currentRequestScope().signal;
  if (!signal) {
    await sleep(ms);
  } else {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([sleep(ms), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
  throwIfScopeStopped();
}
