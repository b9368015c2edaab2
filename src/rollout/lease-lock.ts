import { type LeaseLock, runHolderIdentity } from '../kube/lease.js';
import { type Every, type GuardedLock, LeaseGuard, type RolloutGuard } from './lease-guard.js';
import type { PreviousRollout, RolloutLock } from './workloads.js';

/** The rollout lock over the Kubernetes Lease `glidepath-<svc>`, its state kept in the Lease's annotations. */
export class LeaseRolloutLock implements RolloutLock, GuardedLock {
  constructor(
    private readonly lease: LeaseLock,
    private readonly runId: string,
    private readonly waitMs = 0,
    /** Recorded so that a janitor can restore traffic for a run that died. */
    private readonly routerConfig?: unknown,
    /** The primary's spec before a promotion (previous-primary.ts), recorded with phase `promoting`. */
    private readonly snapshotPrimary?: () => Promise<string | undefined>,
  ) {}

  async acquire(): Promise<{ previous: PreviousRollout | undefined }> {
    const acquired = await this.lease.acquire({ waitMs: this.waitMs });
    const state = acquired.previousState;
    if (!state.phase) return { previous: undefined };
    return {
      previous: {
        holder: acquired.tookOverFrom?.holder ?? state.runId ?? 'an earlier run',
        revision: state.revision,
        step: state.step,
        phase: state.phase,
        startedAt: state.startedAt,
      },
    };
  }

  async record(state: Parameters<RolloutLock['record']>[0]): Promise<void> {
    // Stored in the cluster before the promotion starts: a runner cut short mid-promotion keeps
    // nothing in memory that the post step or the janitor could use.
    const previousPrimary =
      state.phase === 'promoting' && this.snapshotPrimary ? await this.snapshotPrimary() : undefined;
    await this.lease.writeState({
      ...(previousPrimary ? { previousPrimary } : {}),
      revision: state.revision,
      step: state.step,
      weights: state.weights,
      runId: this.runId,
      startedAt: state.startedAt,
      phase: state.phase as never,
      ...(this.routerConfig ? { router: JSON.stringify(this.routerConfig) } : {}),
    });
  }

  guard(clock: { now(): number; every?: Every }, log?: (message: string) => void): RolloutGuard {
    return new LeaseGuard(this.lease, {
      durationMs: this.lease.durationSeconds * 1000,
      now: () => clock.now(),
      ...(clock.every ? { every: clock.every.bind(clock) } : {}),
      ...(log ? { log } : {}),
    });
  }

  async heartbeat(): Promise<void> {
    await this.lease.renew();
  }

  async release(): Promise<void> {
    await this.lease.release();
  }
}

export { runHolderIdentity };
