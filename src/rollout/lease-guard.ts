import { describeApiError } from '../kube/api-status.js';
import { type LeaseLock, LeaseLostError } from '../kube/lease.js';

/** Repeats `fn` every `ms` until the returned function is called. */
export type Every = (ms: number, fn: () => Promise<void>) => () => void;

/** Real time: an unref'd interval, so a finished step is never kept alive by its Lease timer. */
export const realEvery: Every = (ms, fn) => {
  const timer = setInterval(() => void fn(), ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** What the engine needs from a lock that can be lost: its timer, a check before each write, a signal. */
export interface RolloutGuard {
  start(): void;
  stop(): void;
  /** Throws LeaseLostError when another run holds the Lease now; `what` is the write about to happen. */
  check(what: string): Promise<void>;
  /** Renew now if the timer is due (the engine calls it at each tick of a simulated clock). */
  tick(): Promise<void>;
  /** Aborted, with the LeaseLostError as reason, once this run no longer holds the Lease. */
  readonly lost: AbortSignal;
}

/** A RolloutLock that can be lost (the Lease one); the in-memory locks of the playground cannot. */
export interface GuardedLock {
  guard(clock: { now(): number; every?: Every }, log?: (message: string) => void): RolloutGuard;
}

export function guardOf(
  lock: object,
  clock: { now(): number; every?: Every },
  log?: (message: string) => void,
): RolloutGuard | undefined {
  return 'guard' in lock && typeof lock.guard === 'function'
    ? (lock as GuardedLock).guard(clock, log)
    : undefined;
}

export interface LeaseGuardOptions {
  durationMs: number;
  now: () => number;
  every?: Every;
  log?: (message: string) => void;
}

/**
 * Keeps this run's Lease renewed on its own timer, every third of its duration, whatever the
 * rollout waits for (readiness, hooks, route status, promotion), and notices when it is gone.
 * Modelled on client-go's leader election (tools/leaderelection/leaderelection.go): the holder
 * renews every RetryPeriod; when it cannot renew within RenewDeadline (here: the lease duration
 * since the last successful renewal) or finds another holder, it stops leading
 * (OnStoppedLeading) and must not act as leader again. Candidates take over only once
 * LeaseDuration has passed since the last renewTime they observed.
 */
export class LeaseGuard implements RolloutGuard {
  private readonly controller = new AbortController();
  private stopTimer: (() => void) | undefined;
  private lastRenewedAt: number;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly lease: LeaseLock,
    private readonly options: LeaseGuardOptions,
  ) {
    this.lastRenewedAt = options.now();
  }

  get lost(): AbortSignal {
    return this.controller.signal;
  }

  private get periodMs(): number {
    return Math.max(1, Math.floor(this.options.durationMs / 3));
  }

  start(): void {
    this.lastRenewedAt = this.options.now();
    this.stopTimer ??= (this.options.every ?? realEvery)(this.periodMs, () => this.renew());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  async tick(): Promise<void> {
    if (this.options.now() - this.lastRenewedAt >= this.periodMs) await this.renew();
  }

  /** One renewal at a time: a slow API server must not pile them up. */
  renew(): Promise<void> {
    if (this.lost.aborted) return Promise.resolve();
    this.inFlight ??= this.renewOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async renewOnce(): Promise<void> {
    try {
      await this.lease.renew();
      this.lastRenewedAt = this.options.now();
    } catch (e: unknown) {
      if (e instanceof LeaseLostError) {
        this.markLost(e);
        return;
      }
      const since = this.options.now() - this.lastRenewedAt;
      if (since >= this.options.durationMs) {
        this.markLost(
          new LeaseLostError(
            `could not renew lease ${this.lease.name} for ${Math.round(since / 1000)} s (its duration): another run may have taken over, so this run stops writing; last error: ${describeApiError(e)}`,
          ),
        );
      } else {
        this.options.log?.(`renewing lease ${this.lease.name} failed, will retry: ${describeApiError(e)}`);
      }
    }
  }

  private markLost(error: LeaseLostError): void {
    if (this.lost.aborted) return;
    this.stop();
    this.options.log?.(error.message);
    this.controller.abort(error);
  }

  async check(what: string): Promise<void> {
    if (this.lost.aborted) throw this.lost.reason as LeaseLostError;
    try {
      await this.lease.assertHeld();
    } catch (e: unknown) {
      if (!(e instanceof LeaseLostError)) {
        // A read that failed (a 500, a timeout) proves nothing either way: as in client-go, a
        // holder that renewed within the lease duration still holds it.
        if (this.options.now() - this.lastRenewedAt < this.options.durationMs) return;
        throw e;
      }
      const lost = new LeaseLostError(`not writing (${what}): ${e.message}`);
      this.markLost(lost);
      throw lost;
    }
  }
}
