import { randomUUID } from 'node:crypto';
import { AUTOSCALER_MANAGER, type AutoscalerOptions, autoscale, targetOf } from './autoscaler.js';
import {
  deploymentController,
  type GatewayApiOptions,
  httpRouteController,
  type SimulatedController,
} from './controllers.js';
import { fromFieldsV1, recordUpdate, sameValue, serverSideApply, toFieldsV1 } from './managed-fields.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patches.js';
import type { ReadinessOptions } from './readiness.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  preconditionFailed,
  success,
  unsupportedMediaType,
} from './status.js';
import { clone, isPlainObject, type KubeObject } from './types.js';

export interface Target {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

export interface WriteOptions {
  fieldManager?: string;
  force?: boolean;
  dryRun?: boolean;
  /** `Strict` rejects unknown fields; `Warn` (the server's default) and `Ignore` prune them. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface WriteRecord {
  verb: 'create' | 'update' | 'patch' | 'delete';
  /** For patches: json, merge, strategic or apply. */
  patchType?: 'json' | 'merge' | 'strategic' | 'apply';
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespace?: string;
  name: string;
  subresource?: string;
  fieldManager?: string;
  resourceVersion?: string;
  /** When the write happened, on the cluster's clock. */
  time: string;
}

export interface Outcome {
  code: number;
  body: unknown;
  warnings: string[];
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface ClusterOptions {
  readiness?: ReadinessOptions;
  gatewayApi?: GatewayApiOptions;
  /** Namespaces that exist besides stored Namespace objects; writes elsewhere get 404 as on a real cluster. Unset: every namespace exists. */
  namespaces?: string[];
  now?: () => Date;
}

function key(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.group}|${type.plural}|${type.namespaced ? (namespace ?? '') : ''}|${name}`;
}

function apiVersionOf(type: ResourceType, version: string): string {
  return type.group ? `${type.group}/${version}` : version;
}

function withoutMetaAndStatus(obj: KubeObject, skipStatus: boolean): unknown {
  const { metadata: _m, status: _s, ...rest } = obj;
  return skipStatus ? rest : { ...rest, status: obj.status };
}

/** A status without its timestamps, to tell a real change from a re-run that found the same. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'lastTransitionTime' && k !== 'lastUpdateTime')
      .map(([k, v]) => [k, withoutTimes(v)]),
  );
}

function scaleOf(obj: KubeObject): Record<string, unknown> {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  const matchLabels =
    isPlainObject(spec.selector) && isPlainObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

function comparable(obj: KubeObject): unknown {
  const { managedFields: _f, resourceVersion: _r, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** The object store and the API semantics on top of it; the HTTP layer only parses and routes. */
export class Cluster {
  private readonly objects = new Map<string, KubeObject>();
  private readonly pending = new Map<
    string,
    { remaining: number; controller: SimulatedController; type: ResourceType }
  >();
  private readonly unsettled = new Set<string>();
  private resourceVersion = 0;
  readonly writes: WriteRecord[] = [];
  private readonly now: () => Date;
  private readonly controllers: SimulatedController[];
  private readonly namespaces: Set<string> | undefined;

  constructor(
    readonly registry: ResourceRegistry,
    options: ClusterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.controllers = [deploymentController(options.readiness), httpRouteController(options.gatewayApi)];
    this.namespaces = options.namespaces ? new Set(options.namespaces) : undefined;
  }

  private time(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  get currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  /** The stored object as the API would return it at `version`, or undefined. */
  peek(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    const stored = this.objects.get(key(type, namespace, name));
    if (!stored) return undefined;
    const out = clone(stored);
    out.apiVersion = apiVersionOf(type, version);
    return out;
  }

  get(target: Target): Outcome {
    const name = target.name ?? '';
    this.poll(target.type, target.namespace, name);
    const obj = this.peek(target.type, target.version, target.namespace, name);
    if (!obj) throw notFound(target.type.plural, target.type.group, name);
    return { code: 200, body: obj, warnings: [] };
  }

  list(target: Target, labelSelector?: string, fieldSelector?: string): Outcome {
    const { type } = target;
    const labelTest = labelSelector ? parseLabelSelector(labelSelector) : () => true;
    const fieldTest = fieldSelector ? parseFieldSelector(fieldSelector) : () => true;
    const prefix = `${type.group}|${type.plural}|${type.namespaced && target.namespace ? target.namespace : ''}`;
    const keys = [...this.objects.keys()].filter((k) =>
      target.namespace || !type.namespaced
        ? k.startsWith(`${prefix}|`)
        : k.startsWith(`${type.group}|${type.plural}|`),
    );
    const items: KubeObject[] = [];
    for (const k of keys.sort()) {
      const stored = this.objects.get(k);
      if (!stored) continue;
      this.poll(type, stored.metadata.namespace, stored.metadata.name ?? '');
      const obj = this.peek(type, target.version, stored.metadata.namespace, stored.metadata.name ?? '');
      if (!obj || !labelTest(obj.metadata.labels ?? {}) || !fieldTest(obj)) continue;
      // Built-in lists carry kind/apiVersion only on the list; custom resource lists on every item.
      if (!type.custom) {
        delete (obj as Partial<KubeObject>).apiVersion;
        delete (obj as Partial<KubeObject>).kind;
      }
      items.push(obj);
    }
    return {
      code: 200,
      body: {
        apiVersion: apiVersionOf(type, target.version),
        kind: `${type.kind}List`,
        metadata: { resourceVersion: this.currentResourceVersion },
        items,
      },
      warnings: [],
    };
  }

  create(target: Target, body: unknown, options: WriteOptions): Outcome {
    const { type } = target;
    const obj = this.coerce(target, body);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = `${obj.metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    const name = obj.metadata.name ?? '';
    if (name && this.objects.has(key(type, obj.metadata.namespace, name)))
      throw alreadyExists(type.plural, type.group, name);
    if (obj.metadata.resourceVersion)
      throw badRequest('resourceVersion should not be set on objects to be created');
    return this.commit(
      target,
      undefined,
      obj,
      options,
      { verb: 'create' },
      options.fieldManager ?? 'unknown',
    );
  }

  replace(target: Target, body: unknown, options: WriteOptions): Outcome {
    const obj = this.coerce(target, body);
    const before = this.stored(target);
    // Custom resources do not allow unconditional updates (their strategy's AllowUnconditionalUpdate is false).
    if (target.type.custom && !obj.metadata.resourceVersion) {
      throw invalid(target.type.kind, target.type.group, obj.metadata.name ?? '', [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ]);
    }
    return this.commit(target, before, obj, options, { verb: 'update' }, options.fieldManager ?? 'unknown');
  }

  patch(target: Target, patchType: PatchType, patch: unknown, options: WriteOptions): Outcome {
    const { type } = target;
    const name = target.name ?? '';
    const existing = this.objects.get(key(type, target.namespace, name));
    if (patchType === 'apply') return this.apply(target, existing, patch, options);
    if (!existing) throw notFound(type.plural, type.group, name);
    const before = this.peek(type, target.version, target.namespace, name) as KubeObject;
    let patched: unknown;
    if (patchType === 'merge') patched = mergePatch(before, patch);
    else if (patchType === 'json') patched = jsonPatch(before, patch);
    else {
      // The real server refuses strategic merge patches for custom resources.
      if (type.custom) throw unsupportedMediaType('application/strategic-merge-patch+json');
      patched = strategicMergePatch(before, patch, (names) => type.listKeys(names, target.version));
    }
    const obj = this.coerce(target, patched);
    return this.commit(
      target,
      before,
      obj,
      options,
      { verb: 'patch', patchType },
      options.fieldManager ?? 'unknown',
    );
  }

  private apply(
    target: Target,
    existing: KubeObject | undefined,
    patch: unknown,
    options: WriteOptions,
  ): Outcome {
    const { type } = target;
    if (!options.fieldManager) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: is required for apply patch',
          field: 'fieldManager',
        },
      ]);
    }
    const config = this.coerce(target, patch);
    const before = existing
      ? this.peek(type, target.version, target.namespace, target.name ?? '')
      : undefined;
    if (target.subresource === 'status' && !before)
      throw notFound(type.plural, type.group, target.name ?? '');
    const merged = serverSideApply({
      current: before,
      config,
      manager: options.fieldManager,
      force: options.force === true,
      listKeys: (names) => type.listKeys(names, target.version),
      skipStatus: type.hasStatus && target.subresource !== 'status',
      plural: type.plural,
      group: type.group,
      time: this.time(),
    });
    if (config.metadata.resourceVersion) merged.metadata.resourceVersion = config.metadata.resourceVersion;
    else if (before) merged.metadata.resourceVersion = before.metadata.resourceVersion;
    return this.commit(
      target,
      before,
      merged,
      options,
      { verb: before ? 'patch' : 'create', patchType: 'apply' },
      undefined,
    );
  }

  delete(
    target: Target,
    options: WriteOptions,
    preconditions?: { resourceVersion?: string; uid?: string },
  ): Outcome {
    const { type } = target;
    const name = target.name ?? '';
    const k = key(type, target.namespace, name);
    const existing = this.objects.get(k);
    if (!existing) throw notFound(type.plural, type.group, name);
    if (
      preconditions?.resourceVersion &&
      preconditions.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw preconditionFailed(
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    if (preconditions?.uid && preconditions.uid !== existing.metadata.uid) {
      throw preconditionFailed(
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (!options.dryRun) {
      this.objects.delete(k);
      this.pending.delete(k);
      this.record({ verb: 'delete' }, target, existing, options.fieldManager);
    }
    return { code: 200, body: success(type.plural, type.group, name, existing.metadata.uid), warnings: [] };
  }

  /** GET `/scale`: the autoscaling/v1 Scale view of `spec.replicas` (apps/v1 Deployment scale subresource). */
  getScale(target: Target): Outcome {
    const obj = this.stored(target) as KubeObject;
    return { code: 200, body: scaleOf(obj), warnings: [] };
  }

  /**
   * PUT/PATCH `/scale`: only `spec.replicas` changes. The writer's ownership is recorded in a
   * managedFields entry with `subresource: scale` and every other owner loses `spec.replicas`, so a
   * later server-side apply that leaves replicas out no longer removes it (KEP-2155, "fields
   * updated through /scale are owned under the scale subresource").
   */
  writeScale(target: Target, replicas: number, options: WriteOptions, resourceVersion?: string): Outcome {
    const before = this.stored(target) as KubeObject;
    if (resourceVersion && resourceVersion !== before.metadata.resourceVersion)
      throw conflict(target.type.plural, target.type.group, target.name ?? '');
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', target.name ?? '', [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${replicas}: must be greater than or equal to 0`,
          field: 'spec.replicas',
        },
      ]);
    }
    const obj = clone(before);
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    if (spec.replicas === replicas) return { code: 200, body: scaleOf(before), warnings: [] };
    spec.replicas = replicas;
    obj.spec = spec;
    const manager = options.fieldManager ?? 'unknown';
    const path = 'f:spec\nf:replicas';
    const entries = (obj.metadata.managedFields ?? [])
      .map((e) => {
        if (e.subresource && e.manager === manager && e.subresource === 'scale') return undefined;
        const paths = fromFieldsV1(e.fieldsV1);
        paths.delete(path);
        return paths.size > 0 ? { ...e, fieldsV1: toFieldsV1(paths) } : undefined;
      })
      .filter((e): e is NonNullable<typeof e> => e !== undefined);
    obj.metadata.managedFields = [
      ...entries,
      {
        manager,
        operation: 'Update',
        apiVersion: 'autoscaling/v1',
        time: this.time(),
        fieldsType: 'FieldsV1',
        fieldsV1: toFieldsV1([path]),
        subresource: 'scale',
      },
    ];
    delete obj.metadata.resourceVersion;
    const outcome = this.commit(
      { ...target, subresource: 'scale' },
      before,
      obj,
      options,
      { verb: 'update' },
      undefined,
    );
    return { ...outcome, body: scaleOf(outcome.body as KubeObject) };
  }

  /** Direct write for tests (a controller's status update, a user's kubectl edit); validated like any write. */
  put(target: Target, obj: KubeObject, manager: string): KubeObject {
    const before = this.stored(target, false);
    const outcome = this.commit(target, before, this.coerce(target, obj), {}, undefined, manager, true);
    return outcome.body as KubeObject;
  }

  private stored(target: Target, required = true): KubeObject | undefined {
    const before = this.peek(target.type, target.version, target.namespace, target.name ?? '');
    if (!before && required) throw notFound(target.type.plural, target.type.group, target.name ?? '');
    return before;
  }

  /** Checks the body names the same object as the URL, and fills apiVersion/kind/namespace. */
  private coerce(target: Target, body: unknown): KubeObject {
    const { type } = target;
    if (!isPlainObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    const obj = clone(body) as KubeObject;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(type, target.version)) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(type, target.version)})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind})`,
      );
    }
    obj.apiVersion = apiVersionOf(type, target.version);
    obj.kind = type.kind;
    if (type.namespaced) {
      if (obj.metadata.namespace && target.namespace && obj.metadata.namespace !== target.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = target.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    if (target.name !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== target.name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${target.name})`,
      );
    }
    if (target.name !== undefined) obj.metadata.name = target.name;
    return obj;
  }

  private commit(
    target: Target,
    before: KubeObject | undefined,
    candidate: KubeObject,
    options: WriteOptions,
    write: Pick<WriteRecord, 'verb' | 'patchType'> | undefined,
    updateManager: string | undefined,
    direct = false,
  ): Outcome {
    const { type } = target;
    const name = candidate.metadata.name ?? '';
    if (
      before &&
      candidate.metadata.resourceVersion &&
      candidate.metadata.resourceVersion !== before.metadata.resourceVersion
    ) {
      throw conflict(type.plural, type.group, name);
    }
    let obj = candidate;
    if (!direct && type.hasStatus) {
      if (target.subresource === 'status') {
        if (!before) throw notFound(type.plural, type.group, name);
        obj = { ...clone(before), status: candidate.status };
      } else if (before) {
        if (before.status === undefined) delete obj.status;
        else obj.status = clone(before.status);
      } else {
        delete obj.status;
      }
    }
    if (!before && type.namespaced && !this.namespaceExists(obj.metadata.namespace ?? '')) {
      throw notFound('namespaces', '', obj.metadata.namespace ?? '');
    }
    const warnings: string[] = [];
    const dropped = type.prune(obj, target.version);
    if (dropped.length > 0) {
      if (options.fieldValidation === 'Strict') {
        throw badRequest(
          `${type.kind} in version "${target.version}" cannot be handled as a ${type.kind}: strict decoding error: ${dropped.map((d) => `unknown field "${d}"`).join(', ')}`,
        );
      }
      if (options.fieldValidation !== 'Ignore') warnings.push(...dropped.map((d) => `unknown field "${d}"`));
    }
    type.applyDefaults(obj);
    const causes = [
      ...type.validate(obj, target.version),
      ...(before ? (type.immutable?.(before, obj) ?? []) : []),
    ];
    if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
    const skipStatus = type.hasStatus && target.subresource !== 'status';
    if (updateManager !== undefined) {
      recordUpdate(
        before,
        obj,
        updateManager,
        (names) => type.listKeys(names, target.version),
        skipStatus,
        this.time(),
      );
    }
    obj.metadata.uid = before?.metadata.uid ?? randomUUID();
    obj.metadata.creationTimestamp = before?.metadata.creationTimestamp ?? this.time();
    const changedSpec =
      before === undefined ||
      !sameValue(withoutMetaAndStatus(before, type.hasStatus), withoutMetaAndStatus(obj, type.hasStatus));
    obj.metadata.generation =
      before === undefined ? 1 : (before.metadata.generation ?? 1) + (changedSpec ? 1 : 0);
    if (before && sameValue(comparable(before), comparable(obj))) {
      // A no-op write does not bump resourceVersion on the real server either.
      return { code: 200, body: before, warnings };
    }
    if (options.dryRun) {
      obj.metadata.resourceVersion = before?.metadata.resourceVersion ?? '';
      return { code: before ? 200 : 201, body: obj, warnings };
    }
    obj.metadata.resourceVersion = this.nextVersion();
    const k = key(type, obj.metadata.namespace, name);
    this.objects.set(k, clone(obj));
    if (write) this.record(write, target, obj, updateManager ?? options.fieldManager);
    const controller = this.controllerFor(type);
    if (controller && changedSpec && target.subresource !== 'status') {
      // Seeded objects without a status are already running: reconciled at once.
      if (!direct) this.startReconcile(type, k, controller);
      else if (obj.status === undefined) this.finishReconcile(type, k, controller);
    }
    const out = this.peek(type, target.version, obj.metadata.namespace, name) as KubeObject;
    return { code: before ? 200 : 201, body: out, warnings };
  }

  private record(
    write: Pick<WriteRecord, 'verb' | 'patchType'>,
    target: Target,
    obj: KubeObject,
    fieldManager: string | undefined,
  ): void {
    this.writes.push({
      ...write,
      group: target.type.group,
      version: target.version,
      kind: target.type.kind,
      plural: target.type.plural,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      name: obj.metadata.name ?? '',
      ...(target.subresource ? { subresource: target.subresource } : {}),
      ...(fieldManager ? { fieldManager } : {}),
      ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
      time: this.now().toISOString(),
    });
  }

  private namespaceExists(namespace: string): boolean {
    if (!this.namespaces || this.namespaces.has(namespace)) return true;
    return [...this.objects.keys()].includes(`|namespaces||${namespace}`);
  }

  private controllerFor(type: ResourceType): SimulatedController | undefined {
    return this.controllers.find((c) => c.handles(type));
  }

  private startReconcile(type: ResourceType, k: string, controller: SimulatedController): void {
    if (controller.afterPolls <= 0) {
      this.finishReconcile(type, k, controller);
      return;
    }
    this.pending.set(k, { remaining: controller.afterPolls, controller, type });
    if (controller.progressing)
      this.writeStatus(type, k, (obj) => controller.progressing?.(obj, this.time()));
  }

  private finishReconcile(type: ResourceType, k: string, controller: SimulatedController): void {
    this.pending.delete(k);
    this.writeStatus(type, k, (obj) => controller.done(obj, this.time(), this.lookup));
    this.trackUnsettled(k, controller);
  }

  private trackUnsettled(k: string, controller: SimulatedController): void {
    const status = this.objects.get(k)?.status;
    if (controller.waiting?.(status)) this.unsettled.add(k);
    else this.unsettled.delete(k);
  }

  /** What a controller can see: whether an object exists (a kubelet reading a ConfigMap, a gateway a Service). */
  private readonly lookup = (kind: string, namespace: string, name: string): boolean => {
    const type = this.registry.types.find((t) => t.kind === kind && !t.custom);
    return type !== undefined && this.objects.has(key(type, namespace, name));
  };

  /**
   * Controllers retry until the world catches up (a kubelet retries a missing ConfigMap, a gateway
   * re-resolves a backend when the Service appears): every read re-runs a finished reconcile, and
   * the status is written only when it changes.
   */
  private recheck(type: ResourceType, k: string): void {
    const controller = this.controllerFor(type);
    if (!controller || this.pending.has(k) || !this.unsettled.has(k)) return;
    this.writeStatus(type, k, (obj) => controller.done(obj, this.time(), this.lookup));
    this.trackUnsettled(k, controller);
  }

  /** Runs the horizontal pod autoscaler controller once over every HPA (the fake's sync period is one request). */
  reconcileAutoscalers(options: AutoscalerOptions): void {
    const hpaType = this.registry.find('autoscaling', 'horizontalpodautoscalers');
    const deployments = this.registry.find('apps', 'deployments');
    if (!hpaType || !deployments) return;
    const prefix = `${hpaType.group}|${hpaType.plural}|`;
    for (const [k, hpa] of [...this.objects.entries()].filter(([k]) => k.startsWith(prefix))) {
      const ref = targetOf(hpa);
      const namespace = hpa.metadata.namespace ?? '';
      const target =
        ref?.kind === 'Deployment' ? this.peek(deployments, 'v1', namespace, ref.name) : undefined;
      const decision = autoscale(hpa, target, options, this.time());
      if (decision.replicas !== undefined && ref) {
        this.writeScale({ type: deployments, version: 'v1', namespace, name: ref.name }, decision.replicas, {
          fieldManager: AUTOSCALER_MANAGER,
        });
      }
      this.writeStatus(hpaType, k, () => decision.status);
    }
  }

  /** A simulated controller's status write: bumps resourceVersion, not generation; must pass validation like any write. */
  private writeStatus(
    type: ResourceType,
    k: string,
    status: (obj: KubeObject) => Record<string, unknown> | undefined,
  ): void {
    const obj = this.objects.get(k);
    if (!obj) return;
    const next = status(obj);
    if (next === undefined) return;
    if (sameValue(withoutTimes(obj.status), withoutTimes(next))) return;
    const candidate = { ...clone(obj), status: next };
    const version = obj.apiVersion.split('/').at(-1) ?? '';
    const causes = type.validate(candidate, version);
    if (causes.length > 0)
      throw new Error(
        `fake-kube bug: simulated status of ${type.kind} is invalid: ${JSON.stringify(causes)}`,
      );
    obj.status = next;
    obj.metadata.resourceVersion = this.nextVersion();
  }

  private poll(type: ResourceType, namespace: string | undefined, name: string): void {
    const k = key(type, namespace, name);
    const entry = this.pending.get(k);
    if (!entry) {
      if (this.objects.has(k)) this.recheck(type, k);
      return;
    }
    if (entry.remaining <= 1) this.finishReconcile(type, k, entry.controller);
    else entry.remaining -= 1;
  }

  /** Objects whose simulated controller has not caught up yet. */
  get pendingReconciles(): number {
    return this.pending.size;
  }
}

export { ApiError };
