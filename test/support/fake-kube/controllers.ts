import { type ConfigLookup, completedStatus, progressingStatus, type ReadinessOptions } from './readiness.js';
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
  done(obj: KubeObject, time: string, lookup: ObjectLookup): Record<string, unknown> | undefined;
  /** A status that waits on something outside the object (re-evaluated on every read until it no longer does). */
  waiting?(status: unknown): boolean;
}

/** Whether an object of `kind` named `name` exists in `namespace` (what a controller can read). */
export type ObjectLookup = (kind: string, namespace: string, name: string) => boolean;

export function deploymentController(options: ReadinessOptions = {}): SimulatedController {
  const neverReady = options.neverReadyImage ?? /never-ready/;
  return {
    handles: (type) => type.group === 'apps' && type.kind === 'Deployment',
    afterPolls: options.afterPolls ?? 0,
    progressing: (obj, time) => progressingStatus(obj, time),
    waiting: (status) => JSON.stringify(status ?? {}).includes('CreateContainerConfigError'),
    done: (obj, time, lookup) => {
      const exists: ConfigLookup = (kind, name) => lookup(kind, obj.metadata.namespace ?? '', name);
      return completedStatus(obj, neverReady, time, exists);
    },
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
    waiting: (status) => JSON.stringify(status ?? {}).includes('BackendNotFound'),
    done(obj, time, lookup) {
      if (options.reconcile === 'never') return undefined;
      const spec = isPlainObject(obj.spec) ? obj.spec : {};
      const parentRefs = Array.isArray(spec.parentRefs) ? spec.parentRefs : [];
      const generation = obj.metadata.generation ?? 1;
      const condition = (type: string, message: string, status = 'True', reason = type) => ({
        type,
        status,
        reason,
        message,
        observedGeneration: generation,
        lastTransitionTime: time,
      });
      // Gateway API HTTPRoute status: a backendRef to a Service that does not exist sets
      // ResolvedRefs False with reason BackendNotFound while the route stays Accepted, and the
      // implementation answers 500 for that backend's share (gateway-api apis/v1 shared_types.go,
      // RouteReasonBackendNotFound; httproute_types.go, HTTPBackendRef).
      const namespace = obj.metadata.namespace ?? '';
      const missing: string[] = [];
      for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
        const refs = isPlainObject(rule) && Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
        for (const ref of refs) {
          if (!isPlainObject(ref) || typeof ref.name !== 'string') continue;
          if ((ref.kind ?? 'Service') !== 'Service' || (ref.group ?? '') !== '') continue;
          const ns = typeof ref.namespace === 'string' ? ref.namespace : namespace;
          if (!lookup('Service', ns, ref.name)) missing.push(`${ns}/${ref.name}`);
        }
      }
      const resolved =
        missing.length === 0
          ? condition('ResolvedRefs', 'Resolved all the Object references for the Route')
          : condition('ResolvedRefs', `Service ${missing.join(', ')} not found`, 'False', 'BackendNotFound');
      return {
        parents: parentRefs.map((parentRef) => ({
          parentRef,
          controllerName,
          conditions: [condition('Accepted', 'Route is accepted'), resolved],
        })),
      };
    },
  };
}
