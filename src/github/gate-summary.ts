import type { CheckResult, GateReport } from '../analysis/check-result.js';
import { format, formatBand } from '../analysis/threshold.js';

const ICON: Record<CheckResult['status'], string> = {
  pass: '✅ pass',
  warn: '⚠️ warn',
  fail: '❌ fail',
  'no-data': '❔ no data',
  error: '⛔ error',
};

/** The job summary of an SLO gate: the verdict, then one table row per check with its numbers. */
export function renderGateSummary(report: GateReport): string {
  const lines = [
    `### SLO gate: ${report.result.toUpperCase()}`,
    '',
    `Source: ${escapeCell(report.source)} · evaluated at ${report.evaluatedAt}`,
    '',
    '| Check | Status | Value | Bound | Window | Reason |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.checks.map((c) =>
      [
        `\`${escapeCell(c.gate)}/${escapeCell(c.name)}\``,
        ICON[c.status],
        c.value === undefined ? '—' : format(c.value),
        escapeCell(boundText(c)),
        c.window,
        escapeCell(c.reason),
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
    '',
    ...report.checks.flatMap(burnRateTable),
    '<details><summary>Queries sent</summary>',
    '',
    ...report.checks.map(
      (c) => `- \`${c.gate}/${c.name}\`\n\n  \`\`\`promql\n  ${c.query.replace(/\n/g, '\n  ')}\n  \`\`\``,
    ),
    '',
    '</details>',
    '',
  ];
  return lines.join('\n');
}

/** Every rule of a burn-rate check with both windows' numbers, so a reader can redo the decision. */
function burnRateTable(check: CheckResult): string[] {
  const record = check.burnRate;
  if (!record) return [];
  const burn = (w: { window: string; errors: number; total: number; burnRate: number | null }) =>
    `${w.burnRate === null ? 'no data' : `${format(w.burnRate)}x`} (${format(w.errors)}/${format(w.total)} over ${w.window})`;
  return [
    `Burn rate of \`${escapeCell(check.gate)}/${escapeCell(check.name)}\` against SLO ${format(record.target)} (error budget ${format(record.errorBudget)}):`,
    '',
    '| Rule | Long window | Short window | Fires |',
    '| --- | --- | --- | --- |',
    ...record.rules.map(
      (r) =>
        `| ${r.severity} > ${format(r.factor)}x | ${burn(r.long)} | ${burn(r.short)} | ${r.fired ? '🔥 yes' : r.noData ? 'no (missing data)' : 'no'} |`,
    ),
    '',
  ];
}

function boundText(check: CheckResult): string {
  if (check.burnRate && check.bound.min === undefined && check.bound.max === undefined) {
    return `burn rate vs SLO ${format(check.burnRate.target)}`;
  }
  const band = formatBand(check.bound);
  const warn = check.warnBand ? ` (warn outside ${formatBand(check.warnBand)})` : '';
  return check.fractionOf ? `share ${band}${warn}` : `${band}${warn}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
