import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';

// A user's clone has no ../shared: the mesh CRDs are then checked with the npm validators.
describe('fake Kubernetes API server without the shared CRD files', () => {
  let kube: FakeKube;
  beforeAll(async () => {
    kube = await startFakeKube({ crdDir: '/nonexistent/k8s-schemas' });
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('still rejects an invalid VirtualService with 422', async () => {
    const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    const args = {
      group: 'networking.istio.io',
      version: 'v1beta1',
      namespace: 'shop',
      plural: 'virtualservices',
    };
    const body = (weight: unknown) => ({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'web' },
      spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' }, weight }] }] },
    });
    const error = await custom
      .createNamespacedCustomObject({ ...args, body: body('all') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(422);
    await custom.createNamespacedCustomObject({ ...args, body: body(100) });
    expect(kube.writeCount).toBe(1);
  });
});
