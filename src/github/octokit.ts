import { Octokit } from '@octokit/rest';
import { describeNetworkError } from '../metrics/network-error.js';

export type GitHubClient = Octokit;

export interface RepoRef {
  owner: string;
  repo: string;
}

/**
 * One REST client for every GitHub call. The base URL comes from the runner's
 * GITHUB_API_URL so GitHub Enterprise Server works without configuration.
 */
export function createOctokit(
  token: string,
  baseUrl = process.env.GITHUB_API_URL || 'https://api.github.com',
): GitHubClient {
  const octokit = new Octokit({ auth: token, baseUrl, userAgent: 'glidepath' });
  // @octokit/request turns a failed fetch into a RequestError with status 500,
  // no response and the cause's message, which for a refused connection (an
  // AggregateError) is empty: name the cause and the host instead.
  octokit.hook.error('request', (error: unknown, options) => {
    if (error instanceof Error && !(error as { response?: unknown }).response) {
      error.message = `GitHub API request ${options.method} ${String(options.url)} failed: ${describeNetworkError(error, options.baseUrl ?? baseUrl)}`;
    }
    throw error;
  });
  return octokit;
}
