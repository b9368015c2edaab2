import type { ListKeys } from './patches.js';
import { applyConflict } from './status.js';
import { clone, isPlainObject, type KubeObject, type ManagedFieldsEntry } from './types.js';

/**
 * Server-side apply field ownership, simplified: each manager owns a set of leaf paths
 * (`f:spec\nf:replicas`, list items of keyed lists as `k:{"name":"app"}`; atomic lists are one leaf).
 */
type Path = string;

const META_OWNED = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

function itemKey(item: Record<string, unknown>, keys: string[]): string {
  const o: Record<string, unknown> = {};
  for (const k of keys) o[k] = item[k] ?? (k === 'protocol' ? 'TCP' : null);
  return `k:${JSON.stringify(o)}`;
}

export function leafPaths(obj: KubeObject, listKeys: ListKeys, skipStatus: boolean): Set<Path> {
  const out = new Set<Path>();
  const walk = (value: unknown, segs: string[], names: string[]): void => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, [...segs, `f:${k}`], [...names, k]);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const keys = listKeys(names);
      if (keys && value.every(isPlainObject)) {
        for (const item of value as Record<string, unknown>[]) {
          const seg = itemKey(item, keys);
          for (const [k, v] of Object.entries(item)) walk(v, [...segs, seg, `f:${k}`], [...names, k]);
        }
        return;
      }
    }
    out.add(segs.join('\n'));
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || (k === 'status' && skipStatus)) continue;
    if (k === 'metadata') {
      for (const [mk, mv] of Object.entries(obj.metadata)) {
        if (META_OWNED.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], ['metadata', mk]);
      }
      continue;
    }
    walk(v, [`f:${k}`], [k]);
  }
  return out;
}

function step(value: unknown, seg: string): unknown {
  if (seg.startsWith('f:')) return isPlainObject(value) ? value[seg.slice(2)] : undefined;
  if (seg.startsWith('k:') && Array.isArray(value)) {
    const want = JSON.parse(seg.slice(2)) as Record<string, unknown>;
    return value.find(
      (item) =>
        isPlainObject(item) &&
        Object.entries(want).every(([k, v]) => (item[k] ?? (k === 'protocol' ? 'TCP' : null)) === v),
    );
  }
  return undefined;
}

export function valueAtPath(obj: unknown, path: Path): unknown {
  let current = obj;
  for (const seg of path.split('\n')) current = step(current, seg);
  return current;
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function sameValue(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

/** `.spec.template.spec.containers[name="app"].image`, as kubectl prints conflicts. */
export function displayPath(path: Path): string {
  return path
    .split('\n')
    .map((seg) => {
      if (seg.startsWith('f:')) return `.${seg.slice(2)}`;
      const o = JSON.parse(seg.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(o)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

function removePath(obj: unknown, path: Path): void {
  const segs = path.split('\n');
  let parent: unknown = obj;
  for (const seg of segs.slice(0, -1)) parent = step(parent, seg);
  const last = segs.at(-1) ?? '';
  if (isPlainObject(parent) && last.startsWith('f:')) delete parent[last.slice(2)];
  // A keyed item whose key field goes away was dropped from the applied config as a whole.
  const itemSeg = segs.at(-2);
  if (itemSeg?.startsWith('k:')) {
    const keyNames = Object.keys(JSON.parse(itemSeg.slice(2)) as object);
    if (keyNames.includes(last.slice(2))) {
      let list: unknown = obj;
      for (const seg of segs.slice(0, -2)) list = step(list, seg);
      if (Array.isArray(list)) {
        const index = list.indexOf(parent);
        if (index >= 0) list.splice(index, 1);
      }
    }
  }
}

function mergeApplied(
  target: Record<string, unknown>,
  config: Record<string, unknown>,
  names: string[],
  listKeys: ListKeys,
): void {
  for (const [key, value] of Object.entries(config)) {
    const path = [...names, key];
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      mergeApplied(current, value, path, listKeys);
    } else if (
      Array.isArray(value) &&
      Array.isArray(current) &&
      listKeys(path) &&
      value.every(isPlainObject)
    ) {
      const keys = listKeys(path) ?? [];
      for (const item of value as Record<string, unknown>[]) {
        const k = itemKey(item, keys);
        const existing = current.find((c) => isPlainObject(c) && itemKey(c, keys) === k);
        if (isPlainObject(existing)) mergeApplied(existing, item, path, listKeys);
        else current.push(clone(item));
      }
    } else {
      target[key] = clone(value);
    }
  }
}

export function toFieldsV1(paths: Iterable<Path>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of paths) {
    let node = root;
    const segs = path.split('\n');
    segs.forEach((seg, i) => {
      node[seg] ??= {};
      node = node[seg] as Record<string, unknown>;
      if (seg.startsWith('k:') && i < segs.length - 1) node['.'] ??= {};
    });
  }
  return root;
}

export function fromFieldsV1(fields: Record<string, unknown>): Set<Path> {
  const out = new Set<Path>();
  const walk = (node: Record<string, unknown>, segs: string[]): void => {
    const children = Object.keys(node).filter((k) => k !== '.');
    if (children.length === 0 && segs.length > 0) out.add(segs.join('\n'));
    for (const k of children) walk(node[k] as Record<string, unknown>, [...segs, k]);
  };
  walk(fields, []);
  return out;
}

interface Ownership {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  paths: Set<Path>;
}

function readOwnership(obj: KubeObject | undefined): Ownership[] {
  return (obj?.metadata.managedFields ?? [])
    .filter((e) => !e.subresource)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      paths: fromFieldsV1(e.fieldsV1),
    }));
}

function writeOwnership(
  obj: KubeObject,
  owners: Ownership[],
  time: string,
  keep: ManagedFieldsEntry[],
): void {
  const entries: ManagedFieldsEntry[] = owners
    .filter((o) => o.paths.size > 0)
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(o.paths),
    }));
  obj.metadata.managedFields = [...entries, ...keep];
}

export interface ApplyInput {
  current: KubeObject | undefined;
  config: KubeObject;
  manager: string;
  force: boolean;
  listKeys: ListKeys;
  skipStatus: boolean;
  plural: string;
  group: string;
  time: string;
}

/** Server-side apply: returns the merged object with managedFields updated, or throws a 409 on conflicts. */
export function serverSideApply(input: ApplyInput): KubeObject {
  const { current, config, manager, listKeys } = input;
  const applied = leafPaths(config, listKeys, input.skipStatus);
  const owners = readOwnership(current);
  const conflicts: { manager: string; apiVersion: string; field: string }[] = [];
  for (const owner of owners) {
    if (owner.manager === manager && owner.operation === 'Apply') continue;
    for (const path of owner.paths) {
      if (applied.has(path) && !sameValue(valueAtPath(current, path), valueAtPath(config, path))) {
        conflicts.push({ manager: owner.manager, apiVersion: owner.apiVersion, field: displayPath(path) });
      }
    }
  }
  if (conflicts.length > 0 && !input.force) {
    throw applyConflict(input.plural, input.group, config.metadata.name ?? '', conflicts);
  }
  const result: KubeObject = current
    ? clone(current)
    : {
        apiVersion: config.apiVersion,
        kind: config.kind,
        metadata: {
          ...(config.metadata.name !== undefined ? { name: config.metadata.name } : {}),
          ...(config.metadata.namespace !== undefined ? { namespace: config.metadata.namespace } : {}),
        },
      };
  const mine = owners.find((o) => o.manager === manager && o.operation === 'Apply');
  const others = owners.filter((o) => o !== mine);
  for (const path of mine?.paths ?? []) {
    if (!applied.has(path) && !others.some((o) => o.paths.has(path))) removePath(result, path);
  }
  for (const owner of others) {
    for (const path of applied) {
      if (owner.paths.has(path) && !sameValue(valueAtPath(current, path), valueAtPath(config, path)))
        owner.paths.delete(path);
    }
  }
  const { metadata: configMeta, ...configBody } = config;
  mergeApplied(result, clone(configBody), [], listKeys);
  for (const key of META_OWNED) {
    const value = configMeta[key];
    if (value === undefined) continue;
    const existing = result.metadata[key];
    if (isPlainObject(existing) && isPlainObject(value)) Object.assign(existing, clone(value));
    else result.metadata[key] = clone(value);
  }
  result.apiVersion = config.apiVersion;
  const nextOwners = [
    ...others,
    { manager, operation: 'Apply' as const, apiVersion: config.apiVersion, paths: applied },
  ];
  writeOwnership(
    result,
    nextOwners,
    input.time,
    (current?.metadata.managedFields ?? []).filter((e) => e.subresource),
  );
  return result;
}

/** After a create/replace/patch: the writer takes the fields it changed; removed fields leave every owner. */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  listKeys: ListKeys,
  skipStatus: boolean,
  time: string,
): void {
  const owners = readOwnership(before);
  const now = leafPaths(after, listKeys, skipStatus);
  const changed = new Set<Path>();
  for (const path of now) {
    if (!before || !sameValue(valueAtPath(before, path), valueAtPath(after, path))) changed.add(path);
  }
  for (const owner of owners) {
    for (const path of owner.paths) if (!now.has(path) || changed.has(path)) owner.paths.delete(path);
  }
  let mine = owners.find((o) => o.manager === manager && o.operation === 'Update');
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion: after.apiVersion, paths: new Set() };
    owners.push(mine);
  }
  for (const path of changed) mine.paths.add(path);
  writeOwnership(
    after,
    owners,
    time,
    (before?.metadata.managedFields ?? []).filter((e) => e.subresource),
  );
}
