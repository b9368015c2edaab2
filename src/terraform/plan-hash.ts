import { createHash } from 'node:crypto';

/** What the sticky comment records about the reviewed plan, so apply can insist on the same bytes. */
export interface PlanRecord {
  sha256: string;
  /** The commit the plan was made for (the pull request head). */
  commit: string;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The record is the fixed last line of the comment glidepath writes. It is read
 * from that line only: the rendered plan above it holds text the pull request
 * controls (a resource's attribute can be any string), so a record-like string
 * anywhere else in the body is never believed.
 */
const RECORD = /^<!-- glidepath:plan sha256=([0-9a-f]{64}) commit=([0-9a-f]{40}|[0-9a-f]{64}) -->$/;

export function formatPlanRecord(record: PlanRecord): string {
  return `<!-- glidepath:plan sha256=${record.sha256} commit=${record.commit} -->`;
}

export function readPlanRecord(body: string): PlanRecord | undefined {
  const lines = body.replace(/\r\n/g, '\n').trimEnd().split('\n');
  const m = RECORD.exec(lines[lines.length - 1] ?? '');
  return m ? { sha256: m[1] as string, commit: m[2] as string } : undefined;
}

/**
 * Makes text that the pull request controls unable to pass for glidepath's own
 * markers (the sticky marker, the plan record): a word joiner after `<!` keeps
 * it readable but no longer an HTML comment opener.
 */
export function neutralizeMarkers(text: string): string {
  return text.replace(/<!--/g, '<!\u2060--');
}

export type ApplyCheck = { ok: true } | { ok: false; reason: string };

/**
 * Apply only the plan a reviewer saw: same bytes, made for the commit that was
 * merged. (A plan made against an older state is refused by Terraform itself:
 * "Saved plan is stale"; the runner turns that into a reason too.)
 */
export function checkPlanForApply(
  recorded: PlanRecord | undefined,
  actual: { sha256: string; commit: string },
): ApplyCheck {
  if (!recorded) {
    return {
      ok: false,
      reason:
        'no reviewed plan was recorded: the pull request has no glidepath plan comment for this directory and workspace',
    };
  }
  if (recorded.commit !== actual.commit) {
    return {
      ok: false,
      reason: `the reviewed plan was made for commit ${recorded.commit.slice(0, 12)}, but the pull request's head is ${actual.commit.slice(0, 12)}: plan again on the latest commit and review it`,
    };
  }
  if (recorded.sha256 !== actual.sha256) {
    return {
      ok: false,
      reason: `the plan file's SHA-256 ${actual.sha256.slice(0, 12)}… differs from the reviewed plan's ${recorded.sha256.slice(0, 12)}…: this is not the plan that was reviewed`,
    };
  }
  return { ok: true };
}
