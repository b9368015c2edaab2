import type { GitHubClient, RepoRef } from './octokit.js';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/**
 * A GitHub Deployment for the rollout's environment, so the environment page
 * shows what runs where and how the canary went.
 */
export class DeploymentTracker {
  private id: number | undefined;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repo: RepoRef,
    private readonly environment: string,
  ) {}

  async start(ref: string, description: string, payload: Record<string, unknown>): Promise<void> {
    const created = await this.octokit.rest.repos.createDeployment({
      ...this.repo,
      ref,
      environment: this.environment,
      description: description.slice(0, 140),
      auto_merge: false,
      // The canary's own analysis is the gate; commit statuses were checked by the workflow already.
      required_contexts: [],
      transient_environment: false,
      payload: JSON.stringify(payload),
    });
    this.id = (created.data as { id?: number }).id;
    await this.status('in_progress', description);
  }

  async status(state: DeploymentState, description: string, logUrl?: string): Promise<void> {
    if (this.id === undefined) return;
    await this.octokit.rest.repos.createDeploymentStatus({
      ...this.repo,
      deployment_id: this.id,
      state,
      description: description.slice(0, 140),
      environment: this.environment,
      ...(logUrl ? { log_url: logUrl } : {}),
    });
  }
}
