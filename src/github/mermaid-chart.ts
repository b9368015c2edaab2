/**
 * Small Mermaid `xychart-beta` charts as GitHub renders them in Markdown
 * (https://mermaid.js.org/syntax/xyChart.html). xychart has no legend and no
 * gaps in a line, so each series has a fixed colour named in the caption,
 * and a chart only has the x positions where its data exists: nothing is
 * drawn where there was no data.
 */
export interface Series {
  /** Named in the caption with its colour. */
  label: string;
  kind: 'line' | 'bar';
  values: number[];
}

export interface Chart {
  title: string;
  xLabels: string[];
  yTitle: string;
  /** The axis range; defaults to the data's, padded. */
  yMin?: number;
  yMax?: number;
  series: Series[];
}

/** Colours by series order; xychart takes them from themeVariables.xyChart.plotColorPalette. */
export const PALETTE = [
  { hex: '#1f77b4', name: 'blue' },
  { hex: '#d62728', name: 'red' },
  { hex: '#2ca02c', name: 'green' },
  { hex: '#9467bd', name: 'purple' },
  { hex: '#7f7f7f', name: 'grey' },
];

/** The fenced block and its caption; empty when there is nothing to draw (never an empty chart). */
export function renderChart(chart: Chart): string[] {
  const series = chart.series.filter((s) => s.values.length === chart.xLabels.length && s.values.length > 0);
  if (series.length === 0 || chart.xLabels.length === 0) return [];
  const values = series.flatMap((s) => s.values).filter(Number.isFinite);
  const [low, high] = range(values, chart.yMin, chart.yMax);
  const palette = series.map((_, i) => PALETTE[i % PALETTE.length]?.hex).join(', ');
  const init = { themeVariables: { xyChart: { plotColorPalette: palette } } };
  return [
    '```mermaid',
    `%%{init: ${JSON.stringify(init)}}%%`,
    'xychart-beta',
    `  title ${quote(chart.title)}`,
    `  x-axis [${chart.xLabels.map(quote).join(', ')}]`,
    `  y-axis ${quote(chart.yTitle)} ${number(low)} --> ${number(high)}`,
    ...series.map((s) => `  ${s.kind} [${s.values.map((v) => number(clamp(v, low, high))).join(', ')}]`),
    '```',
    '',
    `<sub>${series.map((s, i) => `${PALETTE[i % PALETTE.length]?.name}: ${s.label}`).join(' · ')}</sub>`,
  ];
}

/** The axis covers every value with a margin, so no series runs off it. */
function range(values: number[], min?: number, max?: number): [number, number] {
  const lo = Math.min(...values, ...(min === undefined ? [] : [min]));
  const hi = Math.max(...values, ...(max === undefined ? [] : [max]));
  const pad = hi - lo > 0 ? (hi - lo) * 0.1 : Math.max(Math.abs(hi) * 0.1, 1);
  const low = min ?? nice(lo - pad, 'down');
  // Rates, latencies and weights are never negative: do not draw a negative axis for them.
  return [lo >= 0 && min === undefined ? Math.max(0, low) : low, max ?? nice(hi + pad, 'up')];
}

function nice(value: number, way: 'up' | 'down'): number {
  if (value === 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1);
  return (way === 'up' ? Math.ceil(value / step) : Math.floor(value / step)) * step;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function number(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** xychart strings are double-quoted with no escape: quotes become typographic ones. */
function quote(text: string): string {
  return `"${text.replace(/"/g, '”').replace(/[\n\r]/g, ' ')}"`;
}
