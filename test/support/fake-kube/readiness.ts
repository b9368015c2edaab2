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

/** The status a deployment controller would write once it has acted on the current spec. */
export function completedStatus(obj: KubeObject, neverReady: RegExp, time: string): Record<string, unknown> {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const generation = obj.metadata.generation ?? 1;
  const rs = replicaSetName(obj);
  if (replicas > 0 && images(obj).some((image) => neverReady.test(image))) {
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
        condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rs}" is progressing.`, time),
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
