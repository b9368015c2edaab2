import { diffLines, formatDiff } from './diff.js';
import {
  type ChangeKind,
  countChanges,
  hasChanges,
  isDestructive,
  type OutputChange,
  type Plan,
  type PlanCounts,
  type ResourceChange,
  visibleChanges,
} from './plan.js';

/**
 * One Markdown body for the sticky PR comment, the job summary, the drift issue
 * and the CLI. Pure: plan in, text out.
 */

/** GitHub rejects issue and PR comment bodies above 65 536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface RenderOptions {
  /** Heading, e.g. "Terraform plan: `infra/prod` (workspace `default`)". */
  title?: string;
  /** Upper bound for the whole body in characters; diffs are cut to fit. */
  maxChars?: number;
  /** Where the uncut text can be found, named in the cut note. */
  fullTextHint?: string;
}

export interface RenderResult {
  markdown: string;
  verdict: string;
  counts: PlanCounts;
  changes: boolean;
  truncated: boolean;
}

const LABEL: Record<ChangeKind, string> = {
  create: '➕ create',
  update: '🔄 update',
  delete: '❌ delete',
  replace: '± replace (destroy, then create)',
  'replace-create-first': '± replace (create, then destroy)',
  read: '📖 read',
  'no-op': 'no change',
  forget: '🔗 forget (remove from state, keep the object)',
};

const REASON: Record<string, string> = {
  replace_because_cannot_update: 'an attribute cannot be updated in place',
  replace_because_tainted: 'the object is tainted',
  replace_by_request: 'replacement was requested (-replace)',
  replace_by_triggers: 'replace_triggered_by',
  delete_because_no_resource_config: 'no longer in the configuration',
  delete_because_no_module: 'its module is no longer in the configuration',
  delete_because_wrong_repetition: 'count / for_each changed shape',
  delete_because_count_index: 'the count index is gone',
  delete_because_each_key: 'the for_each key is gone',
  delete_because_no_move_target: 'its moved target does not exist',
  read_because_config_unknown: 'its configuration depends on values known only after apply',
  read_because_dependency_pending: 'a dependency has pending changes',
  read_because_check_nested: 'a check block refers to it',
};

export function verdictOf(plan: Plan, counts: PlanCounts = countChanges(plan)): string {
  if (plan.errored) return 'plan errored';
  if (counts.add + counts.change + counts.destroy + counts.replace > 0) {
    return `+${counts.add} ~${counts.change} -${counts.destroy} ±${counts.replace}`;
  }
  if (hasChanges(counts)) return `+0 ~0 -0 ±0`;
  return counts.drift > 0 ? 'drift only' : 'no changes';
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function extras(counts: PlanCounts): string {
  const parts: string[] = [];
  if (counts.import) parts.push(`${counts.import} to import`);
  if (counts.move) parts.push(`${counts.move} moved`);
  if (counts.forget) parts.push(`${counts.forget} to forget`);
  if (counts.read) parts.push(`${counts.read} data source(s) read at apply`);
  if (counts.outputs) parts.push(`${counts.outputs} output change(s)`);
  if (counts.drift) parts.push(`${counts.drift} changed outside Terraform`);
  return parts.join(' · ');
}

function moduleTable(changes: ResourceChange[]): string {
  const rows = new Map<string, Record<'add' | 'change' | 'destroy' | 'replace' | 'other', number>>();
  for (const c of changes) {
    const mod = c.moduleAddress || '(root)';
    const row = rows.get(mod) ?? { add: 0, change: 0, destroy: 0, replace: 0, other: 0 };
    if (c.kind === 'create') row.add++;
    else if (c.kind === 'update') row.change++;
    else if (c.kind === 'delete') row.destroy++;
    else if (c.kind === 'replace' || c.kind === 'replace-create-first') row.replace++;
    else row.other++;
    rows.set(mod, row);
  }
  const lines = ['| Module | Add | Change | Destroy | Replace | Other |', '|---|--:|--:|--:|--:|--:|'];
  for (const [mod, r] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| ${code(mod)} | ${r.add} | ${r.change} | ${r.destroy} | ${r.replace} | ${r.other} |`);
  }
  return lines.join('\n');
}

function describe(c: ResourceChange): string {
  const notes: string[] = [];
  if (c.moved && c.previousAddress) notes.push(`moved from ${c.previousAddress}`);
  if (c.importing) notes.push(c.importingId ? `import id ${c.importingId}` : 'import');
  if (c.actionReason && REASON[c.actionReason]) notes.push(REASON[c.actionReason] as string);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

function resourceDetails(c: ResourceChange, kindLabel = LABEL[c.kind]): string {
  const marker = isDestructive(c) ? '⚠️ ' : '';
  const summary = `${marker}${escapeHtml(kindLabel)} <code>${escapeHtml(c.address)}</code>${escapeHtml(describe(c))}`;
  const body =
    c.kind === 'forget'
      ? 'The object is kept; only Terraform stops managing it (a `removed` block with `destroy = false`).'
      : formatDiff(diffLines(c));
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

function outputDetails(o: OutputChange): string {
  return `<details><summary>${escapeHtml(LABEL[o.kind])} output <code>${escapeHtml(o.name)}</code></summary>\n\n${formatDiff(diffLines(o))}\n\n</details>`;
}

const KIND_ORDER: ChangeKind[] = [
  'delete',
  'replace',
  'replace-create-first',
  'update',
  'create',
  'forget',
  'read',
  'no-op',
];
const MAX_LISTED_DESTRUCTIVE = 100;

/** Renders the plan; sections of per-resource diffs are dropped from the end to stay within maxChars. */
export function renderPlan(plan: Plan, options: RenderOptions = {}): RenderResult {
  const counts = countChanges(plan);
  const verdict = verdictOf(plan, counts);
  const changes = hasChanges(counts);
  const visible = visibleChanges(plan).sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind),
  );
  const destructive = visible.filter(isDestructive);

  const head: string[] = [];
  if (options.title) head.push(`### ${options.title}`);
  const extra = extras(counts);
  head.push(`**${verdict}**${extra ? ` · ${extra}` : ''}`);
  if (plan.errored)
    head.push(
      '> [!CAUTION]\n> The plan errored part-way; what follows is incomplete. See the job log for the error.',
    );
  if (destructive.length > 0) {
    const listed = destructive
      .slice(0, MAX_LISTED_DESTRUCTIVE)
      .map((c) => `> - ⚠️ **${c.kind === 'delete' ? 'delete' : 'replace'}** ${code(c.address)}${describe(c)}`);
    if (destructive.length > MAX_LISTED_DESTRUCTIVE)
      listed.push(`> - … and ${destructive.length - MAX_LISTED_DESTRUCTIVE} more`);
    head.push(`> [!WARNING]\n> **${destructive.length} destructive change(s)**\n${listed.join('\n')}`);
  }
  if (visible.length > 0) head.push(moduleTable(visible));

  const sections: string[] = [];
  for (const c of visible) sections.push(resourceDetails(c));
  const outputs = plan.outputChanges.filter((o) => o.kind !== 'no-op');
  if (outputs.length > 0) sections.push('#### Outputs', ...outputs.map(outputDetails));
  if (plan.drift.length > 0) {
    sections.push(
      '#### Changed outside Terraform',
      ...plan.drift.map((d) =>
        resourceDetails(d, d.kind === 'delete' ? 'deleted outside Terraform' : 'changed outside Terraform'),
      ),
    );
  }

  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  const headText = head.join('\n\n');
  let body = [headText, ...sections].join('\n\n');
  let truncated = false;
  if (body.length > max) {
    truncated = true;
    let kept = 0;
    let size = headText.length;
    const noteFor = (dropped: number) =>
      `> [!NOTE]\n> ${dropped} of ${sections.length} sections were cut to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit. ${options.fullTextHint ?? 'The full plan is in the job summary and the plan artifact.'}`;
    const reserve = noteFor(sections.length).length + 4;
    while (kept < sections.length && size + 2 + (sections[kept] as string).length + reserve <= max) {
      size += 2 + (sections[kept] as string).length;
      kept++;
    }
    body = [headText, ...sections.slice(0, kept), noteFor(sections.length - kept)].join('\n\n');
    if (body.length > max) body = `${body.slice(0, max - reserve)}\n\n${noteFor(sections.length - kept)}`;
  }
  return { markdown: `${body}\n`, verdict, counts, changes, truncated };
}
