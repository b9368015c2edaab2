import type { GitHubClient, RepoRef } from './octokit.js';

/**
 * Sticky pull-request comments: one comment per key (for Terraform, directory +
 * workspace), found again by a hidden HTML marker and edited in place, so a
 * pull request never collects a pile of outdated plans.
 */

export function stickyMarker(key: string): string {
  // `--` cannot appear inside an HTML comment; keep the key readable but safe.
  return `<!-- glidepath:sticky ${key.replace(/--+/g, '-').replace(/>/g, '')} -->`;
}

export interface StickyComment {
  id: number;
  body: string;
  htmlUrl: string;
}

export async function findStickyComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  key: string,
): Promise<StickyComment | undefined> {
  const marker = stickyMarker(key);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const found = comments.find((c) => c.body?.startsWith(marker));
  return found ? { id: found.id, body: found.body ?? '', htmlUrl: found.html_url } : undefined;
}

/** Creates the comment, or updates the one carrying the same marker. */
export async function upsertStickyComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  key: string,
  body: string,
): Promise<StickyComment & { created: boolean }> {
  const full = `${stickyMarker(key)}\n${body}`;
  const existing = await findStickyComment(octokit, repo, issueNumber, key);
  if (existing) {
    const { data } = await octokit.rest.issues.updateComment({
      ...repo,
      comment_id: existing.id,
      body: full,
    });
    return { id: data.id, body: data.body ?? full, htmlUrl: data.html_url, created: false };
  }
  const { data } = await octokit.rest.issues.createComment({
    ...repo,
    issue_number: issueNumber,
    body: full,
  });
  return { id: data.id, body: data.body ?? full, htmlUrl: data.html_url, created: true };
}
