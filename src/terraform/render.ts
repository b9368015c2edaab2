import { formatCount } from '../github/format.js';
import { diffLines, formatDiff, pathText, under } from './diff.js';
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
import { neutralizeMarkers } from './plan-hash.js';

/**
 * One Markdown body for the sticky PR comment, the job summary, the drift issue
 * and the CLI. Pure: plan in, text out.
 */

/** GitHub rejects issue and PR comment bodies above 65 536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** GitHub rejects a job summary above 1 MiB of bytes (docs.github.com: "Step isolation and limits"). */
export const GITHUB_SUMMARY_BYTES = 1024 * 1024;

export interface RenderOptions {
  /** Heading, e.g. "Terraform plan: `infra/prod` (workspace `default`)". */
  title?: string;
  /** Upper bound for the whole body in characters; diffs are cut to fit. Infinity: never cut. */
  maxChars?: number;
  /** Upper bound in UTF-8 bytes (what the job summary limit counts); applies with maxChars. */
  maxBytes?: number;
  /** The limit as the cut note names it, e.g. "GitHub's 1 MiB job-summary limit". */
  limitName?: string;
  /** Where the uncut text can be found, named in the cut note. */
  fullTextHint?: string;
  /**
   * A refresh-only plan (drift detection): all drift is shown. In a normal
   * plan Terraform shows only the drift that the planned changes depend on.
   */
  refreshOnly?: boolean;
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

export function verdictOf(plan: Plan, counts: PlanCounts = countChanges(plan), refreshOnly = false): string {
  if (plan.errored) return 'plan errored';
  if (refreshOnly) {
    if (counts.drift > 0) return 'drift only';
    return plan.hasPriorState ? 'no changes' : 'no state yet';
  }
  if (counts.add + counts.change + counts.destroy + counts.replace > 0) {
    return `+${formatCount(counts.add)} ~${formatCount(counts.change)} -${formatCount(counts.destroy)} ±${formatCount(counts.replace)}`;
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
  if (counts.import) parts.push(`${formatCount(counts.import)} to import`);
  if (counts.move) parts.push(`${formatCount(counts.move)} moved`);
  if (counts.forget) parts.push(`${formatCount(counts.forget)} to forget`);
  if (counts.read) parts.push(`${formatCount(counts.read)} data source(s) read at apply`);
  if (counts.outputs) parts.push(`${formatCount(counts.outputs)} output change(s)`);
  if (counts.drift) parts.push(`${formatCount(counts.drift)} changed outside Terraform`);
  return parts.join(' · ');
}

type ModuleRow = Record<'add' | 'change' | 'destroy' | 'replace' | 'other', number>;

/** The module table's lines, each a whole row (the table is cut only between rows). */
function moduleRows(changes: ResourceChange[]): string[] {
  const rows = new Map<string, ModuleRow>();
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
  return [...rows]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([mod, r]) =>
        `| ${code(mod)} | ${[r.add, r.change, r.destroy, r.replace, r.other].map(formatCount).join(' | ')} |`,
    );
}

const TABLE_HEAD = '| Module | Add | Change | Destroy | Replace | Other |\n|---|--:|--:|--:|--:|--:|';

function describe(c: ResourceChange): string {
  const notes: string[] = [];
  if (c.deposed) notes.push(`deposed object ${c.deposed}, left over from a partially-failed replacement`);
  if (c.moved && c.previousAddress) notes.push(`moved from ${c.previousAddress}`);
  if (c.importing) notes.push(c.importingId ? `import id ${c.importingId}` : 'import');
  if (c.actionReason && REASON[c.actionReason]) notes.push(REASON[c.actionReason] as string);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

function labelOf(c: ResourceChange): string {
  if (c.deposed && c.kind === 'delete') return '🧹 delete deposed object';
  return LABEL[c.kind];
}

function resourceDetails(
  c: ResourceChange,
  kindLabel = labelOf(c),
  lines = diffLines(c, c.replacePaths),
): string {
  const marker = isDestructive(c) ? '⚠️ ' : '';
  const summary = `${marker}${escapeHtml(kindLabel)} <code>${escapeHtml(c.address)}</code>${escapeHtml(describe(c))}`;
  const body =
    c.kind === 'forget'
      ? 'The object is kept; only Terraform stops managing it (a `removed` block with `destroy = false`).'
      : formatDiff(lines);
  return neutralizeMarkers(`<details><summary>${summary}</summary>\n\n${body}\n\n</details>`);
}

function outputDetails(o: OutputChange): string {
  return neutralizeMarkers(
    `<details><summary>${escapeHtml(LABEL[o.kind])} output <code>${escapeHtml(o.name)}</code></summary>\n\n${formatDiff(diffLines(o))}\n\n</details>`,
  );
}

/**
 * The drift Terraform itself would show, each with the diff lines it would
 * show: everything in a refresh-only plan; in a normal plan only entries named
 * in `relevant_attributes`, only those attributes, and nothing when the plan
 * has no changes (Terraform's jsonformat precomputeDiffs / renderHumanDiffDrift).
 */
function shownDrift(plan: Plan, refreshOnly: boolean, planHasChanges: boolean) {
  const all = plan.drift.map((d) => ({ change: d, lines: diffLines(d) }));
  if (refreshOnly || plan.relevantAttributes === undefined) return all;
  if (!planHasChanges) return [];
  const relevant = plan.relevantAttributes;
  const out: typeof all = [];
  for (const d of all) {
    const paths = relevant
      .filter((r) => r.resource === '' || r.resource === d.change.address)
      .map((r) => pathText(r.attribute));
    if (paths.length === 0) continue;
    const lines = d.lines.filter((l) => paths.some((p) => under(l.path, p) || under(p, l.path)));
    if (lines.length > 0 || d.change.kind === 'delete') out.push({ change: d.change, lines });
  }
  return out;
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
const MAX_LISTED = 100;

function listed<T>(items: T[], line: (item: T) => string): string {
  const lines = items.slice(0, MAX_LISTED).map(line);
  if (items.length > MAX_LISTED) lines.push(`> - … and ${formatCount(items.length - MAX_LISTED)} more`);
  return lines.join('\n');
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Renders the plan. Per-resource sections are built in order only while they
 * fit (a 5 000-resource plan costs little more than reading it); the rest are
 * counted and named in a note.
 */
export function renderPlan(plan: Plan, options: RenderOptions = {}): RenderResult {
  const refreshOnly = options.refreshOnly === true;
  const planCounts = countChanges(plan);
  const visible = visibleChanges(plan).sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind),
  );
  const drift = shownDrift(plan, refreshOnly, hasChanges(planCounts));
  const counts: PlanCounts = { ...planCounts, drift: drift.length };
  const verdict = verdictOf(plan, counts, refreshOnly);
  const changes = refreshOnly ? drift.length > 0 : hasChanges(counts);
  const destructive = visible.filter(isDestructive);
  const deposed = visible.filter((c) => c.deposed !== undefined);
  const forgotten = visible.filter((c) => c.kind === 'forget');

  const head: string[] = [];
  if (options.title) head.push(`### ${options.title}`);
  const extra = extras(counts);
  head.push(`**${verdict}**${extra ? ` · ${extra}` : ''}`);
  if (refreshOnly && !plan.hasPriorState)
    head.push(
      '> [!NOTE]\n> There is no state yet: nothing has been applied here, so there is nothing to compare with the real infrastructure.',
    );
  if (plan.errored)
    head.push(
      '> [!CAUTION]\n> The plan errored part-way; what follows is incomplete. See the job log for the error.',
    );
  if (destructive.length > 0) {
    head.push(
      `> [!WARNING]\n> **${formatCount(destructive.length)} destructive change(s)**\n${listed(destructive, (c) => `> - ⚠️ **${c.kind === 'delete' ? 'delete' : 'replace'}** ${code(c.address)}${describe(c)}`)}`,
    );
  }
  if (deposed.length > 0) {
    head.push(
      `> [!NOTE]\n> **${formatCount(deposed.length)} deposed object(s) will be destroyed**: left over from a partially-failed create-before-destroy replacement. The current instance is kept.\n${listed(deposed, (c) => `> - ${code(c.address)} (deposed object ${code(c.deposed ?? '')})`)}`,
    );
  }
  if (forgotten.length > 0) {
    // Terraform's own warning: "Some objects will no longer be managed by Terraform".
    head.push(
      `> [!WARNING]\n> **Some objects will no longer be managed by Terraform.** Applying this plan discards Terraform's tracking information for them, but does not delete them:\n${listed(forgotten, (c) => `> - ${code(c.address)}`)}`,
    );
  }
  if (plan.checks.length > 0) {
    head.push(
      `> [!WARNING]\n> **${formatCount(plan.checks.length)} check(s) failed** (Terraform reports them as warnings; the plan can still be applied):\n${listed(plan.checks, (c) => `> - ${code(c.address)} ${c.status === 'error' ? 'errored' : 'failed'}${c.messages.length ? `: ${escapeHtml(c.messages.join(' / ').replace(/\s+/g, ' '))}` : ''}`)}`,
    );
  }
  const headText = neutralizeMarkers(head.join('\n\n'));
  const rows = visible.length > 0 ? moduleRows(visible) : [];

  const outputs = plan.outputChanges.filter((o) => o.kind !== 'no-op');
  const sections: (() => string)[] = [];
  for (const c of visible) sections.push(() => resourceDetails(c));
  if (outputs.length > 0) sections.push(() => '#### Outputs', ...outputs.map((o) => () => outputDetails(o)));
  if (drift.length > 0) {
    sections.push(
      () => '#### Changed outside Terraform',
      ...drift.map(
        (d) => () =>
          resourceDetails(
            d.change,
            d.change.kind === 'delete' ? 'deleted outside Terraform' : 'changed outside Terraform',
            d.lines,
          ),
      ),
    );
  }

  const maxChars = options.maxChars ?? (options.maxBytes === undefined ? GITHUB_COMMENT_LIMIT : Infinity);
  const maxBytes = options.maxBytes ?? Infinity;
  const limitName =
    options.limitName ??
    (options.maxBytes !== undefined
      ? `GitHub's ${(maxBytes / 1024 / 1024).toFixed(maxBytes % (1024 * 1024) === 0 ? 0 : 2)} MiB job-summary limit`
      : `GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit`);
  const noteFor = (dropped: number, what: string) =>
    `> [!NOTE]\n> ${formatCount(dropped)} of ${what} were cut to stay under ${limitName}. ${options.fullTextHint ?? 'The full plan is in the job summary and the plan artifact.'}`;
  // Room for the longest note this render can need, so adding it never overflows.
  const reserve =
    noteFor(sections.length + rows.length, `${formatCount(sections.length)} sections`).length + 64;
  const budget = { chars: maxChars - reserve, bytes: maxBytes - reserve * 4 };

  const out: string[] = [];
  const size = { chars: 0, bytes: 0 };
  let truncated = false;
  const add = (part: string): boolean => {
    const next = { chars: size.chars + 2 + part.length, bytes: size.bytes + 2 + bytes(part) };
    if (next.chars > budget.chars || next.bytes > budget.bytes) return false;
    out.push(part);
    size.chars = next.chars;
    size.bytes = next.bytes;
    return true;
  };
  if (!add(headText)) {
    // A head too long on its own (thousands of destructive changes): whole lines only.
    truncated = true;
    for (const line of headText.split('\n')) if (!add(line)) break;
  }
  if (rows.length > 0 && !truncated) {
    const table = [TABLE_HEAD];
    let kept = 0;
    let tableSize = { chars: TABLE_HEAD.length, bytes: TABLE_HEAD.length };
    // The table may take a third of what is left, so diffs still follow it; a
    // cut table keeps room for its closing "… and N more" row.
    const room = {
      chars: size.chars + (budget.chars - size.chars) / 3 - 80,
      bytes: size.bytes + (budget.bytes - size.bytes) / 3 - 80,
    };
    for (const row of rows) {
      const next = { chars: tableSize.chars + 1 + row.length, bytes: tableSize.bytes + 1 + bytes(row) };
      if (size.chars + 2 + next.chars > room.chars || size.bytes + 2 + next.bytes > room.bytes) break;
      table.push(row);
      tableSize = next;
      kept++;
    }
    if (kept < rows.length) table.push(`| … and ${formatCount(rows.length - kept)} more modules | | | | | |`);
    add(table.join('\n'));
  }
  let kept = 0;
  if (!truncated) {
    for (const section of sections) {
      if (!add(section())) break;
      kept++;
    }
  }
  if (kept < sections.length) {
    truncated = true;
    out.push(noteFor(sections.length - kept, `${formatCount(sections.length)} sections`));
  } else if (truncated) out.push(noteFor(rows.length, 'the plan summary lines'));
  const body = out.join('\n\n');
  return { markdown: `${body}\n`, verdict, counts, changes, truncated };
}
