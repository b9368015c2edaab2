import type { MinimumTraffic } from '../analysis/sample-size.js';
import type { StepEvidence, TickOutcome } from './analysis-tick.js';
import type { HookResult } from './hooks.js';

export type RolloutOutcome = 'promoted' | 'rolled-back' | 'failed';

export interface StepRecord {
  index: number;
  weights: { primary: number; canary: number };
  startedAt: string;
  endedAt?: string;
  /**
   * advanced (after the full soak), advanced-early (sequential test), failed, no-data (held past the
   * deadline), undecided (the sequential test had too little evidence by maxStepDuration).
   */
  result?: 'advanced' | 'advanced-early' | 'failed' | 'no-data' | 'undecided' | 'cancelled' | 'error';
  /** The sequential test's requests seen at this step against the requests it needs. */
  evidence?: StepEvidence;
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
  /** The traffic the schedule needs for the sequential test to decide, and what the service had. */
  minimumTraffic?: MinimumTraffic;
  dryRun?: boolean;
}
