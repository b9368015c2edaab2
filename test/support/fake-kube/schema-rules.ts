import { isPlainObject, type StatusCause } from './types.js';

/**
 * Structural defaults and the CEL rules (x-kubernetes-validations) of the CRDs we serve.
 * There is no CEL interpreter here: the rules glidepath's writes can break are implemented by
 * hand, keyed by their exact text; any other rule is skipped (see `skippedRules`).
 */
type Schema = Record<string, unknown>;
type Rule = (self: unknown) => boolean;

function has(value: unknown, key: string): boolean {
  return isPlainObject(value) && value[key] !== undefined;
}

/** Go's time.ParseDuration, which CEL's duration() uses. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text) && text !== '0') return undefined;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(n) * (units[unit ?? ''] ?? 0);
  return text.startsWith('-') ? -total : total;
}

const RULES = new Map<string, Rule>([
  [
    "duration(self) >= duration('1ms')",
    (self) => typeof self === 'string' && (parseGoDuration(self) ?? -1) >= 1,
  ],
  [
    "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
    (self) =>
      !(isPlainObject(self) && (self.group ?? '') === '' && (self.kind ?? 'Service') === 'Service') ||
      has(self, 'port'),
  ],
  [
    'self.numerator <= self.denominator',
    (self) => isPlainObject(self) && Number(self.numerator) <= Number(self.denominator ?? 100),
  ],
  ['!(has(self.percent) && has(self.fraction))', (self) => !(has(self, 'percent') && has(self, 'fraction'))],
]);

export const skippedRules = new Set<string>();

function normalise(rule: string): string {
  return rule.replace(/\s+/g, ' ').trim();
}

function children(
  value: unknown,
  schema: Schema,
  visit: (child: unknown, childSchema: Schema, key: string | number) => void,
): void {
  if (Array.isArray(value) && isPlainObject(schema.items)) {
    value.forEach((item, i) => {
      visit(item, schema.items as Schema, i);
    });
  } else if (isPlainObject(value)) {
    const properties = isPlainObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
    const additional = isPlainObject(schema.additionalProperties)
      ? (schema.additionalProperties as Schema)
      : undefined;
    for (const [key, child] of Object.entries(value)) {
      const sub = properties[key] ?? additional;
      if (sub) visit(child, sub, key);
    }
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** Fills absent fields that have a `default:` in the schema, inside objects that are present. */
export function applySchemaDefaults(value: unknown, schema: Schema): void {
  if (isPlainObject(value) && isPlainObject(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties as Record<string, Schema>)) {
      if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    }
  }
  children(value, schema, (child, sub) => applySchemaDefaults(child, sub));
}

export function celCauses(value: unknown, schema: Schema, path = ''): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = Array.isArray(schema['x-kubernetes-validations'])
    ? (schema['x-kubernetes-validations'] as { rule: string; message?: string }[])
    : [];
  for (const { rule, message } of rules) {
    const check = RULES.get(normalise(rule));
    if (!check) {
      skippedRules.add(normalise(rule));
      continue;
    }
    if (!check(value)) {
      const shown = isPlainObject(value) ? '"object"' : JSON.stringify(value);
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown}: ${message ?? `failed rule: ${rule}`}`,
        field: path,
      });
    }
  }
  children(value, schema, (child, sub, key) => causes.push(...celCauses(child, sub, join(path, key))));
  return causes;
}
