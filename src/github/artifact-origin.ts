import type { GitHubClient, RepoRef } from './octokit.js';

/**
 * Finds the plan artifact a pull request's plan job uploaded, and only that
 * one. Artifact names are not unique across runs: any workflow of the
 * repository, and the run of a fork's pull request, can upload one of the
 * same name. So every candidate's origin is checked through the API before
 * anything is downloaded:
 * - its run is a run of the same workflow (`workflow_id`) as the run asking;
 * - the run was triggered by `pull_request` in this repository, with the
 *   pull request's head commit, from a head branch of this repository (a
 *   fork's run has `head_repository` = the fork;
 *   docs.github.com/rest/actions/workflow-runs#get-a-workflow-run);
 * - the artifact's own `workflow_run` says the same (head SHA, repository and
 *   head repository ids; docs.github.com/rest/actions/artifacts) and it has
 *   not expired.
 */

export interface ArtifactOrigin {
  artifactId: number;
  name: string;
  runId: number;
  createdAt: string;
}

export interface ArtifactQuery {
  repo: RepoRef;
  name: string;
  /** The pull request's head commit, which the plan job ran on. */
  headSha: string;
  /** The run asking (GITHUB_RUN_ID): its workflow is the one whose artifacts count. */
  ownRunId: number;
}

export class ArtifactRefused extends Error {}

interface RunFacts {
  workflowId: number;
  path: string;
  event: string;
  headSha: string;
  repositoryId: number;
  repositoryName: string;
  headRepositoryId: number | undefined;
  headRepositoryName: string | undefined;
}

async function runFacts(octokit: GitHubClient, repo: RepoRef, runId: number): Promise<RunFacts> {
  const { data } = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId });
  return {
    workflowId: data.workflow_id,
    path: data.path,
    event: data.event,
    headSha: data.head_sha,
    repositoryId: data.repository.id,
    repositoryName: data.repository.full_name,
    headRepositoryId: data.head_repository?.id,
    headRepositoryName: data.head_repository?.full_name,
  };
}

export async function findReviewedArtifact(
  octokit: GitHubClient,
  query: ArtifactQuery,
): Promise<ArtifactOrigin> {
  const own = await runFacts(octokit, query.repo, query.ownRunId);
  const artifacts = await octokit.paginate(octokit.rest.actions.listArtifactsForRepo, {
    ...query.repo,
    name: query.name,
    per_page: 100,
  });
  const refusals: string[] = [];
  const accepted: ArtifactOrigin[] = [];
  const runs = new Map<number, RunFacts>();
  for (const a of artifacts) {
    if (a.name !== query.name) continue;
    const where = `artifact ${a.id}`;
    const wr = a.workflow_run;
    if (a.expired) {
      refusals.push(`${where} has expired`);
      continue;
    }
    if (!wr?.id) {
      refusals.push(`${where} names no workflow run`);
      continue;
    }
    if (wr.head_sha !== query.headSha) {
      refusals.push(
        `${where} was made for commit ${(wr.head_sha ?? '?').slice(0, 12)}, not the head ${query.headSha.slice(0, 12)}`,
      );
      continue;
    }
    if (wr.repository_id !== own.repositoryId || wr.head_repository_id !== own.repositoryId) {
      refusals.push(`${where} comes from a run of another repository (a fork's pull request)`);
      continue;
    }
    let run = runs.get(wr.id);
    if (!run) {
      run = await runFacts(octokit, query.repo, wr.id);
      runs.set(wr.id, run);
    }
    if (run.workflowId !== own.workflowId) {
      refusals.push(`${where} was uploaded by another workflow (${run.path}), not ${own.path}`);
      continue;
    }
    if (run.event !== 'pull_request') {
      refusals.push(`${where} comes from a ${run.event} run, not the pull request's own pull_request run`);
      continue;
    }
    if (run.repositoryId !== own.repositoryId || run.headRepositoryId !== own.repositoryId) {
      refusals.push(
        `${where} comes from a run on ${run.headRepositoryName ?? 'an unknown repository'}, not ${own.repositoryName} (a fork's pull request)`,
      );
      continue;
    }
    if (run.headSha !== query.headSha) {
      refusals.push(
        `${where} comes from a run on commit ${run.headSha.slice(0, 12)}, not ${query.headSha.slice(0, 12)}`,
      );
      continue;
    }
    accepted.push({ artifactId: a.id, name: a.name, runId: wr.id, createdAt: a.created_at ?? '' });
  }
  if (accepted.length === 0) {
    throw new ArtifactRefused(
      refusals.length === 0
        ? `no artifact named ${query.name} exists (expired, or the pull request's plan job did not run on its last commit)`
        : `no artifact named ${query.name} comes from this workflow's pull_request run on ${query.headSha.slice(0, 12)}: ${refusals.slice(0, 5).join('; ')}${refusals.length > 5 ? `; and ${refusals.length - 5} more` : ''}`,
    );
  }
  // A re-run of the plan job uploads again; the newest is the one its comment describes.
  accepted.sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.artifactId - x.artifactId);
  return accepted[0] as ArtifactOrigin;
}

/**
 * The artifact a job of this very run uploaded (an upgrade's plan job, before
 * the environment's reviewers approved the apply job of the same run). Only
 * the run's own jobs can upload into a run, so the run id is the origin.
 */
export async function findRunArtifact(
  octokit: GitHubClient,
  query: { repo: RepoRef; name: string; runId: number },
): Promise<ArtifactOrigin> {
  const artifacts = await octokit.paginate(octokit.rest.actions.listWorkflowRunArtifacts, {
    ...query.repo,
    run_id: query.runId,
    name: query.name,
    per_page: 100,
  });
  const found = artifacts.find(
    (a) => a.name === query.name && !a.expired && a.workflow_run?.id === query.runId,
  );
  if (!found)
    throw new ArtifactRefused(
      `run ${query.runId} has no artifact named ${query.name}: the plan job of this run did not upload its plan (is plan-encryption-key set?)`,
    );
  return { artifactId: found.id, name: found.name, runId: query.runId, createdAt: found.created_at ?? '' };
}
