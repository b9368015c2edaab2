import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isPlainObject, type StatusCause } from './types.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  if (!sharedAjv) {
    // strict: false because Kubernetes schemas carry x-kubernetes-* keywords ajv does not know.
    sharedAjv = new Ajv({ strict: false, allErrors: true });
    addFormats(sharedAjv);
    for (const format of ['int-or-string', 'quantity', 'date-time-rfc3339'])
      sharedAjv.addFormat(format, true);
  }
  return sharedAjv;
}

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv().compile(schema);
}

/** `/spec/http/0/route` → `spec.http[0].route`, the way the API server names fields. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (extra) parts.push(extra);
  let out = '';
  for (const raw of parts) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let current = root;
  for (const raw of instancePath.split('/').filter((p) => p !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isPlainObject(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Turns ajv errors into the StatusCauses the API server would report for the same mistakes. */
export function causesFromAjv(errors: ErrorObject[] | null | undefined, root: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let cause: StatusCause;
    const value = valueAt(root, error.instancePath);
    if (error.keyword === 'required') {
      const missing = String((error.params as { missingProperty?: string }).missingProperty ?? '');
      cause = {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: fieldPath(error.instancePath, missing),
      };
    } else if (error.keyword === 'type') {
      const field = fieldPath(error.instancePath);
      const expected = String((error.params as { type?: unknown }).type ?? '');
      const actual = jsonTypeName(value);
      cause = {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${field} in body must be of type ${expected}: "${actual}"`,
        field,
      };
    } else if (error.keyword === 'enum') {
      const allowed = ((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) =>
        JSON.stringify(v),
      );
      cause = {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.join(', ')}`,
        field: fieldPath(error.instancePath),
      };
    } else if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') {
      // The branch errors that follow say what is wrong more precisely.
      continue;
    } else {
      const field = fieldPath(error.instancePath);
      cause = {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(value)}: ${field} in body ${error.message ?? 'is invalid'}`,
        field,
      };
    }
    const key = `${cause.field}\u0000${cause.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      causes.push(cause);
    }
  }
  return causes;
}

type Schema = Record<string, unknown>;

/** Follows `$ref` (and the `allOf: [{$ref}]` wrapper the Kubernetes OpenAPI uses); CRD schemas have none. */
export type Resolve = (schema: Schema) => Schema;

const noRefs: Resolve = (schema) => schema;

export function refResolver(components: Record<string, Schema>): Resolve {
  const target = (ref: unknown): Schema | undefined =>
    typeof ref === 'string' ? components[ref.replace('#/components/schemas/', '')] : undefined;
  return (schema) => {
    let current = schema;
    for (let depth = 0; depth < 16; depth++) {
      const direct = target(current.$ref);
      const wrapped =
        Array.isArray(current.allOf) && current.allOf.length === 1 && isPlainObject(current.allOf[0])
          ? target(current.allOf[0].$ref)
          : undefined;
      const next = direct ?? wrapped;
      if (!next) return current;
      const { $ref: _r, allOf: _a, ...rest } = current;
      current = { ...next, ...rest };
    }
    return current;
  };
}

/**
 * Drops fields a structural schema does not declare, as the API server does when it decodes;
 * records the dotted paths of what it dropped.
 */
export function pruneUnknown(
  value: unknown,
  rawSchema: Schema,
  path: string,
  dropped: string[],
  resolve: Resolve = noRefs,
): void {
  const schema = resolve(rawSchema);
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isPlainObject(items)) {
      for (const [i, item] of value.entries()) pruneUnknown(item, items, `${path}[${i}]`, dropped, resolve);
    }
    return;
  }
  if (!isPlainObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const properties = isPlainObject(schema.properties)
    ? (schema.properties as Record<string, Schema>)
    : undefined;
  const additional = isPlainObject(schema.additionalProperties)
    ? (schema.additionalProperties as Schema)
    : undefined;
  if (schema['x-kubernetes-embedded-resource'] === true && path !== '') return;
  // A scalar-typed schema (Quantity, IntOrString, ...) holding an object is the validator's business.
  if (!properties && !additional && schema.type !== 'object') return;
  for (const key of Object.keys(value)) {
    const child = `${path ? `${path}.` : ''}${key}`;
    const sub = properties?.[key] ?? additional;
    if (sub) pruneUnknown(value[key], sub, child, dropped, resolve);
    else if (!preserve && schema.additionalProperties !== true) {
      delete value[key];
      dropped.push(child);
    }
  }
}

/** Schema at `names` (field names, no indices) inside `schema`, if the path exists. */
export function schemaAt(schema: Schema, names: string[], resolve: Resolve = noRefs): Schema | undefined {
  let current: Schema | undefined = resolve(schema);
  for (const name of names) {
    if (!current) return undefined;
    while (current && current.type === 'array' && isPlainObject(current.items))
      current = resolve(current.items as Schema);
    const properties: Record<string, Schema> | undefined = isPlainObject(current?.properties)
      ? (current?.properties as Record<string, Schema>)
      : undefined;
    const additional: Schema | undefined = isPlainObject(current?.additionalProperties)
      ? (current?.additionalProperties as Schema)
      : undefined;
    const next: Schema | undefined = properties?.[name] ?? additional;
    current = next ? resolve(next) : undefined;
  }
  return current;
}
