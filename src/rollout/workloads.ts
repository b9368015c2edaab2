import type { PlannedWrite } from '../mesh/router.js';
import type { CleanupBudget } from './retry-policy.js';

/**
 * Where the two versions run. Kubernetes Deployments in production; local
 * processes in the playground. The engine only asks for these moves.
 */
export interface Workloads {
  /** Read-only checks before the first write; returns the writes a rollout would make. */
  validate(): Promise<PlannedWrite[]>;
  /** Creates the primary from the user's current workload the first time; true when it did. */
  ensurePrimary(): Promise<boolean>;
  /** Starts (or updates) the canary with the new version and waits until it is ready. */
  deployCanary(): Promise<void>;
  /** Sizes the canary for a step's weight before traffic moves there; returns its replica count. */
  sizeCanary?(weight: number): Promise<number>;
  /** Moves the primary to the canary's version and waits until it is ready. */
  promotePrimary(): Promise<void>;
  /** Puts the primary back on the spec it had before a promotion that failed midway. */
  revertPrimary?(): Promise<void>;
  /**
   * Scales the canary to zero: no pods left serving the new version. With a cleanup budget, a
   * wait before the scale-down that would not fit it throws CleanupDeferredError instead.
   */
  scaleDownCanary(budget?: CleanupBudget): Promise<void>;
  /** A stable name for what is being rolled out (the image digest). */
  readonly revision: string;
}

/** The one lock per service; its annotations hold the rollout's state for a later run. */
export interface RolloutLock {
  acquire(): Promise<{ previous: PreviousRollout | undefined }>;
  record(state: {
    phase: string;
    step: number;
    weights: { stable: number; canary: number };
    revision: string;
    startedAt: string;
  }): Promise<void>;
  /** Keeps the lock alive during a long soak, so it never looks like a dead run's. */
  heartbeat(): Promise<void>;
  release(): Promise<void>;
}

/** What an earlier run left behind when it did not finish. */
export interface PreviousRollout {
  holder: string;
  revision?: string;
  step?: number;
  phase?: string;
  startedAt?: string;
}
