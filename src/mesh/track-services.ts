import type { KubernetesObject, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import type { KubeClients } from '../kube/client.js';
import { copiedLabels, MANAGED_BY } from '../rollout/labels.js';
import { canaryName, type PlannedWrite, primaryName, type RouteTarget, TRACK_LABEL } from './router.js';

/**
 * `<svc>-primary` and `<svc>-canary` Services for the meshes that split traffic between
 * Services (Gateway API, SMI): the user's Service's ports, its selector narrowed by the
 * track label, so each receives only its own track's pods.
 */
export async function readRootService(kube: KubeClients, target: RouteTarget): Promise<V1Service> {
  try {
    return await kube.core.readNamespacedService({ name: target.service, namespace: target.namespace });
  } catch (e: unknown) {
    if (isNotFound(e)) {
      throw new ConfigurationError([
        {
          field: 'service',
          message: `expected the Service ${target.namespace}/${target.service} to exist (its ports and selector are copied to ${primaryName(target.service)} and ${canaryName(target.service)}), found none; create it or fix service/namespace`,
        },
      ]);
    }
    throw e;
  }
}

function trackService(
  root: V1Service,
  name: string,
  track: 'stable' | 'canary',
): V1Service & KubernetesObject {
  const selector = root.spec?.selector ?? {};
  const ports: V1ServicePort[] = (root.spec?.ports ?? []).map((p) => ({
    port: p.port,
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.protocol !== undefined ? { protocol: p.protocol } : {}),
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: root.metadata?.namespace ?? '',
      labels: { ...copiedLabels(root.metadata?.labels), [TRACK_LABEL]: track, ...MANAGED_BY },
      annotations: { 'glidepath.dev/copied-from': root.metadata?.name ?? '' },
    },
    // ClusterIP whatever the root's type: only the mesh sends traffic here, never a load balancer.
    spec: { type: 'ClusterIP', selector: { ...selector, [TRACK_LABEL]: track }, ports },
  };
}

/**
 * Service names are DNS-1035 labels of at most 63 characters (Kubernetes docs, "Object Names and
 * IDs": RFC 1035 label names); the API refuses a longer one with 422, mid-rollout if not checked first.
 */
export function checkTrackServiceNames(target: RouteTarget): void {
  const long = [primaryName(target.service), canaryName(target.service)].filter((n) => n.length > 63);
  if (long.length === 0) return;
  throw new ConfigurationError([
    {
      field: 'service',
      message: `"${target.service}" is too long for the Services glidepath creates: ${long.map((n) => `"${n}" has ${n.length} characters`).join(', ')}, and Service names hold at most 63; use a service name of at most ${63 - '-primary'.length} characters`,
    },
  ]);
}

/** The two Services to apply; a Service without a selector (external endpoints) cannot be split by track. */
export function trackServices(root: V1Service, target: RouteTarget): (V1Service & KubernetesObject)[] {
  checkTrackServiceNames(target);
  if (!root.spec?.selector || Object.keys(root.spec.selector).length === 0) {
    throw new ConfigurationError([
      {
        field: 'service',
        message: `expected the Service ${target.namespace}/${target.service} to select pods (spec.selector), found no selector; glidepath splits traffic by pod label ${TRACK_LABEL}, so the Service must select the Deployment's pods`,
      },
    ]);
  }
  if ((root.spec.ports ?? []).length === 0) {
    throw new ConfigurationError([
      {
        field: 'service',
        message: `expected the Service ${target.namespace}/${target.service} to have ports, found none`,
      },
    ]);
  }
  return [
    trackService(root, primaryName(target.service), 'stable'),
    trackService(root, canaryName(target.service), 'canary'),
  ];
}

/** A port as the API server stores it (protocol and targetPort defaulted), for comparison. */
function portKey(p: V1ServicePort): string {
  return JSON.stringify([
    p.name ?? '',
    p.port,
    p.protocol ?? 'TCP',
    p.targetPort ?? p.port,
    p.appProtocol ?? '',
  ]);
}

function selectorKey(selector: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(selector ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

/** The Services whose selector or ports differ from what is stored (or that do not exist): the applies still needed. */
export async function servicesToApply(
  kube: KubeClients,
  services: (V1Service & KubernetesObject)[],
): Promise<PlannedWrite[]> {
  const writes: PlannedWrite[] = [];
  for (const wanted of services) {
    let stored: V1Service | undefined;
    try {
      stored = await kube.core.readNamespacedService({
        name: wanted.metadata?.name ?? '',
        namespace: wanted.metadata?.namespace ?? '',
      });
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
    const current =
      stored !== undefined &&
      selectorKey(stored.spec?.selector) === selectorKey(wanted.spec?.selector) &&
      (stored.spec?.ports ?? []).map(portKey).join() === (wanted.spec?.ports ?? []).map(portKey).join();
    if (!current) writes.push({ verb: 'apply', object: wanted });
  }
  return writes;
}

/**
 * The plain `<svc>` Service narrowed to stable pods: traffic that does not pass the managed route
 * (clients outside the mesh, other routes for the host, a Gateway-bound route's east-west
 * neighbours) then reaches only the primary, as Flagger rewrites the apex Service to select
 * `<svc>-primary` (Flagger docs, "How it works"). Only the selector key is applied, under field
 * manager glidepath, so the user's own fields and their owners stay as they are.
 */
export function stableOnlyRoot(root: V1Service, target: RouteTarget): PlannedWrite | undefined {
  if (root.spec?.selector?.[TRACK_LABEL] === 'stable') return undefined;
  return {
    verb: 'apply',
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: target.service, namespace: target.namespace },
      spec: { selector: { [TRACK_LABEL]: 'stable' } },
    } as KubernetesObject,
  };
}
