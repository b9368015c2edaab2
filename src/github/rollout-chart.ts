import type { TickOutcome } from '../rollout/analysis-tick.js';
import type { RolloutReport } from '../rollout/report.js';
import { axisLabel, formatClock, plotValue, type Unit, unitOfCheck } from './format.js';
import { type Chart, renderChart } from './mermaid-chart.js';

/** More x positions than this make the labels unreadable: ticks in between are thinned out. */
const MAX_POINTS = 40;
/** Beyond the error rate and the sequential test, charts of at most this many checks. */
const MAX_CHECK_CHARTS = 3;

interface Point {
  step: number;
  first: boolean;
  tick: TickOutcome;
}

/**
 * The charts that answer "why was it promoted / rolled back": the canary's
 * weight over time with the steps marked, then the deciding evidence each on
 * its own axis in its unit (error rates in %, the sequential test's
 * log-likelihood ratio against its two boundaries, latencies in ms).
 */
export function rolloutCharts(report: RolloutReport): string[] {
  const points = thin(
    report.steps.flatMap((s) => s.ticks.map((tick, i) => ({ step: s.index + 1, first: i === 0, tick }))),
  );
  const label = (p: Point) => `${p.first ? `S${p.step} ` : ''}${formatClock(p.tick.at)}`;
  const weight = (p: Point) => report.steps.find((s) => s.index + 1 === p.step)?.weights.canary ?? 0;
  const blocks: string[][] = [];

  const end =
    report.endedAt && report.finalWeights
      ? [{ label: `end ${formatClock(report.endedAt)}`, value: report.finalWeights.canary }]
      : [];
  blocks.push(
    renderChart({
      title: 'Canary traffic weight (%)',
      xLabels: [...points.map(label), ...end.map((e) => e.label)],
      yTitle: 'percent of traffic',
      yMin: 0,
      yMax: 100,
      series: [
        {
          label: 'canary weight; S1, S2 … mark the first check of each step',
          kind: 'bar',
          values: [...points.map(weight), ...end.map((e) => e.value)],
        },
      ],
    }),
  );

  const rated = points.filter((p) => p.tick.sequential && p.tick.sequential.requests > 0);
  if (rated.length > 0) {
    blocks.push(
      renderChart({
        title: 'Error rate (%): canary against the primary',
        xLabels: rated.map(label),
        yTitle: 'percent of requests',
        series: [
          { label: 'canary error rate', kind: 'line', values: rated.map((p) => rate(p.tick)) },
          {
            label: 'primary error rate (the test’s baseline)',
            kind: 'line',
            values: rated.map((p) => (p.tick.sequential?.p0 ?? 0) * 100),
          },
          {
            label: 'rate that means a bad canary',
            kind: 'line',
            values: rated.map((p) => (p.tick.sequential?.p1 ?? 0) * 100),
          },
        ],
      }),
    );
  }
  const tested = points.filter((p) => p.tick.sequential);
  if (tested.length > 0) {
    blocks.push(
      renderChart({
        title: 'Sequential test: evidence against its two lines',
        xLabels: tested.map(label),
        yTitle: 'log-likelihood ratio',
        series: [
          {
            label: 'evidence (log-likelihood ratio; up = canary worse)',
            kind: 'line',
            values: tested.map((p) => p.tick.sequential?.llr ?? 0),
          },
          { label: 'roll-back line', kind: 'line', values: tested.map((p) => p.tick.sequential?.upper ?? 0) },
          { label: 'promote line', kind: 'line', values: tested.map((p) => p.tick.sequential?.lower ?? 0) },
        ],
      }),
    );
  }

  for (const name of checkNames(points).slice(0, MAX_CHECK_CHARTS)) {
    const seen = points.filter((p) => p.tick.checks.find((c) => c.name === name)?.canary.value !== undefined);
    const first = seen[0]?.tick.checks.find((c) => c.name === name);
    if (!first) continue;
    const unit: Unit = unitOfCheck({
      name,
      query: first.canary.query,
      max: first.canary.bound.max,
      min: first.canary.bound.min,
    });
    const values = (p: Point, track: 'canary' | 'primary') => {
      const check = p.tick.checks.find((c) => c.name === name);
      return plotValue((track === 'canary' ? check?.canary.value : check?.primaryValue) ?? 0, unit);
    };
    const compared = seen.every(
      (p) => p.tick.checks.find((c) => c.name === name)?.primaryValue !== undefined,
    );
    blocks.push(
      renderChart({
        title: `${name} (${axisLabel(unit)})`,
        xLabels: seen.map(label),
        yTitle: axisLabel(unit),
        series: [
          { label: `canary ${name}`, kind: 'line', values: seen.map((p) => values(p, 'canary')) },
          ...(compared
            ? [
                {
                  label: `primary ${name}`,
                  kind: 'line' as const,
                  values: seen.map((p) => values(p, 'primary')),
                },
              ]
            : []),
        ],
      } satisfies Chart),
    );
  }

  const charts = blocks.filter((b) => b.length > 0);
  if (charts.length === 1 && points.length > 0) {
    charts.push(['No chart of the checks: no check returned data during the rollout.']);
  }
  return charts.flatMap((b) => [...b, '']);
}

function rate(tick: TickOutcome): number {
  const s = tick.sequential;
  return s && s.requests > 0 ? (s.errors / s.requests) * 100 : 0;
}

function checkNames(points: Point[]): string[] {
  return [
    ...new Set(
      points.flatMap((p) => p.tick.checks.filter((c) => c.canary.value !== undefined).map((c) => c.name)),
    ),
  ];
}

/** Keeps the first and last tick of every step and evenly spaced ticks between, at most MAX_POINTS in all. */
function thin(points: Point[]): Point[] {
  if (points.length <= MAX_POINTS) return points;
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter(
    (p, i) => p.first || i === points.length - 1 || points[i + 1]?.first || i % every === 0,
  );
}
