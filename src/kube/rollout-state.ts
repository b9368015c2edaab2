/**
 * The rollout's state as annotations on its Lease, so a later run can find what a runner that
 * died left behind. Values are strings (annotations are); these functions are the only place
 * that knows the keys and formats.
 */
export type RolloutPhase =
  | 'progressing'
  | 'promoting'
  | 'rolling-back'
  | 'promoted'
  | 'rolled-back'
  | 'failed';

export interface RolloutState {
  /** What is being rolled out (e.g. the image digest or the manifest hash). */
  revision: string;
  /** Index of the current step, 0-based; -1 before the first. */
  step: number;
  weights: { stable: number; canary: number };
  /** The workflow run that owns the rollout, `<repo>/<run_id>/<attempt>`. */
  runId: string;
  /** RFC 3339. */
  startedAt: string;
  phase: RolloutPhase;
  /** The router config as JSON, so a janitor can restore traffic without the rollout file. */
  router: string;
  /**
   * The primary Deployment's spec (JSON) before a promotion started, so that the post step or the
   * janitor can put it back when the promotion was cut short (cancel, crash, lost Lease).
   */
  previousPrimary: string;
}

export const ROLLOUT_ANNOTATIONS = {
  revision: 'glidepath.dev/revision',
  step: 'glidepath.dev/step',
  weights: 'glidepath.dev/weights',
  runId: 'glidepath.dev/run-id',
  startedAt: 'glidepath.dev/started-at',
  phase: 'glidepath.dev/phase',
  router: 'glidepath.dev/router',
  previousPrimary: 'glidepath.dev/previous-primary',
} as const;

const PHASES: readonly RolloutPhase[] = [
  'progressing',
  'promoting',
  'rolling-back',
  'promoted',
  'rolled-back',
  'failed',
];

export function rolloutStateAnnotations(state: Partial<RolloutState>): Record<string, string> {
  const out: Record<string, string> = {};
  if (state.revision !== undefined) out[ROLLOUT_ANNOTATIONS.revision] = state.revision;
  if (state.step !== undefined) out[ROLLOUT_ANNOTATIONS.step] = String(state.step);
  if (state.weights !== undefined)
    out[ROLLOUT_ANNOTATIONS.weights] = `stable=${state.weights.stable},canary=${state.weights.canary}`;
  if (state.runId !== undefined) out[ROLLOUT_ANNOTATIONS.runId] = state.runId;
  if (state.startedAt !== undefined) out[ROLLOUT_ANNOTATIONS.startedAt] = state.startedAt;
  if (state.phase !== undefined) out[ROLLOUT_ANNOTATIONS.phase] = state.phase;
  if (state.router !== undefined) out[ROLLOUT_ANNOTATIONS.router] = state.router;
  if (state.previousPrimary !== undefined) out[ROLLOUT_ANNOTATIONS.previousPrimary] = state.previousPrimary;
  return out;
}

/** The fields present and well-formed; a malformed value reads as absent (someone edited it by hand). */
export function readRolloutState(annotations: Record<string, string> | undefined): Partial<RolloutState> {
  const a = annotations ?? {};
  const state: Partial<RolloutState> = {};
  const revision = a[ROLLOUT_ANNOTATIONS.revision];
  if (revision) state.revision = revision;
  const step = a[ROLLOUT_ANNOTATIONS.step];
  if (step !== undefined && /^-?\d+$/.test(step)) state.step = Number(step);
  const weights = a[ROLLOUT_ANNOTATIONS.weights]?.match(/^stable=(\d+),canary=(\d+)$/);
  if (weights) state.weights = { stable: Number(weights[1]), canary: Number(weights[2]) };
  const runId = a[ROLLOUT_ANNOTATIONS.runId];
  if (runId) state.runId = runId;
  const startedAt = a[ROLLOUT_ANNOTATIONS.startedAt];
  if (startedAt && !Number.isNaN(Date.parse(startedAt))) state.startedAt = startedAt;
  const phase = a[ROLLOUT_ANNOTATIONS.phase];
  if (phase && (PHASES as readonly string[]).includes(phase)) state.phase = phase as RolloutPhase;
  const router = a[ROLLOUT_ANNOTATIONS.router];
  if (router) state.router = router;
  const previousPrimary = a[ROLLOUT_ANNOTATIONS.previousPrimary];
  if (previousPrimary) state.previousPrimary = previousPrimary;
  return state;
}
