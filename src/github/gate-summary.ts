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
    '<details><summary>Queries sent</summary>',
    '',
    ...report.checks.map((c) => `- \`${c.gate}/${c.name}\`\n\n  \`\`\`promql\n  ${c.query}\n  \`\`\``),
    '',
    '</details>',
    '',
  ];
  return lines.join('\n');
}

function boundText(check: CheckResult): string {
  const band = formatBand(check.bound);
  const warn = check.warnBand ? ` (warn outside ${formatBand(check.warnBand)})` : '';
  return check.fractionOf ? `share ${band}${warn}` : `${band}${warn}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
