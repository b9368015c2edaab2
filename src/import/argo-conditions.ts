/** The pass band an Argo successCondition/failureCondition describes, when it is a plain comparison. */
export interface Bounds {
  min?: number;
  max?: number;
  /** Set when the band is not exactly Argo's (a strict comparison became inclusive). */
  note?: string;
}

type Op = '>=' | '>' | '<=' | '<';

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const RESULT = String.raw`result(?:\[0\])?`;
const LEFT = new RegExp(String.raw`^${RESULT}\s*(>=|>|<=|<)\s*(${NUMBER})$`);
const RIGHT = new RegExp(String.raw`^(${NUMBER})\s*(>=|>|<=|<)\s*${RESULT}$`);
const FLIP: Record<Op, Op> = { '>=': '<=', '>': '<', '<=': '>=', '<': '>' };
const NEGATE: Record<Op, Op> = { '>=': '<', '>': '<=', '<=': '>', '<': '>=' };

/** `result[0] >= 0.95` as an operator on the result and a number, or undefined when it is anything else. */
function comparison(text: string): { op: Op; value: number } | undefined {
  const clause = text
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  const left = LEFT.exec(clause);
  if (left) return { op: left[1] as Op, value: Number(left[2]) };
  const right = RIGHT.exec(clause);
  if (right) return { op: FLIP[right[2] as Op], value: Number(right[1]) };
  return undefined;
}

/**
 * glidepath's min/max for a metric whose success condition is comparisons
 * joined by `&&` and whose failure condition is comparisons joined by `||`
 * (Argo's expr language allows far more; anything else throws, with the
 * condition in the message, so the caller can say why it left the check out).
 */
export function parseConditions(success: unknown, failure: unknown): Bounds {
  const bounds: Bounds = {};
  let strict = false;
  const apply = (op: Op, value: number) => {
    if (op === '>' || op === '<') strict = true;
    if (op === '>=' || op === '>') bounds.min = Math.max(bounds.min ?? value, value);
    else bounds.max = Math.min(bounds.max ?? value, value);
  };
  const read = (condition: unknown, joiner: RegExp, label: string, negate: boolean) => {
    if (condition === undefined) return;
    if (typeof condition !== 'string') throw new Error(`${label} must be a string`);
    for (const clause of condition.split(joiner)) {
      const parsed = comparison(clause);
      if (!parsed) {
        throw new Error(
          `${label} ${JSON.stringify(condition)} is not a simple comparison such as result[0] >= 0.95; write the check's min/max by hand`,
        );
      }
      apply(negate ? NEGATE[parsed.op] : parsed.op, parsed.value);
    }
  };
  read(success, /&&|\band\b/, 'successCondition', false);
  read(failure, /\|\||\bor\b/, 'failureCondition', true);
  if (bounds.min === undefined && bounds.max === undefined) {
    throw new Error(
      'it has neither successCondition nor failureCondition, and a glidepath check needs min or max',
    );
  }
  if (strict) bounds.note = 'a strict comparison (< or >) became an inclusive bound (max or min)';
  return bounds;
}
