import type { CheckResult, GateReport } from '../analysis/check-result.js';
import { format } from '../analysis/threshold.js';
import {
  formatCount,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatValue,
  type Unit,
  unitOfCheck,
} from './format.js';

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
    `Source: ${escapeCell(report.source)} · evaluated at ${formatDateTime(report.evaluatedAt)}`,
    '',
    '| Check | Status | Value | Bound | Window | Reason |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.checks.map((c) =>
      [
        `\`${escapeCell(c.gate)}/${escapeCell(c.name)}\``,
        ICON[c.status],
        c.value === undefined ? '—' : formatValue(c.value, unitOf(c)),
        escapeCell(boundText(c)),
        c.window,
        escapeCell(humanReason(c)),
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
    `${w.burnRate === null ? 'no data' : `${formatNumber(w.burnRate)}×`} (${formatCount(w.errors)} / ${formatCount(w.total)} over ${w.window})`;
  return [
    `Burn rate of \`${escapeCell(check.gate)}/${escapeCell(check.name)}\` against SLO ${formatPercent(record.target)} (error budget ${formatPercent(record.errorBudget)}):`,
    '',
    '| Rule | Long window | Short window | Fires |',
    '| --- | --- | --- | --- |',
    ...record.rules.map(
      (r) =>
        `| ${r.severity} > ${formatNumber(r.factor)}× | ${burn(r.long)} | ${burn(r.short)} | ${r.fired ? '🔥 yes' : r.noData ? 'no (missing data)' : 'no'} |`,
    ),
    '',
  ];
}

function boundText(check: CheckResult): string {
  if (check.burnRate && check.bound.min === undefined && check.bound.max === undefined) {
    return `burn rate vs SLO ${formatPercent(check.burnRate.target)}`;
  }
  const unit = unitOf(check);
  const band = formatBand(check.bound, unit);
  const warn = check.warnBand ? ` (warn outside ${formatBand(check.warnBand, unit)})` : '';
  return check.fractionOf ? `share ${band}${warn}` : `${band}${warn}`;
}

/**
 * The check's reason with its numbers in the check's unit: the evaluator
 * writes them raw (`0.0797546 is above the maximum 0.02`) for logs and
 * annotations; the summary says `7.98 % is above the maximum 2 %`.
 */
function humanReason(check: CheckResult): string {
  const unit = unitOf(check);
  const numbers = [check.value, check.bound.min, check.bound.max, check.warnBand?.min, check.warnBand?.max];
  let reason = check.reason;
  for (const n of numbers) {
    if (n === undefined || !Number.isFinite(n)) continue;
    const raw = format(n).replace(/[.+]/g, '\\$&');
    reason = reason.replace(new RegExp(`(?<![\\d.])${raw}(?![\\d.]*\\d)`, 'g'), formatValue(n, unit));
  }
  return reason;
}

/** A share of points (OpenSLO threshold objectives) is a ratio whatever the query measures. */
function unitOf(check: CheckResult): Unit {
  if (check.fractionOf) return 'ratio';
  return unitOfCheck({ name: check.name, query: check.query, max: check.bound.max, min: check.bound.min });
}

function formatBand(band: { min?: number; max?: number }, unit: Unit): string {
  const f = (v: number) => formatValue(v, unit);
  if (band.min !== undefined && band.max !== undefined) return `${f(band.min)} to ${f(band.max)}`;
  if (band.min !== undefined) return `≥ ${f(band.min)}`;
  if (band.max !== undefined) return `≤ ${f(band.max)}`;
  return 'any value';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
