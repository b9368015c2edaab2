import type { GitHubClient, RepoRef } from './octokit.js';

/**
 * One tracking issue per key (for drift: directory + workspace), found by a
 * label and a hidden marker in its body: opened when there is something to
 * report, updated while it lasts, closed with a comment when it is gone.
 */

export const TRACKING_LABEL = 'glidepath-drift';

function marker(key: string): string {
  return `<!-- glidepath:issue ${key.replace(/--+/g, '-').replace(/>/g, '')} -->`;
}

export type IssueAction = 'opened' | 'updated' | 'closed' | 'none';

export interface TrackingResult {
  action: IssueAction;
  number?: number;
  htmlUrl?: string;
}

async function findOpen(octokit: GitHubClient, repo: RepoRef, key: string, label: string) {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...repo,
    state: 'open',
    labels: label,
    per_page: 100,
  });
  return issues.find((i) => !i.pull_request && i.body?.includes(marker(key)));
}

/** Opens or updates the issue for `key` with `body`, or closes it when `body` is undefined (all clear). */
export async function syncTrackingIssue(
  octokit: GitHubClient,
  repo: RepoRef,
  options: { key: string; title: string; body: string | undefined; label?: string; closingComment?: string },
): Promise<TrackingResult> {
  const label = options.label ?? TRACKING_LABEL;
  const existing = await findOpen(octokit, repo, options.key, label);
  if (options.body === undefined) {
    if (!existing) return { action: 'none' };
    if (options.closingComment) {
      await octokit.rest.issues.createComment({
        ...repo,
        issue_number: existing.number,
        body: options.closingComment,
      });
    }
    await octokit.rest.issues.update({
      ...repo,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
    });
    return { action: 'closed', number: existing.number, htmlUrl: existing.html_url };
  }
  const body = `${marker(options.key)}\n${options.body}`;
  if (existing) {
    await octokit.rest.issues.update({ ...repo, issue_number: existing.number, title: options.title, body });
    return { action: 'updated', number: existing.number, htmlUrl: existing.html_url };
  }
  const { data } = await octokit.rest.issues.create({ ...repo, title: options.title, body, labels: [label] });
  return { action: 'opened', number: data.number, htmlUrl: data.html_url };
}
