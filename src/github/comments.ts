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
  /** Login of the comment's author (`user.login`). */
  author: string;
}

/**
 * The comment carrying `key`'s marker written by `author`. Anyone who can
 * comment on a pull request can paste the marker, so a comment by anyone else
 * is never taken for glidepath's own (and never edited: GitHub would refuse).
 */
export async function findStickyComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  key: string,
  author?: string,
): Promise<StickyComment | undefined> {
  const marker = stickyMarker(key);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const found = comments.find(
    (c) => c.body?.startsWith(marker) && (author === undefined || c.user?.login === author),
  );
  return found
    ? { id: found.id, body: found.body ?? '', htmlUrl: found.html_url, author: found.user?.login ?? '' }
    : undefined;
}

/** Creates the comment, or updates the one carrying the same marker. */
export async function upsertStickyComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  key: string,
  body: string,
  author?: string,
): Promise<StickyComment & { created: boolean }> {
  const full = `${stickyMarker(key)}\n${body}`;
  const existing = await findStickyComment(octokit, repo, issueNumber, key, author);
  if (existing) {
    const { data } = await octokit.rest.issues.updateComment({
      ...repo,
      comment_id: existing.id,
      body: full,
    });
    return {
      id: data.id,
      body: data.body ?? full,
      htmlUrl: data.html_url,
      author: data.user?.login ?? '',
      created: false,
    };
  }
  const { data } = await octokit.rest.issues.createComment({
    ...repo,
    issue_number: issueNumber,
    body: full,
  });
  return {
    id: data.id,
    body: data.body ?? full,
    htmlUrl: data.html_url,
    author: data.user?.login ?? '',
    created: true,
  };
}
