import { Octokit } from '@octokit/rest';

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
  return new Octokit({ auth: token, baseUrl, userAgent: 'glidepath' });
}
