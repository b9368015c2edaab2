import type { SprtTick } from '../analysis/sequential.js';
import type { CheckOutcome, TickOutcome } from '../rollout/analysis-tick.js';
import type { RolloutReport, StepRecord } from '../rollout/report.js';
import {
  formatClock,
  formatDateTime,
  formatElapsed,
  formatPercent,
  formatShare,
  formatValue,
  unitOfCheck,
} from './format.js';
import { rolloutCharts } from './rollout-chart.js';

const OUTCOME: Record<NonNullable<RolloutReport['outcome']>, string> = {
  promoted: '✅ promoted',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
};

const STEP_RESULT: Record<NonNullable<StepRecord['result']>, string> = {
  advanced: '✅ passed (full soak)',
  'advanced-early': '✅ passed early (sequential test)',
  failed: '❌ failed',
  'no-data': '❔ no data until the deadline',
  cancelled: '⏹️ cancelled',
  error: '⛔ error',
  undecided: "⏳ undecided: too little traffic to decide by the step's deadline",
};

/**
 * The job summary of a rollout: verdict and reason, the charts that explain
 * it (canary weight over time and the deciding evidence in its unit), one
 * row per step with its numbers, what the sequential test concluded in
 * plain words, and every decision in order.
 */
export function renderRolloutSummary(report: RolloutReport): string {
  const lines: string[] = [
    `### Canary ${report.service}: ${report.outcome ? OUTCOME[report.outcome] : 'unfinished'}`,
    '',
    escapeCell(report.reason ?? ''),
    '',
    [
      `Revision \`${report.revision}\``,
      `router ${report.router}`,
      `namespace ${report.namespace}`,
      `${formatDateTime(report.startedAt)} → ${formatClock(report.endedAt)}${duration(report.startedAt, report.endedAt)}`,
      report.finalWeights
        ? `final weights ${report.finalWeights.primary} % primary / ${report.finalWeights.canary} % canary`
        : 'final weights unknown',
    ].join(' · '),
    '',
  ];
  const conclusion = sequentialConclusion(report);
  if (conclusion) lines.push(`**Sequential test:** ${conclusion}`, '');
  if (report.steps.length > 0) {
    lines.push(...rolloutCharts(report), '');
    lines.push(...stepTable(report), '');
  }
  lines.push(
    '<details><summary>Decisions</summary>',
    '',
    ...report.decisions.map(
      (d) => `- ${formatClock(d.at)} **${escapeCell(d.action)}**: ${escapeCell(d.reason)}`,
    ),
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}

function stepTable(report: RolloutReport): string[] {
  const checkNames = [
    ...new Set(report.steps.flatMap((s) => s.ticks.flatMap((t) => t.checks.map((c) => c.name)))),
  ];
  const hasSequential = report.steps.some((s) => s.ticks.some((t) => t.sequential));
  const header = [
    'Step',
    'Canary weight',
    'Result',
    'Time',
    'Checks',
    ...checkNames.map((n) => `${escapeCell(n)} (canary / primary)`),
    ...(hasSequential ? ['Canary errors (sequential test)'] : []),
  ];
  const rows = report.steps.map((step) => {
    const last = step.ticks.at(-1);
    const cells = [
      String(step.index + 1),
      `${step.weights.canary} %`,
      step.result ? STEP_RESULT[step.result] : '… running',
      `${formatClock(step.startedAt)}${duration(step.startedAt, step.endedAt)}`,
      `${step.ticks.length}${heldTicks(step.ticks)}`,
      ...checkNames.map((name) =>
        checkCell(lastWithData(step.ticks, name) ?? last?.checks.find((c) => c.name === name)),
      ),
      ...(hasSequential
        ? [last?.sequential ? formatShare(last.sequential.errors, last.sequential.requests) : '—']
        : []),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows];
}

function heldTicks(ticks: TickOutcome[]): string {
  const held = ticks.filter((t) => t.decision === 'hold').length;
  return held ? ` (${held} waiting for data)` : '';
}

/** The latest outcome of a check that had a value, so a final no-data tick does not hide the numbers before it. */
function lastWithData(ticks: TickOutcome[], name: string): CheckOutcome | undefined {
  for (let i = ticks.length - 1; i >= 0; i--) {
    const check = ticks[i]?.checks.find((c) => c.name === name);
    if (check?.canary.value !== undefined) return check;
  }
  return undefined;
}

function checkCell(check: CheckOutcome | undefined): string {
  if (!check) return '—';
  const unit = unitOfCheck({
    name: check.name,
    query: check.canary.query,
    max: check.canary.bound.max,
    min: check.canary.bound.min,
  });
  const canary = check.canary.value === undefined ? 'no data' : formatValue(check.canary.value, unit);
  const primary = check.primaryValue === undefined ? '' : ` / ${formatValue(check.primaryValue, unit)}`;
  return `${canary}${primary}`;
}

/** The test's error rates back from its boundaries: upper = ln((1-β)/α), lower = ln(β/(1-α)) (Wald 1945). */
export function sprtErrorRates(tick: SprtTick): { alpha: number; beta: number } {
  const a = Math.exp(tick.upper);
  const b = Math.exp(tick.lower);
  const alpha = (1 - b) / (a - b);
  return { alpha, beta: b * (1 - alpha) };
}

/** One plain sentence on what the sequential test concluded, from the tick that decided (or the last one). */
export function sequentialConclusion(report: RolloutReport): string | undefined {
  const ticks = report.steps.flatMap((s) => s.ticks.map((t) => ({ step: s.index + 1, tick: t })));
  const withTest = ticks.filter((t) => t.tick.sequential);
  if (withTest.length === 0) return undefined;
  const deciding =
    withTest.find((t) => t.tick.sequential?.decision === 'reject-h0') ??
    (withTest.at(-1) as (typeof withTest)[0]);
  const test = deciding.tick.sequential as SprtTick;
  const { alpha, beta } = sprtErrorRates(test);
  const bursts = burstNote(deciding.tick);
  const seen = `${formatShare(test.errors, test.requests, 'requests failed')} at step ${deciding.step}`;
  const rates = `against ${formatPercent(test.p0)} expected from the primary and ${formatPercent(test.p1)} that would mean a bad canary`;
  if (test.decision === 'reject-h0') {
    return `the canary fails more often than the primary: ${seen}, ${rates}. The evidence crossed the roll-back line, so the chance that a healthy canary was rolled back is at most ${formatPercent(alpha)}.${bursts}`;
  }
  const promotedSteps = report.steps.filter((s) => s.result === 'advanced-early').length;
  if (test.decision === 'accept-h0') {
    return `the canary fails no more often than the primary: ${seen}, ${rates}. The evidence crossed the promote line${promotedSteps ? ` (${promotedSteps} step(s) passed early)` : ''}, so the chance that a canary that bad was let through is at most ${formatPercent(beta)}.${bursts}`;
  }
  return `not decided yet: ${seen}, ${rates}; neither line was crossed, so the test neither promoted nor rolled back on its own.${bursts}`;
}

/**
 * Whether the test discounted bursty errors, or could not tell whether they were. The primary's
 * dispersion is above 1 only when significant (dispersion.ts); a discount of the canary's evidence
 * below 5 % (a small share of traffic) goes unmentioned.
 */
const NOTABLE_DISPERSION = 1.05;

function burstNote(tick: TickOutcome): string {
  const phi = tick.sequential?.dispersion ?? 1;
  if (phi >= NOTABLE_DISPERSION)
    return ` Errors came in bursts (the primary's counts varied ${(tick.dispersion?.phi ?? phi).toFixed(1)} times as much as independent errors would), so the evidence was discounted by ${phi.toFixed(2)} to keep those chances.`;
  if (tick.dispersion?.unmeasured)
    return ` Whether errors come in bursts could not be measured (${tick.dispersion.unmeasured}).`;
  return '';
}

function duration(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ` (${formatElapsed(ms)})` : '';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
