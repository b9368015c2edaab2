import type { TickOutcome } from './analysis-tick.js';
import type { HookResult } from './hooks.js';

export type RolloutOutcome = 'promoted' | 'rolled-back' | 'failed';

export interface StepRecord {
  index: number;
  weights: { primary: number; canary: number };
  startedAt: string;
  endedAt?: string;
  /** advanced (after the full soak), advanced-early (sequential test), failed, or held-out (no data past the deadline). */
  result?: 'advanced' | 'advanced-early' | 'failed' | 'no-data' | 'cancelled' | 'error';
  ticks: TickOutcome[];
}

export interface Decision {
  at: string;
  action: string;
  reason: string;
}

/** Everything a rollout decided and why: the action's JSON report, job summary and CLI output all come from it. */
export interface RolloutReport {
  service: string;
  namespace: string;
  revision: string;
  router: string;
  startedAt: string;
  endedAt?: string;
  outcome?: RolloutOutcome;
  reason?: string;
  /** What the data plane was last confirmed to serve (not merely what the route's spec asks for). */
  finalWeights?: { primary: number; canary: number };
  /**
   * Which version serves at the end: `new` (promoted, or a promotion that could not be put back),
   * `previous` (100 % primary on the old spec), `split` (a rollback that did not complete), or
   * `unknown` (this run lost the Lease mid-promotion; the run that holds it now decides).
   */
  serving?: 'new' | 'previous' | 'split' | 'unknown';
  steps: StepRecord[];
  hooks: HookResult[];
  decisions: Decision[];
  dryRun?: boolean;
}
