import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../../config/errors.js';
import type { GitHubClient, RepoRef } from '../../github/octokit.js';

/** What the runner tells a step about the run, read from its environment in one place. */
export interface RunContext {
  repo: RepoRef;
  eventName: string;
  sha: string;
  /** The pull request of a pull_request event: its number and head commit. */
  pullRequest?: { number: number; headSha: string };
  runUrl?: string;
  /** GITHUB_RUN_ID: the run this step belongs to. */
  runId?: number;
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo)
    throw new ConfigurationError(
      'GITHUB_REPOSITORY is not set: expected "owner/repo", as the runner sets it',
    );
  let payload: { pull_request?: { number?: number; head?: { sha?: string } } } = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      payload = {};
    }
  }
  const pr = payload.pull_request;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    repo: { owner, repo },
    eventName: env.GITHUB_EVENT_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    ...(pr?.number && pr.head?.sha ? { pullRequest: { number: pr.number, headSha: pr.head.sha } } : {}),
    ...(env.GITHUB_RUN_ID ? { runUrl: `${server}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` } : {}),
    ...(Number(env.GITHUB_RUN_ID) > 0 ? { runId: Number(env.GITHUB_RUN_ID) } : {}),
  };
}

/**
 * The pull request whose reviewed plan a push to main should apply: the one
 * the pushed commit belongs to (its merge commit or its head).
 */
export async function pullRequestForCommit(
  octokit: GitHubClient,
  context: RunContext,
): Promise<{ number: number; headSha: string } | undefined> {
  if (context.pullRequest) return context.pullRequest;
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    ...context.repo,
    commit_sha: context.sha,
  });
  const pr = data.find((p) => p.merge_commit_sha === context.sha) ?? data[0];
  return pr ? { number: pr.number, headSha: pr.head.sha } : undefined;
}
