import { FIELD_MANAGER } from './apply.js';
import type { KubeClients } from './client.js';
import { type RetryOptions, retryOnConflict } from './patch.js';

/**
 * Sets a Deployment's replicas through its `/scale` subresource, never a read-and-replace of the
 * whole object: a replace would race every other writer of the Deployment and take ownership of
 * all its fields, and an HPA writes the same subresource (kubernetes/pkg/controller/podautoscaler).
 * Replicas written here are owned under `subresource: scale`, so glidepath's later server-side
 * applies, which leave `replicas` out, never reset them.
 */
export async function scaleDeployment(
  kube: KubeClients,
  namespace: string,
  name: string,
  replicas: number,
  retry: RetryOptions = {},
): Promise<void> {
  await retryOnConflict(
    `the scale of Deployment ${namespace}/${name}`,
    async () => {
      const current = await kube.apps.readNamespacedDeploymentScale({ name, namespace });
      if (current.spec?.replicas === replicas) return;
      await kube.apps.replaceNamespacedDeploymentScale({
        name,
        namespace,
        fieldManager: FIELD_MANAGER,
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace, resourceVersion: current.metadata?.resourceVersion },
          spec: { replicas },
        },
      });
    },
    retry,
  );
}
