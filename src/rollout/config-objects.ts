import type { KubernetesObject, V1PodSpec } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import type { KubeClients } from '../kube/client.js';
import { copiedLabels, MANAGED_BY } from './labels.js';

/**
 * The ConfigMaps and Secrets a release's pod spec references travel with the release: each track
 * gets its own copy (`<name>-canary`, `<name>-primary`) of the manifest's object, and its pod spec
 * points at that copy. So a hash-suffixed ConfigMap (kustomize's configMapGenerator, Helm's
 * checksum pattern) exists before the canary needs it, and a fixed-name one changed in Git changes
 * the canary first and the primary only at promotion, as Flagger does with its `-primary` copies
 * (Flagger docs, "How it works": ConfigMaps and Secrets tracking). A reference the manifest does
 * not hold must already exist in the cluster, unless it is `optional` (the kubelet waits for it
 * forever otherwise: CreateContainerConfigError).
 */
export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigRef {
  kind: ConfigKind;
  name: string;
  optional: boolean;
}

type Rename = (kind: ConfigKind, name: string) => string | undefined;

/** Visits every ConfigMap/Secret reference of a pod spec; `rename` may replace its name. */
function visit(pod: V1PodSpec | undefined, each: (ref: ConfigRef) => string | undefined): void {
  if (!pod) return;
  const at = (kind: ConfigKind, holder: Record<string, unknown> | undefined, field = 'name') => {
    if (!holder || typeof holder[field] !== 'string') return;
    const renamed = each({ kind, name: holder[field] as string, optional: holder.optional === true });
    if (renamed !== undefined) holder[field] = renamed;
  };
  for (const volume of pod.volumes ?? []) {
    at('ConfigMap', volume.configMap as Record<string, unknown> | undefined);
    at('Secret', volume.secret as Record<string, unknown> | undefined, 'secretName');
    for (const source of volume.projected?.sources ?? []) {
      at('ConfigMap', source.configMap as Record<string, unknown> | undefined);
      at('Secret', source.secret as Record<string, unknown> | undefined);
    }
  }
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const from of container.envFrom ?? []) {
      at('ConfigMap', from.configMapRef as Record<string, unknown> | undefined);
      at('Secret', from.secretRef as Record<string, unknown> | undefined);
    }
    for (const env of container.env ?? []) {
      at('ConfigMap', env.valueFrom?.configMapKeyRef as Record<string, unknown> | undefined);
      at('Secret', env.valueFrom?.secretKeyRef as Record<string, unknown> | undefined);
    }
  }
}

export function configRefs(pod: V1PodSpec | undefined): ConfigRef[] {
  const refs: ConfigRef[] = [];
  visit(pod, (ref) => {
    if (!refs.some((r) => r.kind === ref.kind && r.name === ref.name)) refs.push(ref);
    return undefined;
  });
  return refs;
}

export function renameConfigRefs(pod: V1PodSpec | undefined, rename: Rename): void {
  visit(pod, (ref) => rename(ref.kind, ref.name));
}

export function trackConfigName(name: string, track: 'stable' | 'canary'): string {
  return `${name}-${track === 'stable' ? 'primary' : 'canary'}`;
}

/** The copies to apply for a track, and the pod spec pointed at them; throws for a reference nothing provides. */
export async function planTrackConfig(options: {
  kube: KubeClients;
  namespace: string;
  service: string;
  pod: V1PodSpec | undefined;
  manifestObjects: KubernetesObject[];
  track: 'stable' | 'canary';
  file?: string;
}): Promise<KubernetesObject[]> {
  const { pod, manifestObjects, track, namespace } = options;
  const copies: KubernetesObject[] = [];
  const missing: string[] = [];
  for (const ref of configRefs(pod)) {
    const source = manifestObjects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name);
    if (source) {
      const name = trackConfigName(ref.name, track);
      if (name.length > 253) {
        throw new ConfigurationError([
          {
            file: options.file,
            field: `${ref.kind} ${ref.name}`,
            message: `is too long to copy as "${name}" (Kubernetes names hold at most 253 characters); shorten its name`,
          },
        ]);
      }
      const { metadata: _m, ...body } = structuredClone(source) as KubernetesObject & Record<string, unknown>;
      copies.push({
        ...body,
        apiVersion: 'v1',
        kind: ref.kind,
        metadata: {
          name,
          namespace,
          labels: { ...copiedLabels(source.metadata?.labels), ...MANAGED_BY },
          annotations: { 'glidepath.dev/copied-from': ref.name, 'glidepath.dev/service': options.service },
        },
      } as KubernetesObject);
      continue;
    }
    if (ref.optional || (await exists(options.kube, namespace, ref))) continue;
    missing.push(`${ref.kind} ${ref.name}`);
  }
  if (missing.length > 0) {
    throw new ConfigurationError([
      {
        file: options.file,
        field: 'spec.template.spec',
        message: `references ${missing.join(', ')}, which neither the manifest holds nor namespace ${namespace} has; its pods would never start (CreateContainerConfigError). Put them in the rendered manifest, create them, or mark the reference optional`,
      },
    ]);
  }
  const copied = new Set(
    copies.map((c) => `${c.kind}/${c.metadata?.annotations?.['glidepath.dev/copied-from']}`),
  );
  renameConfigRefs(pod, (kind, name) =>
    copied.has(`${kind}/${name}`) ? trackConfigName(name, track) : undefined,
  );
  return copies;
}

async function exists(kube: KubeClients, namespace: string, ref: ConfigRef): Promise<boolean> {
  try {
    if (ref.kind === 'ConfigMap') await kube.core.readNamespacedConfigMap({ name: ref.name, namespace });
    else await kube.core.readNamespacedSecret({ name: ref.name, namespace });
    return true;
  } catch (e: unknown) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
