import { ALL_PRIMARY, type PlannedWrite, type TrafficRouter, type Weights } from '../mesh/router.js';
import type { Clock } from '../rollout/engine.js';
import type { PreviousRollout, RolloutLock, Workloads } from '../rollout/workloads.js';

/** A router whose split lives in memory: for simulated rollouts (benchmarks, tests of the engine alone). */
export class MemoryRouter implements TrafficRouter {
  readonly provider = 'memory';
  weights: Weights = ALL_PRIMARY;
  readonly history: Weights[] = [];

  async validate(): Promise<PlannedWrite[]> {
    return [];
  }
  async ensure(): Promise<void> {}
  async setWeights(weights: Weights): Promise<Weights> {
    this.weights = weights;
    this.history.push(weights);
    return weights;
  }
  async getWeights(): Promise<Weights | undefined> {
    return this.weights;
  }
  async reset(): Promise<Weights> {
    return this.setWeights(ALL_PRIMARY);
  }
}

export class MemoryWorkloads implements Workloads {
  readonly events: string[] = [];
  revertPrimary?: () => Promise<void>;
  constructor(readonly revision: string) {}
  async validate(): Promise<PlannedWrite[]> {
    return [];
  }
  async ensurePrimary(): Promise<boolean> {
    return false;
  }
  async deployCanary(): Promise<void> {
    this.events.push('deploy-canary');
  }
  async promotePrimary(): Promise<void> {
    this.events.push('promote');
  }
  async scaleDownCanary(): Promise<void> {
    this.events.push('scale-down-canary');
  }
}

export class MemoryLock implements RolloutLock {
  state: Parameters<RolloutLock['record']>[0] | undefined;
  held = false;
  async acquire(): Promise<{ previous: PreviousRollout | undefined }> {
    if (this.held) throw new Error('another rollout holds the lock');
    this.held = true;
    return { previous: undefined };
  }
  async record(state: Parameters<RolloutLock['record']>[0]): Promise<void> {
    this.state = state;
  }
  async heartbeat(): Promise<void> {}
  async release(): Promise<void> {
    this.held = false;
  }
}

/** Simulated time: sleep moves the clock forward at once. */
export class VirtualClock implements Clock {
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
}
