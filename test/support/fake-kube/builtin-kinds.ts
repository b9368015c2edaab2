import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { ResourceType } from './resources.js';
import { causesFromAjv, pruneUnknown, type Resolve, refResolver, schemaAt } from './schema-validation.js';
import { isPlainObject, type KubeObject, type StatusCause } from './types.js';

interface Validatable {
  validate(): void;
}
type ModelConstructor = new (data: never) => Validatable;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Runs a kubernetes-models validator (generated from the official OpenAPI) and maps its ajv errors. */
function modelCauses(Model: ModelConstructor, obj: KubeObject): StatusCause[] {
  try {
    new Model(structuredClone(obj) as never).validate();
    return [];
  } catch (e: unknown) {
    const errors = (e as { errors?: Parameters<typeof causesFromAjv>[0] }).errors;
    if (!errors) throw e;
    return causesFromAjv(errors, obj);
  }
}

export function nameCauses(obj: KubeObject, pattern: RegExp = DNS1123_SUBDOMAIN): StatusCause[] {
  const name = obj.metadata?.name;
  if (!name) {
    return [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ];
  }
  // Service names are DNS-1035 labels: at most 63 characters (apimachinery validation.IsDNS1035Label).
  if (pattern === DNS1035_LABEL && name.length > 63) {
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": must be no more than 63 characters`,
        field: 'metadata.name',
      },
    ];
  }
  if (name.length > 253 || !pattern.test(name)) {
    const what = pattern === DNS1035_LABEL ? 'a DNS-1035 label' : 'a lowercase RFC 1123 subdomain';
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": ${what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        field: 'metadata.name',
      },
    ];
  }
  return [];
}

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function deploymentCauses(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = record(obj.spec);
  const template = record(spec.template);
  const podSpec = record(template.spec);
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  if (isPlainObject(spec.template) && containers.length === 0 && Array.isArray(podSpec.containers)) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.template.spec.containers',
    });
  }
  containers.forEach((c: unknown, i: number) => {
    if (isPlainObject(c) && !c.image) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.template.spec.containers[${i}].image`,
      });
    }
  });
  const matchLabels = record(record(spec.selector).matchLabels);
  const labels = record(record(template.metadata).labels);
  if (isPlainObject(spec.selector)) {
    if (Object.keys(matchLabels).length === 0 && !Array.isArray(record(spec.selector).matchExpressions)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "null": empty selector is invalid for deployment',
        field: 'spec.selector',
      });
    } else if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        field: 'spec.template.metadata.labels',
      });
    }
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      field: 'spec.replicas',
    });
  }
  return causes;
}

/**
 * apps/v1 made `spec.selector` immutable (kubernetes/pkg/apis/apps/validation ValidateDeploymentUpdate:
 * "field is immutable"); a changed selector is refused with 422 on every update path.
 */
function deploymentImmutable(before: KubeObject, obj: KubeObject): StatusCause[] {
  const was = JSON.stringify(sortedKeys(record(before.spec).selector));
  const now = JSON.stringify(sortedKeys(record(obj.spec).selector));
  if (was === now) return [];
  return [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(record(obj.spec).selector)}: field is immutable`,
      field: 'spec.selector',
    },
  ];
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys(value[k])]),
  );
}

function serviceCauses(obj: KubeObject): StatusCause[] {
  const spec = record(obj.spec);
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
    return [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports' }];
  }
  return [];
}

function leaseCauses(obj: KubeObject): StatusCause[] {
  const duration = record(obj.spec).leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) {
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${duration}: must be greater than 0`,
        field: 'spec.leaseDurationSeconds',
      },
    ];
  }
  return [];
}

function deploymentDefaults(obj: KubeObject): void {
  const spec = record(obj.spec);
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  const podSpec = record(record(spec.template).spec);
  for (const c of Array.isArray(podSpec.containers) ? podSpec.containers : []) {
    for (const p of Array.isArray(record(c).ports) ? (record(c).ports as unknown[]) : []) {
      if (isPlainObject(p)) p.protocol ??= 'TCP';
    }
  }
}

function serviceDefaults(obj: KubeObject): void {
  const spec = record(obj.spec);
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (isPlainObject(p)) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  }
}

/** Merge keys of the built-in lists we use, as in their `x-kubernetes-patch-merge-key`. */
function builtinListKeys(names: string[]): string[] | undefined {
  const last = names.at(-1);
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return ['name'];
    case 'volumeMounts':
      return ['mountPath'];
    case 'conditions':
      return ['type'];
    case 'ports':
      return names.at(-2) === 'spec' ? ['port', 'protocol'] : ['containerPort', 'protocol'];
    case 'ownerReferences':
      return ['uid'];
    default:
      return undefined;
  }
}

type Schema = Record<string, unknown>;

/** The official OpenAPI v3 schema of a kind, for pruning unknown fields and list merge keys. */
interface OfficialSchema {
  schema: Schema;
  resolve: Resolve;
}

const OPENAPI_FILES: Record<string, string> = {
  '': 'api__v1_openapi.json',
  apps: 'apis__apps__v1_openapi.json',
  'coordination.k8s.io': 'apis__coordination.k8s.io__v1_openapi.json',
};

const SCHEMA_PREFIX: Record<string, string> = {
  '': 'io.k8s.api.core.v1.',
  apps: 'io.k8s.api.apps.v1.',
  'coordination.k8s.io': 'io.k8s.api.coordination.v1.',
};

const documents = new Map<string, Record<string, Schema>>();

function officialSchema(
  openapiDir: string | undefined,
  group: string,
  kind: string,
): OfficialSchema | undefined {
  const file = OPENAPI_FILES[group];
  if (!openapiDir || !file || !existsSync(join(openapiDir, file))) return undefined;
  let components = documents.get(file);
  if (!components) {
    const doc = JSON.parse(readFileSync(join(openapiDir, file), 'utf8')) as {
      components: { schemas: Record<string, Schema> };
    };
    components = doc.components.schemas;
    documents.set(file, components);
  }
  const schema = components[`${SCHEMA_PREFIX[group] ?? ''}${kind}`];
  return schema ? { schema, resolve: refResolver(components) } : undefined;
}

function officialListKeys(official: OfficialSchema, names: string[]): string[] | undefined {
  const list = schemaAt(official.schema, names, official.resolve);
  if (!list) return undefined;
  if (list['x-kubernetes-list-type'] === 'map' && Array.isArray(list['x-kubernetes-list-map-keys'])) {
    return list['x-kubernetes-list-map-keys'] as string[];
  }
  const mergeKey = list['x-kubernetes-patch-merge-key'];
  return typeof mergeKey === 'string' ? [mergeKey] : undefined;
}

function builtin(
  openapiDir: string | undefined,
  group: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  hasStatus: boolean,
  Model: ModelConstructor,
  extra: (obj: KubeObject) => StatusCause[] = () => [],
  defaults: (obj: KubeObject) => void = () => {},
  namePattern: RegExp = DNS1123_SUBDOMAIN,
  versions: string[] = ['v1'],
): ResourceType {
  const official = officialSchema(openapiDir, group, kind);
  return {
    group,
    versions,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    hasStatus,
    custom: false,
    validate: (obj) => [...nameCauses(obj, namePattern), ...modelCauses(Model, obj), ...extra(obj)],
    prune(obj) {
      // Without the official schema (a user's clone) unknown fields are kept, not pruned.
      if (!official) return [];
      const dropped: string[] = [];
      // FieldsV1 is opaque JSON that the schema types as a bare object.
      const managedFields = obj.metadata?.managedFields;
      if (managedFields) delete obj.metadata.managedFields;
      pruneUnknown(obj, official.schema, '', dropped, official.resolve);
      if (managedFields) obj.metadata.managedFields = managedFields;
      return dropped;
    },
    listKeys: (names) => (official ? officialListKeys(official, names) : builtinListKeys(names)),
    applyDefaults: defaults,
  };
}

/** `openapiDir`: the official Kubernetes OpenAPI v3 documents, when available. */
export function builtinKinds(openapiDir?: string): ResourceType[] {
  const kinds = [
    builtin(
      openapiDir,
      '',
      'Service',
      'services',
      true,
      true,
      Service as ModelConstructor,
      serviceCauses,
      serviceDefaults,
      DNS1035_LABEL,
    ),
    builtin(openapiDir, '', 'ConfigMap', 'configmaps', true, false, ConfigMap as ModelConstructor),
    builtin(openapiDir, '', 'Secret', 'secrets', true, false, Secret as ModelConstructor),
    builtin(openapiDir, '', 'Namespace', 'namespaces', false, true, Namespace as ModelConstructor),
    builtin(
      openapiDir,
      'apps',
      'Deployment',
      'deployments',
      true,
      true,
      Deployment as ModelConstructor,
      deploymentCauses,
      deploymentDefaults,
    ),
    builtin(
      openapiDir,
      'autoscaling',
      'HorizontalPodAutoscaler',
      'horizontalpodautoscalers',
      true,
      true,
      HorizontalPodAutoscaler as ModelConstructor,
      undefined,
      undefined,
      DNS1123_SUBDOMAIN,
      ['v2'],
    ),
    builtin(
      openapiDir,
      'coordination.k8s.io',
      'Lease',
      'leases',
      true,
      false,
      Lease as ModelConstructor,
      leaseCauses,
    ),
  ];
  const deployment = kinds.find((k) => k.kind === 'Deployment');
  if (deployment) {
    deployment.immutable = deploymentImmutable;
    deployment.hasScale = true;
  }
  return kinds;
}
