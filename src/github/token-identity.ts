import type { GitHubClient } from './octokit.js';

/**
 * The login a token acts as, i.e. the author GitHub writes on the comments it
 * posts. `GET /user` answers for personal and user-to-server tokens only;
 * installation tokens (the job's GITHUB_TOKEN, a GitHub App's token) get 403
 * "Resource not accessible by integration", and `GET /app` needs the app's
 * JWT. GraphQL's `viewer` answers for both kinds: a user's login, or
 * `<app-slug>[bot]` (`github-actions[bot]` for GITHUB_TOKEN), the same login
 * as `user.login` of the comments that token writes.
 * (docs.github.com/rest/users/users#get-the-authenticated-user,
 * docs.github.com/graphql/reference/queries#viewer)
 */
export async function tokenIdentity(octokit: GitHubClient): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (e: unknown) {
    const status = (e as { status?: number }).status;
    if (status !== 403 && status !== 401) throw e;
  }
  const result = await octokit.graphql<{ viewer?: { login?: string } }>('query { viewer { login } }');
  const login = result.viewer?.login;
  if (!login) throw new Error('GitHub did not say which identity the token acts as (GraphQL viewer.login)');
  return login;
}
