import * as core from '@actions/core';

/** What main records for the post step, which runs even when the job is cancelled. */
export interface CanaryState {
  /** Set once the first write may have happened: the post step only undoes what a run started. */
  started: boolean;
  /** Set once main holds the rollout lock: before that it wrote nothing the post step may undo. */
  leased: boolean;
  /** Set when main ended the rollout itself (promoted or rolled back). */
  finished: boolean;
  config: string;
  manifest: string;
  image: string;
  kubeconfig?: string;
}

export function saveStarted(state: Omit<CanaryState, 'started' | 'leased' | 'finished'>): void {
  core.saveState('config', state.config);
  core.saveState('manifest', state.manifest);
  core.saveState('image', state.image);
  if (state.kubeconfig) core.saveState('kubeconfig', state.kubeconfig);
  core.saveState('started', 'true');
}

export function saveLeased(): void {
  core.saveState('leased', 'true');
}

export function saveFinished(): void {
  core.saveState('finished', 'true');
}

export function readState(): CanaryState {
  return {
    started: core.getState('started') === 'true',
    leased: core.getState('leased') === 'true',
    finished: core.getState('finished') === 'true',
    config: core.getState('config'),
    manifest: core.getState('manifest'),
    image: core.getState('image'),
    kubeconfig: core.getState('kubeconfig') || undefined,
  };
}

/**
 * One bundle serves main and post (docker/build-push-action's state-helper:
 * `IsPost = !!process.env['STATE_isPost']`): main saves `isPost` first thing,
 * and the runner hands saved state only to the post step, as STATE_<name>.
 */
export function isPost(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.STATE_isPost;
}

export function saveIsPost(): void {
  core.saveState('isPost', 'true');
}
