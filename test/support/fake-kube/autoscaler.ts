import { isPlainObject, type KubeObject } from './types.js';

/**
 * The horizontal pod autoscaler controller (autoscaling/v2), reduced to what a rollout sees: it
 * keeps its target's `spec.replicas` at the desired count clamped to [minReplicas, maxReplicas],
 * writing through the target's `/scale` subresource as `kube-controller-manager` does
 * (kubernetes/pkg/controller/podautoscaler/horizontal.go, `scaleForResourceMappings` then
 * `UpdateScale`). A target at 0 replicas is left alone ("scaling is disabled since the replica
 * count of the target is zero", condition ScalingActive False / ScalingDisabled), and a missing
 * target is reported (AbleToScale False / FailedGetScale).
 */
export interface AutoscalerOptions {
  /** What the metrics ask for (default: the target's current replicas), before clamping. */
  desiredReplicas?: (hpa: { namespace: string; name: string; current: number }) => number;
}

export const AUTOSCALER_MANAGER = 'kube-controller-manager';

export interface AutoscaleDecision {
  /** The replica count to write through `/scale`, when it differs from the current one. */
  replicas?: number;
  status: Record<string, unknown>;
}

function condition(type: string, status: string, reason: string, message: string, time: string) {
  return { type, status, reason, message, lastTransitionTime: time };
}

export function targetOf(hpa: KubeObject): { kind: string; name: string } | undefined {
  const spec = isPlainObject(hpa.spec) ? hpa.spec : {};
  const ref = isPlainObject(spec.scaleTargetRef) ? spec.scaleTargetRef : undefined;
  if (!ref || typeof ref.name !== 'string' || typeof ref.kind !== 'string') return undefined;
  return { kind: ref.kind, name: ref.name };
}

export function autoscale(
  hpa: KubeObject,
  target: KubeObject | undefined,
  options: AutoscalerOptions,
  time: string,
): AutoscaleDecision {
  const spec = isPlainObject(hpa.spec) ? hpa.spec : {};
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : min;
  const ref = targetOf(hpa);
  if (!target) {
    return {
      status: {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          condition(
            'AbleToScale',
            'False',
            'FailedGetScale',
            `the HPA controller was unable to get the target's current scale: deployments.apps "${ref?.name ?? ''}" not found`,
            time,
          ),
        ],
      },
    };
  }
  const targetSpec = isPlainObject(target.spec) ? target.spec : {};
  const current = typeof targetSpec.replicas === 'number' ? targetSpec.replicas : 1;
  if (current === 0) {
    return {
      status: {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          condition(
            'AbleToScale',
            'True',
            'SucceededGetScale',
            "the HPA controller was able to get the target's current scale",
            time,
          ),
          condition(
            'ScalingActive',
            'False',
            'ScalingDisabled',
            'scaling is disabled since the replica count of the target is zero',
            time,
          ),
        ],
      },
    };
  }
  const wanted =
    options.desiredReplicas?.({
      namespace: hpa.metadata.namespace ?? '',
      name: hpa.metadata.name ?? '',
      current,
    }) ?? current;
  const desired = Math.min(max, Math.max(min, wanted));
  return {
    ...(desired !== current ? { replicas: desired } : {}),
    status: {
      currentReplicas: current,
      desiredReplicas: desired,
      conditions: [
        condition(
          'AbleToScale',
          'True',
          'SucceededRescale',
          'the HPA controller was able to update the target scale',
          time,
        ),
        condition(
          'ScalingActive',
          'True',
          'ValidMetricFound',
          'the HPA was able to successfully calculate a replica count',
          time,
        ),
      ],
    },
  };
}
