import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { isConflict } from './api-status.js';
import { FIELD_MANAGER } from './apply.js';

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Pause before attempt n+1 (default 100 ms × 2^(n-1), up to 2 s). */
  backoffMs?: (attempt: number) => number;
}

/** Thrown when every attempt met a 409: someone else keeps writing the object. */
export class ConflictRetryError extends Error {
  override readonly name = 'ConflictRetryError';
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `gave up updating ${what} after ${attempts} conflicting writes (409): another writer keeps changing it; retry the rollout or find that writer`,
    );
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function defaultBackoff(attempt: number): number {
  return Math.min(2000, 100 * 2 ** (attempt - 1));
}

/** Runs `attempt` again while it fails with 409 Conflict, up to a bound; other errors pass through. */
export async function retryOnConflict<T>(
  what: string,
  attempt: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const sleep = options.sleep ?? defaultSleep;
  const backoff = options.backoffMs ?? defaultBackoff;
  let last: unknown;
  for (let n = 1; n <= attempts; n++) {
    try {
      return await attempt();
    } catch (e: unknown) {
      if (!isConflict(e)) throw e;
      last = e;
      if (n < attempts) await sleep(backoff(n));
    }
  }
  throw new ConflictRetryError(what, attempts, last);
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Read-modify-write with the read's resourceVersion as precondition; on 409 it re-reads and
 * applies `change` to the fresh object. `change` returns the new object, or undefined when
 * nothing needs writing. Returns what the server stored (or the current object on no-op).
 */
export async function updateWithRetry<T extends KubernetesObject>(
  objects: KubernetesObjectApi,
  ref: ObjectRef,
  change: (current: T) => T | undefined,
  options: RetryOptions = {},
): Promise<T> {
  const what = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  return retryOnConflict(
    what,
    async () => {
      const current = (await objects.read({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      })) as T;
      const next = change(structuredClone(current));
      if (next === undefined) return current;
      next.metadata = { ...next.metadata, resourceVersion: current.metadata?.resourceVersion };
      return (await objects.replace(next, undefined, undefined, FIELD_MANAGER)) as T;
    },
    options,
  );
}
