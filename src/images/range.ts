/** What to compare: two commits, or every service (nothing sensible to compare with). */
export type Range =
  | { kind: 'diff'; base: string; head: string; reason: string }
  | { kind: 'all'; head: string; reason: string };

export interface EventInfo {
  /** GITHUB_EVENT_NAME */
  eventName: string;
  /** GITHUB_SHA */
  sha: string;
  /** The webhook payload from GITHUB_EVENT_PATH (empty when absent). */
  payload: Record<string, unknown>;
}

const ZERO_SHA = /^0+$/;

/**
 * Picks base and head from the event unless given: a pull request compares its base with the merge
 * commit GitHub checks out (exactly the PR's changes); a push compares `before` with `after`;
 * anything else (workflow_dispatch, schedule, a tag push, a new branch) builds every service.
 */
export function resolveRange(event: EventInfo, override: { base?: string; head?: string } = {}): Range {
  const head = override.head || event.sha || 'HEAD';
  if (override.base) return { kind: 'diff', base: override.base, head, reason: 'base given as input' };
  const p = event.payload;
  switch (event.eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const pr = record(p.pull_request);
      const base = string(record(pr.base).sha);
      // pull_request_target checks out the base branch, so the PR's own head is the one to build.
      const prHead = event.eventName === 'pull_request_target' ? string(record(pr.head).sha) : undefined;
      if (base)
        return { kind: 'diff', base, head: override.head || prHead || head, reason: 'pull request base' };
      return { kind: 'all', head, reason: 'pull request event without a base SHA' };
    }
    case 'merge_group': {
      const group = record(p.merge_group);
      const base = string(group.base_sha);
      if (base)
        return {
          kind: 'diff',
          base,
          head: override.head || string(group.head_sha) || head,
          reason: 'merge group base',
        };
      return { kind: 'all', head, reason: 'merge group event without a base SHA' };
    }
    case 'push': {
      const before = string(p.before);
      const ref = string(p.ref) ?? '';
      if (ref.startsWith('refs/tags/'))
        return { kind: 'all', head, reason: `tag push (${ref}): release builds every service` };
      // A new branch has no `before`; its fork point is unknown without full history, so rather
      // than guess, build everything once.
      if (!before || ZERO_SHA.test(before))
        return { kind: 'all', head, reason: 'new branch: no previous push to compare with' };
      return {
        kind: 'diff',
        base: before,
        head: override.head || string(p.after) || head,
        reason: 'push `before`',
      };
    }
    default:
      return { kind: 'all', head, reason: `${event.eventName || 'unknown'} event builds every service` };
  }
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function string(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
