import type { Plan } from './plan.js';
import { GITHUB_COMMENT_LIMIT, renderPlan } from './render.js';

export interface DriftReport {
  drifted: boolean;
  title: string;
  /** The issue body, or undefined when there is nothing to report (the issue gets closed). */
  body: string | undefined;
}

/** A refresh-only plan read as a drift report for one directory and workspace. */
export function driftReport(
  plan: Plan,
  where: { directory: string; workspace: string },
  runUrl?: string,
): DriftReport {
  const title = `Terraform drift in ${where.directory} (workspace ${where.workspace})`;
  const drifted = plan.drift.length > 0;
  if (!drifted) return { drifted, title, body: undefined };
  const footer = runUrl
    ? `\n\nFound by [this scheduled run](${runUrl}). This issue is updated on each run and closed when the drift is gone.`
    : '';
  const rendered = renderPlan(plan, {
    title: `Changed outside Terraform: \`${where.directory}\` (workspace \`${where.workspace}\`)`,
    maxChars: GITHUB_COMMENT_LIMIT - footer.length - 200,
    refreshOnly: true,
  });
  return { drifted, title, body: `${rendered.markdown}${footer}` };
}
