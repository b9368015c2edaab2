import { badRequest, invalid } from './status.js';
import { clone, isPlainObject } from './types.js';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export type ListKeys = (names: string[]) => string[] | undefined;

function keyOf(item: unknown, keys: string[]): string | undefined {
  if (!isPlainObject(item)) return undefined;
  // protocol defaults to TCP on ports, so an item without it is the TCP item.
  return JSON.stringify(keys.map((k) => item[k] ?? (k === 'protocol' ? 'TCP' : null)));
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

/**
 * Strategic merge patch for the built-in kinds: lists with a merge key merge item by item
 * (`$patch: delete` removes one, `$patch: replace` replaces the list), other lists are replaced,
 * null deletes. `$setElementOrder`/`$retainKeys` are accepted and ignored.
 */
export function strategicMergePatch(
  target: unknown,
  patch: unknown,
  listKeys: ListKeys,
  names: string[] = [],
): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const path = [...names, key];
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      const keys = listKeys(path);
      const current = out[key];
      if (!keys || !Array.isArray(current) || value.some((v) => isPlainObject(v) && v.$patch === 'replace')) {
        out[key] = stripDirectives(value.filter((v) => !(isPlainObject(v) && v.$patch === 'replace')));
        continue;
      }
      const merged = clone(current);
      for (const item of value) {
        const k = keyOf(item, keys);
        const index = merged.findIndex((m) => keyOf(m, keys) === k);
        if (isPlainObject(item) && item.$patch === 'delete') {
          if (index >= 0) merged.splice(index, 1);
        } else if (index >= 0) {
          merged[index] = strategicMergePatch(merged[index], item, listKeys, path);
        } else {
          merged.push(stripDirectives(item));
        }
      }
      out[key] = merged;
    } else if (isPlainObject(value)) {
      const result = strategicMergePatch(out[key], value, listKeys, path);
      if (result === undefined) delete out[key];
      else out[key] = result;
    } else {
      out[key] = value;
    }
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(
  doc: unknown,
  parts: string[],
  op: string,
  path: string,
): { parent: unknown; last: string } {
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else current = undefined;
    if (current === undefined) {
      throw invalidPatch(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
  }
  return { parent: current, last: parts.at(-1) ?? '' };
}

function invalidPatch(message: string): Error {
  return invalid('Patch', '', '', [{ reason: 'FieldValueInvalid', message, field: '' }]);
}

function read(doc: unknown, path: string, op: string): unknown {
  let current = doc;
  for (const part of pointer(path)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else current = undefined;
    if (current === undefined)
      throw invalidPatch(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return current;
}

function add(doc: unknown, path: string, value: unknown, op: string): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, parts, op, path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw invalidPatch(`${op} operation does not apply: index out of range in "${path}"`);
    parent.splice(index, 0, clone(value));
  } else if (isPlainObject(parent)) parent[last] = clone(value);
  else throw invalidPatch(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: unknown, path: string, op: string): unknown {
  const parts = pointer(path);
  const { parent, last } = parentOf(doc, parts, op, path);
  read(doc, path, op);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isPlainObject(parent)) delete parent[last];
  return doc;
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a JSON array of operations');
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value, 'add');
        break;
      case 'remove':
        doc = remove(doc, raw.path, 'remove');
        break;
      case 'replace':
        doc = remove(doc, raw.path, 'replace');
        doc = add(doc, raw.path, raw.value, 'replace');
        break;
      case 'move': {
        const value = read(doc, raw.from ?? '', 'move');
        doc = remove(doc, raw.from ?? '', 'move');
        doc = add(doc, raw.path, value, 'move');
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, read(doc, raw.from ?? '', 'copy'), 'copy');
        break;
      case 'test':
        if (JSON.stringify(read(doc, raw.path, 'test')) !== JSON.stringify(raw.value)) {
          throw invalidPatch(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return doc;
}
