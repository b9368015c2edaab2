import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { parse } from 'yaml';
import { builtinKinds, nameCauses } from './builtin-kinds.js';
import { applySchemaDefaults, celCauses } from './schema-rules.js';
import { causesFromAjv, compileSchema, pruneUnknown, schemaAt } from './schema-validation.js';
import { isPlainObject, type KubeObject, type StatusCause } from './types.js';

/** One kind the fake serves, with what the real server would enforce for it. */
export interface ResourceType {
  group: string;
  /** Served versions; the first is the preferred one. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  /** Has a status subresource: writes to the main resource leave status alone and vice versa. */
  hasStatus: boolean;
  custom: boolean;
  validate(obj: KubeObject, version: string): StatusCause[];
  /** Removes undeclared fields (custom resources only), returning their dotted paths. */
  prune(obj: KubeObject, version: string): string[];
  /** Merge keys of the list at `names` (field names from the root), or undefined for an atomic list. */
  listKeys(names: string[], version: string): string[] | undefined;
  applyDefaults(obj: KubeObject): void;
  /** Fields an update may not change (e.g. a Deployment's selector), as 422 causes. */
  immutable?(before: KubeObject, obj: KubeObject): StatusCause[];
  /** Has a `/scale` subresource (autoscaling/v1 Scale over `spec.replicas`). */
  hasScale?: boolean;
}

/** The CRD files the fake loads from ../shared/fixtures/k8s-schemas. */
export const DEFAULT_CRD_FILES = [
  'istio-virtualservice.crd.yaml',
  'istio-destinationrule.crd.yaml',
  'gateway-api-httproutes.crd.yaml',
  'gateway-api-gateways.crd.yaml',
  'gateway-api-referencegrants.crd.yaml',
  'smi-trafficsplit.crd.yaml',
];

type Schema = Record<string, unknown>;

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: unknown };
}

export function crdResourceType(crd: Record<string, unknown>): ResourceType {
  const spec = crd.spec as {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular?: string };
    versions: CrdVersion[];
  };
  const served = spec.versions.filter((v) => v.served);
  const schemas = new Map(
    served.map((v) => [
      v.name,
      v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    ]),
  );
  const validators = new Map<string, ReturnType<typeof compileSchema>>();
  const schemaOf = (version: string): Schema => schemas.get(version) ?? {};
  return {
    group: spec.group,
    versions: served.map((v) => v.name),
    kind: spec.names.kind,
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    hasStatus: served.some((v) => v.subresources?.status !== undefined),
    custom: true,
    validate(obj, version) {
      let validator = validators.get(version);
      if (!validator) {
        // metadata is the server's business, not the CRD's: its schema says only `type: object`.
        validator = compileSchema(schemaOf(version));
        validators.set(version, validator);
      }
      const causes = nameCauses(obj);
      if (!validator(obj)) causes.push(...causesFromAjv(validator.errors, obj));
      else causes.push(...celCauses(obj, schemaOf(version)));
      return causes;
    },
    prune(obj, version) {
      const dropped: string[] = [];
      const schema = schemaOf(version);
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of Object.keys(obj)) {
        if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
        const sub = properties[key];
        if (sub) pruneUnknown(obj[key], sub, key, dropped);
        else if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
          delete obj[key];
          dropped.push(key);
        }
      }
      return dropped;
    },
    listKeys(names, version) {
      const list = schemaAt(schemaOf(version), names);
      if (names[0] === 'status' && names.at(-1) === 'conditions') return ['type'];
      if (list?.['x-kubernetes-list-type'] === 'map' && Array.isArray(list['x-kubernetes-list-map-keys'])) {
        return list['x-kubernetes-list-map-keys'] as string[];
      }
      return undefined;
    },
    applyDefaults(obj) {
      const version = obj.apiVersion.split('/').at(-1) ?? '';
      applySchemaDefaults(obj, schemaOf(version));
    },
  };
}

// Parsing the big CRDs and compiling their schemas is the slow part of starting a fake: share them.
const crdCache = new Map<string, ResourceType>();

export function loadCrdFile(path: string): ResourceType {
  const cached = crdCache.get(path);
  if (cached) return cached;
  const type = readCrdFile(path);
  crdCache.set(path, type);
  return type;
}

function readCrdFile(path: string): ResourceType {
  const text = readFileSync(path, 'utf8');
  const doc = parse(text) as unknown;
  if (!isPlainObject(doc) || doc.kind !== 'CustomResourceDefinition') {
    throw new Error(`${path} is not a CustomResourceDefinition`);
  }
  return crdResourceType(doc);
}

type Validatable = new (data: never) => { validate(): void };

/**
 * For a user's clone without ../shared: the npm validators generated from the same CRDs.
 * They check but cannot prune, and know fewer versions.
 */
function modelBacked(
  group: string,
  kind: string,
  plural: string,
  versions: string[],
  Model: Validatable,
  modelVersion: string,
): ResourceType {
  return {
    group,
    versions,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    hasStatus: true,
    custom: true,
    validate(obj) {
      const copy = structuredClone(obj);
      copy.apiVersion = `${group}/${modelVersion}`;
      try {
        new Model(copy as never).validate();
        return nameCauses(obj);
      } catch (e: unknown) {
        const errors = (e as { errors?: Parameters<typeof causesFromAjv>[0] }).errors;
        if (!errors) throw e;
        return [...nameCauses(obj), ...causesFromAjv(errors, obj)];
      }
    },
    prune: () => [],
    listKeys: () => undefined,
    applyDefaults: () => {},
  };
}

function permissive(group: string, kind: string, plural: string, versions: string[]): ResourceType {
  return {
    group,
    versions,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    hasStatus: false,
    custom: true,
    validate: (obj) => nameCauses(obj),
    prune: () => [],
    listKeys: () => undefined,
    applyDefaults: () => {},
  };
}

export function fallbackCrds(): ResourceType[] {
  console.warn(
    'NOTICE: fake-kube: ../shared/fixtures/k8s-schemas is absent; validating mesh CRDs with the npm validators, SMI TrafficSplit unvalidated.',
  );
  return [
    modelBacked(
      'networking.istio.io',
      'VirtualService',
      'virtualservices',
      ['v1', 'v1beta1', 'v1alpha3'],
      VirtualService as Validatable,
      'v1beta1',
    ),
    modelBacked(
      'networking.istio.io',
      'DestinationRule',
      'destinationrules',
      ['v1', 'v1beta1', 'v1alpha3'],
      DestinationRule as Validatable,
      'v1beta1',
    ),
    modelBacked(
      'gateway.networking.k8s.io',
      'HTTPRoute',
      'httproutes',
      ['v1', 'v1beta1'],
      HTTPRoute as Validatable,
      'v1',
    ),
    permissive('split.smi-spec.io', 'TrafficSplit', 'trafficsplits', ['v1alpha4', 'v1alpha1', 'v1alpha2']),
  ];
}

export interface RegistryOptions {
  /** Directory holding the CRD files; absent → npm fallbacks. */
  crdDir?: string;
  crdFiles?: string[];
}

export class ResourceRegistry {
  readonly types: ResourceType[];

  constructor(options: RegistryOptions) {
    const crds =
      options.crdDir && existsSync(options.crdDir)
        ? (options.crdFiles ?? DEFAULT_CRD_FILES).map((f) => loadCrdFile(join(options.crdDir ?? '', f)))
        : fallbackCrds();
    const openapiDir = options.crdDir ? join(options.crdDir, 'kubernetes-openapi-v3') : undefined;
    this.types = [...builtinKinds(openapiDir), ...crds];
  }

  /** By group plus plural, kind or singular (case-insensitive). */
  find(group: string, name: string): ResourceType | undefined {
    const lower = name.toLowerCase();
    return this.types.find(
      (t) =>
        t.group === group && (t.plural === lower || t.kind.toLowerCase() === lower || t.singular === lower),
    );
  }

  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.types) {
      const versions = out.get(t.group) ?? [];
      for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
      out.set(t.group, versions);
    }
    return out;
  }
}
