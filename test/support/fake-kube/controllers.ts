import { completedStatus, progressingStatus, type ReadinessOptions } from './readiness.js';
import type { ResourceType } from './resources.js';
import { isPlainObject, type KubeObject } from './types.js';

/**
 * A controller the fake simulates: after a spec change it writes `progressing` at once (if
 * any), then `done` once the object has been read `afterPolls` times (0: on the write).
 */
export interface SimulatedController {
  handles(type: ResourceType): boolean;
  afterPolls: number;
  progressing?(obj: KubeObject, time: string): Record<string, unknown>;
  /** The final status, or undefined to write none (a controller that never reconciles). */
  done(obj: KubeObject, time: string): Record<string, unknown> | undefined;
}

export function deploymentController(options: ReadinessOptions = {}): SimulatedController {
  const neverReady = options.neverReadyImage ?? /never-ready/;
  return {
    handles: (type) => type.group === 'apps' && type.kind === 'Deployment',
    afterPolls: options.afterPolls ?? 0,
    progressing: (obj, time) => progressingStatus(obj, time),
    done: (obj, time) => completedStatus(obj, neverReady, time),
  };
}

export interface GatewayApiOptions {
  /** `accept` (default): a gateway controller accepts every HTTPRoute; `never`: no status is ever written. */
  reconcile?: 'accept' | 'never';
  /** Reads of the route before its status catches up with a new generation (default 0). */
  afterPolls?: number;
  controllerName?: string;
}

/** Accepted/ResolvedRefs per parentRef with the route's generation, as Envoy Gateway, Istio or Cilium write it. */
export function httpRouteController(options: GatewayApiOptions = {}): SimulatedController {
  const controllerName = options.controllerName ?? 'glidepath.dev/fake-gateway-controller';
  return {
    handles: (type) => type.group === 'gateway.networking.k8s.io' && type.kind === 'HTTPRoute',
    afterPolls: options.afterPolls ?? 0,
    done(obj, time) {
      if (options.reconcile === 'never') return undefined;
      const spec = isPlainObject(obj.spec) ? obj.spec : {};
      const parentRefs = Array.isArray(spec.parentRefs) ? spec.parentRefs : [];
      const generation = obj.metadata.generation ?? 1;
      const condition = (type: string, message: string) => ({
        type,
        status: 'True',
        reason: type,
        message,
        observedGeneration: generation,
        lastTransitionTime: time,
      });
      return {
        parents: parentRefs.map((parentRef) => ({
          parentRef,
          controllerName,
          conditions: [
            condition('Accepted', 'Route is accepted'),
            condition('ResolvedRefs', 'Resolved all the Object references for the Route'),
          ],
        })),
      };
    },
  };
}
