import type { JsonValue, Mask, ValueChange } from './plan.js';

/**
 * Per-attribute diff lines of one change, in Terraform's own `+ ~ -` notation.
 * Sensitive values are replaced by a fixed marker before anything is measured or
 * cut, so neither a value nor its length can leak.
 */

export const SENSITIVE = '(sensitive value)';
export const UNKNOWN = '(known after apply)';
const MAX_VALUE_CHARS = 300;

export interface DiffLine {
  sign: '+' | '-' | '~';
  path: string;
  text: string;
  /** The attribute is in the change's `replace_paths`: changing it forces the replacement. */
  forcesReplacement?: boolean;
}

function sub(mask: Mask | undefined, key: string | number): Mask {
  if (mask === true) return true;
  if (Array.isArray(mask)) return typeof key === 'number' ? (mask[key] ?? false) : false;
  if (mask && typeof mask === 'object') return (mask as Record<string, Mask>)[String(key)] ?? false;
  return false;
}

function child(value: JsonValue | undefined, key: string | number): JsonValue | undefined {
  if (Array.isArray(value)) return typeof key === 'number' ? value[key] : undefined;
  if (value && typeof value === 'object') return (value as Record<string, JsonValue>)[String(key)];
  return undefined;
}

function isContainer(value: JsonValue | undefined): value is JsonValue[] | { [k: string]: JsonValue } {
  return typeof value === 'object' && value !== null;
}

function keysOf(...values: (JsonValue | Mask | undefined)[]): (string | number)[] {
  const keys = new Set<string | number>();
  let anyArray = false;
  for (const v of values) {
    if (Array.isArray(v)) {
      anyArray = true;
      for (let i = 0; i < v.length; i++) keys.add(i);
    } else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) keys.add(k);
    }
  }
  const list = [...keys];
  return anyArray ? list : list.sort();
}

function formatValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : JSON.stringify(value);
  if (typeof value === 'object') return Object.keys(value).length === 0 ? '{}' : JSON.stringify(value);
  // JSON.stringify keeps a multi-line string on one line, so content lines that
  // start with + or - cannot be mistaken for diff lines.
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length} chars)` : text;
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

function hasMarks(mask: Mask): boolean {
  if (mask === true) return true;
  if (Array.isArray(mask)) return mask.some(hasMarks);
  if (mask && typeof mask === 'object') return Object.values(mask).some(hasMarks);
  return false;
}

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function walk(
  out: DiffLine[],
  path: string,
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  beforeSensitive: Mask,
  afterSensitive: Mask,
  unknown: Mask,
): void {
  const hadBefore = before !== undefined && before !== null;
  const hasAfter = (after !== undefined && after !== null) || unknown === true;
  if (beforeSensitive === true || afterSensitive === true) {
    if (!hadBefore && !hasAfter) return;
    if (unknown === true) out.push({ sign: hadBefore ? '~' : '+', path, text: `${SENSITIVE} -> ${UNKNOWN}` });
    else if (!hadBefore) out.push({ sign: '+', path, text: SENSITIVE });
    else if (!hasAfter) out.push({ sign: '-', path, text: SENSITIVE });
    else if (!same(before, after)) out.push({ sign: '~', path, text: SENSITIVE });
    return;
  }
  if (unknown === true) {
    out.push(
      hadBefore
        ? { sign: '~', path, text: `${formatValue(before)} -> ${UNKNOWN}` }
        : { sign: '+', path, text: UNKNOWN },
    );
    return;
  }
  const recurse =
    (isContainer(before) || isContainer(after) || typeof unknown === 'object') &&
    (isContainer(before) || !hadBefore) &&
    (isContainer(after) || after === undefined || after === null);
  if (recurse && keysOf(before, after, unknown, beforeSensitive, afterSensitive).length > 0) {
    for (const key of keysOf(before, after, unknown, beforeSensitive, afterSensitive)) {
      walk(
        out,
        join(path, key),
        child(before, key),
        child(after, key),
        sub(beforeSensitive, key),
        sub(afterSensitive, key),
        sub(unknown, key),
      );
    }
    return;
  }
  if (same(before, after)) return;
  if (hasMarks(beforeSensitive) || hasMarks(afterSensitive)) {
    out.push({ sign: hadBefore && hasAfter ? '~' : hadBefore ? '-' : '+', path, text: SENSITIVE });
    return;
  }
  if (!hadBefore) out.push({ sign: '+', path, text: formatValue(after) });
  else if (!hasAfter) out.push({ sign: '-', path, text: formatValue(before) });
  else out.push({ sign: '~', path, text: `${formatValue(before)} -> ${formatValue(after)}` });
}

/** The rendered form of an attribute path given as steps, e.g. ["tags", "team"] -> `tags.team`. */
export function pathText(steps: (string | number)[]): string {
  return steps.reduce<string>((path, key) => join(path, key), '');
}

/** True when `path` is `prefix` or lies under it. */
export function under(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * Diff lines for one change; for a delete, every prior attribute with `-`.
 * Lines at or under a `replace_paths` entry are marked, as Terraform marks
 * them `# forces replacement`.
 */
export function diffLines(change: ValueChange, replacePaths: (string | number)[][] = []): DiffLine[] {
  const out: DiffLine[] = [];
  walk(
    out,
    '',
    change.before,
    change.after,
    change.beforeSensitive,
    change.afterSensitive,
    change.afterUnknown,
  );
  if (replacePaths.length > 0) {
    const forcing = replacePaths.map(pathText);
    for (const line of out)
      if (forcing.some((p) => under(line.path, p) || under(p, line.path))) line.forcesReplacement = true;
  }
  return out;
}

/** A fence longer than any backtick run in the body, so a value can never close it. */
export function fence(body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function formatDiff(lines: DiffLine[]): string {
  if (lines.length === 0) return '(no attribute changes)';
  const body = lines
    .map(
      (l) =>
        `${l.sign} ${l.path || '(value)'} = ${l.text}${l.forcesReplacement ? ' # forces replacement' : ''}`,
    )
    .join('\n');
  const f = fence(body);
  return `${f}diff\n${body}\n${f}`;
}
