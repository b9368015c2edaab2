import { type LeaseLock, runHolderIdentity } from '../kube/lease.js';
import type { PreviousRollout, RolloutLock } from './workloads.js';

/** The rollout lock over the Kubernetes Lease `glidepath-<svc>`, its state kept in the Lease's annotations. */
export class LeaseRolloutLock implements RolloutLock {
  constructor(
    private readonly lease: LeaseLock,
    private readonly runId: string,
    private readonly waitMs = 0,
    /** Recorded so that a janitor can restore traffic for a run that died. */
    private readonly routerConfig?: unknown,
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
    await this.lease.writeState({
      revision: state.revision,
      step: state.step,
      weights: state.weights,
      runId: this.runId,
      startedAt: state.startedAt,
      phase: state.phase as never,
      ...(this.routerConfig ? { router: JSON.stringify(this.routerConfig) } : {}),
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
