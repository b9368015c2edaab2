import * as core from '@actions/core';
import { upsertStickyComment } from '../../github/comments.js';
import type { GitHubClient, RepoRef } from '../../github/octokit.js';
import { tokenIdentity } from '../../github/token-identity.js';
import type { Plan } from '../../terraform/plan.js';
import { GITHUB_COMMENT_LIMIT, renderPlan } from '../../terraform/render.js';

export interface PlanCommentOptions {
  repo: RepoRef;
  pullRequest: number;
  key: string;
  plan: Plan;
  title: string;
  /** The record line (formatPlanRecord), always the comment's last line. */
  record: string;
  footer: string;
  fullTextHint: string;
}

function statusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The sticky plan comment, as the token's own identity (apply later believes
 * only that author). A token that may not comment (a fork's pull request gets
 * a read-only GITHUB_TOKEN; a job without `pull-requests: write`) leaves the
 * plan in the job summary and warns, rather than failing the plan.
 * (docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication#permissions-for-the-github_token)
 */
export async function postPlanComment(octokit: GitHubClient, options: PlanCommentOptions): Promise<void> {
  const tail = `\n\n<sub>${options.footer}</sub>\n${options.record}`;
  const comment = renderPlan(options.plan, {
    title: options.title,
    // The sticky marker line and the tail are added around the rendered plan.
    maxChars: GITHUB_COMMENT_LIMIT - tail.length - 200,
    fullTextHint: options.fullTextHint,
  });
  try {
    const author = await tokenIdentity(octokit);
    const sticky = await upsertStickyComment(
      octokit,
      options.repo,
      options.pullRequest,
      options.key,
      `${comment.markdown.trimEnd()}${tail}`,
      author,
    );
    core.info(`${sticky.created ? 'Created' : 'Updated'} the plan comment ${sticky.htmlUrl}`);
  } catch (e: unknown) {
    const status = statusOf(e);
    if (status !== 403 && status !== 404) throw e;
    core.warning(
      `could not post the plan comment on pull request #${options.pullRequest}: GitHub answered ${status} (${e instanceof Error ? e.message : String(e)}). The job needs \`permissions: pull-requests: write\`; a pull request from a fork gets a read-only token, so its plan is in the job summary only, and it cannot be applied from a comment.`,
    );
  }
}
