import type { V1Deployment } from '@kubernetes/client-node';
import { isNotFound } from '../kube/api-status.js';
import { applyObject } from '../kube/apply.js';
import type { KubeClients } from '../kube/client.js';
import { primaryName } from '../mesh/router.js';

/**
 * The primary's spec before a promotion, kept on the Lease (rollout-state.ts) so that whoever
 * finds the promotion cut short — the post step, the janitor, the next run — can put it back
 * without the runner's memory. Only the fields a server-side apply of glidepath's would own.
 */
export async function readPrimarySnapshot(
  kube: KubeClients,
  namespace: string,
  service: string,
): Promise<string | undefined> {
  try {
    const primary = await kube.apps.readNamespacedDeployment({ name: primaryName(service), namespace });
    if (!primary.spec) return undefined;
    return JSON.stringify({ labels: primary.metadata?.labels, spec: primary.spec });
  } catch (e: unknown) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Applies the snapshot back to `<svc>-primary` (no wait: the pods roll on their own). */
export async function restorePrimarySnapshot(
  kube: KubeClients,
  namespace: string,
  service: string,
  snapshot: string,
): Promise<void> {
  const { labels, spec } = JSON.parse(snapshot) as {
    labels?: Record<string, string>;
    spec: V1Deployment['spec'];
  };
  // Server-side apply drops fields glidepath owned and leaves out, so the whole spec goes back.
  await applyObject(kube.objects, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: primaryName(service), namespace, ...(labels ? { labels } : {}) },
    spec,
  } as V1Deployment);
}

/** The image(s) a snapshot runs, for reports: which version serves after a revert. */
export function snapshotImages(snapshot: string): string[] {
  try {
    const { spec } = JSON.parse(snapshot) as { spec?: V1Deployment['spec'] };
    return (spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '');
  } catch {
    return [];
  }
}
