import type { Clock } from '../../src/rollout/engine.js';

/**
 * Simulated time with timers: time moves only when the code under test sleeps, and a sleep that
 * spans a timer's due time runs that timer first (awaited), as a real event loop would have
 * fired it meanwhile. This is what lets a test hold a readiness wait or a promotion for longer
 * than the Lease in milliseconds of real time, while the Lease renewal timer still fires.
 * `at(time, fn)` runs test code (another run taking the Lease, a cancel) at a simulated instant.
 */
export class SteppedClock implements Clock {
  private time: number;
  private timers: Array<{ due: number; every?: number; fn: () => Promise<void> | void }> = [];
  readonly start: number;

  constructor(start = Date.UTC(2026, 2, 1, 12)) {
    this.time = start;
    this.start = start;
  }

  now(): number {
    return this.time;
  }

  /** Milliseconds of simulated time since the start. */
  get elapsed(): number {
    return this.time - this.start;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      if (signal?.aborted) return;
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.time = Math.max(this.time, next.due);
      if (next.every === undefined) this.timers = this.timers.filter((t) => t !== next);
      else next.due += next.every;
      await next.fn();
    }
    if (!signal?.aborted) this.time = target;
  }

  every(ms: number, fn: () => Promise<void>): () => void {
    const timer = { due: this.time + ms, every: ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Runs `fn` once simulated time reaches `elapsedMs` after the start. */
  at(elapsedMs: number, fn: () => Promise<void> | void): void {
    this.timers.push({ due: this.start + elapsedMs, fn });
  }
}
