/**
 * Numbers as a person reads them in a job summary, a PR comment or the CLI:
 * units and a sensible precision (`7.98 %`, `12 ms`, `3 / 76 requests`),
 * durations as `1m 20s`, times of day as `hh:mm:ss` (UTC, as the runner's
 * log timestamps are). One module so every report says numbers the same way.
 */

/** What a check's value measures, inferred by `unitOfCheck`. */
export type Unit = 'ratio' | 'ms' | 'seconds' | 'number';

/** Three significant digits, no exponent, thousands separated: 0.00981 → "0.00981", 12345.6 → "12,346". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'not a number' : value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  // Small values keep three significant digits (0.000123) rather than rounding to 0.
  return Number(value.toFixed(Math.min(digits, 20))).toLocaleString('en-US', { maximumFractionDigits: 20 });
}

/** A ratio (0.0797) as a percentage: "7.97 %"; exact zero as "0 %". */
export function formatPercent(ratio: number): string {
  return `${formatNumber(ratio * 100)} %`;
}

/** A latency in milliseconds: "12 ms", "0.48 ms", "1.25 s" from 1 s up. */
export function formatMs(ms: number): string {
  if (Math.abs(ms) >= 1000) return `${formatNumber(ms / 1000)} s`;
  return `${formatNumber(ms)} ms`;
}

/** A count with separators: 1234 → "1,234"; fractional counts (from rate × window) keep three digits. */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : formatNumber(value);
}

/** "3 / 76 requests (3.95 %)". */
export function formatShare(part: number, whole: number, noun = 'requests'): string {
  const share = whole > 0 ? ` (${formatPercent(part / whole)})` : '';
  return `${formatCount(part)} / ${formatCount(whole)} ${noun}${share}`;
}

/** A check's value in its unit: ratios as %, latencies in ms (seconds converted). */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'ratio':
      return formatPercent(value);
    case 'ms':
      return formatMs(value);
    case 'seconds':
      return formatMs(value * 1000);
    default:
      return formatNumber(value);
  }
}

/** The value as plotted on a chart axis of that unit (percent, milliseconds or as is). */
export function plotValue(value: number, unit: Unit): number {
  return unit === 'ratio' ? value * 100 : unit === 'seconds' ? value * 1000 : value;
}

export function axisLabel(unit: Unit): string {
  return unit === 'ratio' ? 'percent' : unit === 'number' ? 'value' : 'milliseconds';
}

/** 80 000 ms → "1m 20s"; 3 725 000 → "1h 2m 5s"; under a second → "0.4s". */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1000) return `${formatNumber(ms / 1000)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].filter(Boolean).join(' ');
}

/** An ISO timestamp as hh:mm:ss UTC; anything unparsable as given. */
export function formatClock(iso: string | undefined): string {
  if (!iso) return '…';
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(11, 19);
}

/** Date and time without milliseconds: "2026-01-01 12:00:05 UTC". */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '…';
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * What a check measures, from its name and query (glidepath's config has no
 * unit field): Prometheus names carry the unit as a suffix by convention
 * (`_seconds`, `_milliseconds`, https://prometheus.io/docs/practices/naming/),
 * and a value bounded by 1 under an error/success name is a ratio.
 */
export function unitOfCheck(check: { name: string; query?: string; max?: number; min?: number }): Unit {
  const text = `${check.name} ${check.query ?? ''}`.toLowerCase();
  if (/(^|[-_\s])ms($|[-_\s])|milliseconds|latency_ms|_ms_bucket/.test(text)) return 'ms';
  if (/seconds|(^|[-_])s$/.test(check.name.toLowerCase()) || /_seconds(_bucket)?\b/.test(text))
    return 'seconds';
  const bound = Math.max(check.max ?? 0, check.min ?? 0);
  if (/error|success|availability|ratio|rate|fail/.test(text) && bound <= 1) return 'ratio';
  return 'number';
}
