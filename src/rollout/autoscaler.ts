import type { KubernetesObject } from '@kubernetes/client-node';
import { isNotFound } from '../kube/api-status.js';
import type { KubeClients } from '../kube/client.js';
import { primaryName } from '../mesh/router.js';
import { copiedLabels, MANAGED_BY } from './labels.js';

/** autoscaling/v2 HorizontalPodAutoscaler, the fields glidepath reads and writes. */
export interface Autoscaler extends KubernetesObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    [field: string]: unknown;
  };
}

const API_VERSION = 'autoscaling/v2';

function targets(hpa: Autoscaler, deployment: string): boolean {
  const ref = hpa.spec?.scaleTargetRef;
  return ref?.kind === 'Deployment' && ref.name === deployment;
}

/**
 * The user's HPA for the service's Deployment: the manifest's (the spec being released) else the
 * cluster's. A Helm chart with autoscaling on renders no `spec.replicas`; its HPA keeps targeting
 * the user's Deployment, which glidepath scales to 0 (where the HPA controller stops:
 * "scaling is disabled since the replica count of the target is zero"), so the primary needs an
 * HPA of its own, as Flagger gives it (Flagger docs, "How it works": `<svc>-primary` HPA).
 */
export async function findAutoscaler(
  kube: KubeClients,
  namespace: string,
  deployment: string,
  fromManifest: KubernetesObject | undefined,
): Promise<Autoscaler | undefined> {
  if (fromManifest) return fromManifest as Autoscaler;
  try {
    const list = await kube.objects.list<Autoscaler>(API_VERSION, 'HorizontalPodAutoscaler', namespace);
    return list.items.find((hpa) => targets(hpa, deployment));
  } catch (e: unknown) {
    // A cluster without the autoscaling/v2 API (or without list rights on it) has no HPA to copy.
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** A copy of the user's HPA that scales `<svc>-primary`; its name is the primary's. */
export function primaryAutoscaler(source: Autoscaler, service: string, namespace: string): Autoscaler {
  const spec = structuredClone(source.spec ?? {});
  spec.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: primaryName(service) };
  return {
    apiVersion: API_VERSION,
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: primaryName(service),
      namespace,
      labels: { ...copiedLabels(source.metadata?.labels), ...MANAGED_BY },
      annotations: { 'glidepath.dev/copied-from': source.metadata?.name ?? '' },
    },
    spec,
  };
}
