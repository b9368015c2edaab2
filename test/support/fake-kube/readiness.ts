import { createHash } from 'node:crypto';
import { isPlainObject, type KubeObject } from './types.js';

export interface ReadinessOptions {
  /**
   * After a Deployment's spec changes, how many reads (GET or LIST) of it pass before its
   * rollout completes. 0 (the default) completes it at once, on the write.
   */
  afterPolls?: number;
  /** A Deployment any of whose container images matches never becomes ready (default /never-ready/). */
  neverReadyImage?: RegExp;
}

function images(obj: KubeObject): string[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const template = isPlainObject(spec.template) ? spec.template : {};
  const podSpec = isPlainObject(template.spec) ? template.spec : {};
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return containers.map((c) => (isPlainObject(c) && typeof c.image === 'string' ? c.image : ''));
}

function replicaSetName(obj: KubeObject): string {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const hash = createHash('sha256')
    .update(JSON.stringify(spec.template ?? {}))
    .digest('hex')
    .slice(0, 10);
  return `${obj.metadata.name ?? ''}-${hash}`;
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  time: string,
): Record<string, string> {
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

/** Does a ConfigMap or Secret exist in the object's namespace? */
export type ConfigLookup = (kind: 'ConfigMap' | 'Secret', name: string) => boolean;

/**
 * The ConfigMaps and Secrets the pod template needs that do not exist. The kubelet keeps such a
 * container in CreateContainerConfigError (env/envFrom) or the pod in ContainerCreating (volumes)
 * until they appear, unless the reference is `optional: true` (Kubernetes docs, "ConfigMaps":
 * "you must create the ConfigMap before referencing it in a Pod spec", and "Secrets": optional).
 */
export function missingConfig(obj: KubeObject, exists: ConfigLookup): string[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const template = isPlainObject(spec.template) ? spec.template : {};
  const pod = isPlainObject(template.spec) ? template.spec : {};
  const refs: { kind: 'ConfigMap' | 'Secret'; name: string; optional: boolean }[] = [];
  const add = (kind: 'ConfigMap' | 'Secret', ref: unknown, nameField = 'name') => {
    if (!isPlainObject(ref) || typeof ref[nameField] !== 'string') return;
    refs.push({ kind, name: ref[nameField] as string, optional: ref.optional === true });
  };
  for (const v of Array.isArray(pod.volumes) ? pod.volumes : []) {
    if (!isPlainObject(v)) continue;
    add('ConfigMap', v.configMap);
    add('Secret', v.secret, 'secretName');
    const projected =
      isPlainObject(v.projected) && Array.isArray(v.projected.sources) ? v.projected.sources : [];
    for (const source of projected) {
      if (!isPlainObject(source)) continue;
      add('ConfigMap', source.configMap);
      add('Secret', source.secret);
    }
  }
  const containers = [
    ...(Array.isArray(pod.initContainers) ? pod.initContainers : []),
    ...(Array.isArray(pod.containers) ? pod.containers : []),
  ];
  for (const c of containers) {
    if (!isPlainObject(c)) continue;
    for (const e of Array.isArray(c.envFrom) ? c.envFrom : []) {
      if (!isPlainObject(e)) continue;
      add('ConfigMap', e.configMapRef);
      add('Secret', e.secretRef);
    }
    for (const e of Array.isArray(c.env) ? c.env : []) {
      const from = isPlainObject(e) && isPlainObject(e.valueFrom) ? e.valueFrom : undefined;
      if (!from) continue;
      add('ConfigMap', from.configMapKeyRef);
      add('Secret', from.secretKeyRef);
    }
  }
  return [
    ...new Set(refs.filter((r) => !r.optional && !exists(r.kind, r.name)).map((r) => `${r.kind} ${r.name}`)),
  ];
}

/** The status a deployment controller would write once it has acted on the current spec. */
export function completedStatus(
  obj: KubeObject,
  neverReady: RegExp,
  time: string,
  exists: ConfigLookup = () => true,
): Record<string, unknown> {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const generation = obj.metadata.generation ?? 1;
  const rs = replicaSetName(obj);
  const missing = replicas > 0 ? missingConfig(obj, exists) : [];
  if (replicas > 0 && (missing.length > 0 || images(obj).some((image) => neverReady.test(image)))) {
    return {
      observedGeneration: generation,
      replicas,
      updatedReplicas: replicas,
      unavailableReplicas: replicas,
      conditions: [
        condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          time,
        ),
        condition(
          'Progressing',
          'True',
          'ReplicaSetUpdated',
          missing.length > 0
            ? `ReplicaSet "${rs}" is progressing; pods wait for ${missing.join(', ')} (CreateContainerConfigError)`
            : `ReplicaSet "${rs}" is progressing.`,
          time,
        ),
      ],
    };
  }
  const counts =
    replicas > 0
      ? { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas }
      : {};
  return {
    observedGeneration: generation,
    ...counts,
    conditions: [
      condition(
        'Available',
        'True',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
        time,
      ),
      condition(
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "${rs}" has successfully progressed.`,
        time,
      ),
    ],
  };
}

/** While the controller has not caught up: the old counts, and Progressing for the new ReplicaSet. */
export function progressingStatus(obj: KubeObject, time: string): Record<string, unknown> {
  const previous = isPlainObject(obj.status) ? obj.status : {};
  const conditions = Array.isArray(previous.conditions)
    ? previous.conditions.filter((c) => isPlainObject(c) && c.type !== 'Progressing')
    : [];
  return {
    ...previous,
    conditions: [
      ...conditions,
      condition(
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `ReplicaSet "${replicaSetName(obj)}" is progressing.`,
        time,
      ),
    ],
  };
}
