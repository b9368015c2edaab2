import type { NoDataPolicy } from '../config/gate.js';
import type { CheckStatus, Verdict } from './check-result.js';

export interface Bounds {
  min?: number;
  max?: number;
}

/** Pass inside [min, max]; warn inside it but outside the tighter warn band; fail outside it. */
export function judgeValue(
  value: number,
  bound: Bounds,
  warnBand?: Bounds,
): { status: CheckStatus; reason: string } {
  const outside = describeOutside(value, bound);
  if (outside) return { status: 'fail', reason: `${format(value)} ${outside}` };
  const outsideWarn = warnBand ? describeOutside(value, warnBand) : undefined;
  if (outsideWarn)
    return {
      status: 'warn',
      reason: `${format(value)} is within bounds but ${outsideWarn.replace(/^is /, '')} (warn band)`,
    };
  return { status: 'pass', reason: `${format(value)} satisfies ${formatBand(bound)}` };
}

function describeOutside(value: number, band: Bounds): string | undefined {
  if (band.min !== undefined && value < band.min) return `is below the minimum ${format(band.min)}`;
  if (band.max !== undefined && value > band.max) return `is above the maximum ${format(band.max)}`;
  return undefined;
}

export function formatBand(band: Bounds): string {
  if (band.min !== undefined && band.max !== undefined) return `[${format(band.min)}, ${format(band.max)}]`;
  if (band.min !== undefined) return `≥ ${format(band.min)}`;
  if (band.max !== undefined) return `≤ ${format(band.max)}`;
  return 'any value';
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(3);
  return Number(value.toPrecision(6)).toString();
}

/** Missing data never passes unless the check asked for it. */
export function noDataVerdict(policy: NoDataPolicy): Verdict {
  return policy === 'pass' ? 'pass' : policy === 'inconclusive' ? 'warn' : 'fail';
}

export function verdictOf(status: CheckStatus, policy: NoDataPolicy): Verdict {
  if (status === 'no-data') return noDataVerdict(policy);
  if (status === 'error') return 'fail';
  return status;
}
