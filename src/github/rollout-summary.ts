import { format } from '../analysis/threshold.js';
import type { RolloutReport } from '../rollout/report.js';

const OUTCOME: Record<NonNullable<RolloutReport['outcome']>, string> = {
  promoted: '✅ promoted',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
};

/**
 * The job summary of a rollout: verdict, one row per step with the numbers
 * behind it, a Mermaid chart of canary weight and the main check per step,
 * and every decision in order.
 */
export function renderRolloutSummary(report: RolloutReport): string {
  const lines: string[] = [
    `### Canary ${report.service}: ${report.outcome ? OUTCOME[report.outcome] : 'unfinished'}`,
    '',
    `${escapeCell(report.reason ?? '')}`,
    '',
    `Revision \`${report.revision}\` · router ${report.router} · namespace ${report.namespace} · ${report.startedAt} → ${report.endedAt ?? '…'} · final weights ${report.finalWeights ? `${report.finalWeights.primary} % primary / ${report.finalWeights.canary} % canary` : 'unknown'}`,
    '',
  ];
  const mainCheck = report.steps.flatMap((s) => s.ticks.flatMap((t) => t.checks.map((c) => c.name)))[0];
  if (report.steps.length > 0) {
    lines.push(
      `| Step | Canary weight | Result | Ticks | ${mainCheck ? `${escapeCell(mainCheck)} (canary / primary)` : 'Main check'} | Sequential test (LLR, bounds) |`,
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const step of report.steps) {
      const last = step.ticks.at(-1);
      const check = last?.checks.find((c) => c.name === mainCheck);
      const value = check?.canary.value !== undefined ? format(check.canary.value) : '—';
      const primary = check?.primaryValue !== undefined ? ` / ${format(check.primaryValue)}` : '';
      const sprt = last?.sequential
        ? `${last.sequential.llr.toFixed(2)} in [${last.sequential.lower.toFixed(2)}, ${last.sequential.upper.toFixed(2)}], ${last.sequential.errors}/${last.sequential.requests} errors`
        : '—';
      lines.push(
        `| ${step.index + 1} | ${step.weights.canary} % | ${step.result ?? '…'} | ${step.ticks.length} | ${value}${primary} | ${sprt} |`,
      );
    }
    lines.push('', ...chart(report, mainCheck), '');
  }
  lines.push(
    '<details><summary>Decisions</summary>',
    '',
    ...report.decisions.map((d) => `- ${d.at} **${escapeCell(d.action)}**: ${escapeCell(d.reason)}`),
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}

function chart(report: RolloutReport, mainCheck: string | undefined): string[] {
  const labels = report.steps.map((s) => `"${s.index + 1}"`).join(', ');
  const weights = report.steps.map((s) => s.weights.canary).join(', ');
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "Canary weight (bars, %)${mainCheck ? ` and ${mainCheck} x100 (line)` : ''}"`,
    `  x-axis [${labels}]`,
    '  y-axis "percent" 0 --> 100',
    `  bar [${weights}]`,
  ];
  if (mainCheck) {
    const values = report.steps.map((s) => {
      const value = s.ticks.at(-1)?.checks.find((c) => c.name === mainCheck)?.canary.value;
      return value === undefined ? 0 : Number((value * 100).toPrecision(4));
    });
    lines.push(`  line [${values.join(', ')}]`);
  }
  lines.push('```');
  return lines;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
