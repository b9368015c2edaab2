import type { BurnRateRule } from '../analysis/burn-rate.js';
import type { NoDataPolicy } from './gate.js';
import type { SourceConfig } from './source.js';

export type ComparisonOp = 'lt' | 'lte' | 'gt' | 'gte';

/** Where a definition came from, so a verdict can be annotated on its line. */
export interface SourceLocation {
  file: string;
  line?: number;
  field: string;
}

/** One check in the form the evaluation core takes, whether it came from a Gate or an OpenSLO file. */
export interface CheckDefinition {
  name: string;
  /** PromQL with `{{var}}` placeholders, rendered safely before it is sent; absent for a pure burn-rate check. */
  query?: string;
  min?: number;
  max?: number;
  warn?: { min?: number; max?: number };
  onNoData: NoDataPolicy;
  window?: string;
  /**
   * Judge the fraction of the window's points that satisfy `op value`
   * (an OpenSLO threshold objective) instead of a single value.
   */
  fractionOf?: { op: ComparisonOp; value: number };
  /** Error-budget burn rate against `target`, judged by `rules`. */
  burnRate?: BurnRateDefinition;
  location: SourceLocation;
}

/** A burn-rate check with its rules resolved (from `severity`, or from OpenSLO alert conditions). */
export interface BurnRateDefinition {
  target: number;
  /** PromQL counting failed events over `[{{window}}]`. */
  errors: string;
  /** PromQL counting all events over `[{{window}}]`. */
  total: string;
  rules: readonly BurnRateRule[];
}

export interface GateDefinition {
  name: string;
  kind: 'Gate' | 'SLO';
  file: string;
  source?: SourceConfig;
  window?: string;
  vars: Record<string, string>;
  checks: CheckDefinition[];
}
