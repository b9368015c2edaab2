import type { NoDataPolicy } from '../config/gate.js';
import type { CheckDefinition, SourceLocation } from '../config/gate-definition.js';
import type { BurnRateRecord } from './burn-rate-check.js';

/** What a check found; `error` means the backend refused or never answered. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'no-data' | 'error';
export type Verdict = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  gate: string;
  name: string;
  status: CheckStatus;
  /** What this check contributes to the gate's verdict (no-data and error resolved by policy). */
  verdict: Verdict;
  value?: number;
  bound: { min?: number; max?: number };
  warnBand?: { min?: number; max?: number };
  /** For OpenSLO threshold objectives: the share of the window's points within `op value`. */
  fractionOf?: CheckDefinition['fractionOf'];
  onNoData: NoDataPolicy;
  window: string;
  /** The exact queries sent, after templating (a burn-rate check sends two per window, one per line). */
  query: string;
  /** For burn-rate checks: every rule's long and short burn rates, its factor and whether it fired. */
  burnRate?: BurnRateRecord;
  /** One sentence a person can act on. */
  reason: string;
  location: SourceLocation;
  evaluatedAt: string;
}

export interface GateReport {
  result: Verdict;
  source: string;
  evaluatedAt: string;
  checks: CheckResult[];
}

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 };

export function worstVerdict(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (RANK[v] > RANK[worst] ? v : worst), 'pass');
}

export function reaches(verdict: Verdict, threshold: Verdict | 'never'): boolean {
  return threshold !== 'never' && RANK[verdict] >= RANK[threshold];
}
