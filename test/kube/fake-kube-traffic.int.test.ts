import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { endpointSliceOf, podsOf, throughService } from '../support/fake-kube/traffic.js';

function deployment(
  namespace: string,
  name: string,
  track: string,
  replicas: number,
  ready: number,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'payments', 'glidepath.dev/track': track } },
      template: {
        metadata: { labels: { app: 'payments', 'glidepath.dev/track': track } },
        spec: { containers: [{ name: 'payments', image: 'registry.example/payments:1' }] },
      },
    },
    status: { replicas, readyReplicas: ready },
  };
}

// The traffic model's Pods and EndpointSlices, as the ReplicaSet and EndpointSlice controllers
// keep them (Kubernetes docs, "EndpointSlices"): only ready endpoints receive traffic.
describe('the fake cluster traffic model', () => {
  let fake: FakeKube;
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('lists every selected pod in the Service EndpointSlice, ready or not, and sends traffic to the ready ones only', () => {
    const ns = 'traffic-model';
    fake.seed(deployment(ns, 'payments-primary', 'stable', 3, 3));
    fake.seed(deployment(ns, 'payments-canary', 'canary', 2, 1));
    fake.seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'payments', namespace: ns },
      spec: { selector: { app: 'payments' }, ports: [{ port: 80 }] },
    });
    expect(podsOf(fake, ns).map((p) => [p.name, p.ready])).toEqual([
      ['payments-canary-0', true],
      ['payments-canary-1', false],
      ['payments-primary-0', true],
      ['payments-primary-1', true],
      ['payments-primary-2', true],
    ]);
    const slice = endpointSliceOf(fake, ns, 'payments');
    expect(slice?.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'payments' });
    expect(slice?.endpoints.filter((e) => e.conditions.ready)).toHaveLength(4);
    expect(slice?.endpoints).toHaveLength(5);
    // 1 ready canary pod of 4 ready endpoints; the unready one gets nothing.
    expect(throughService(fake, ns, 'payments')).toBe(0.25);
    expect(throughService(fake, ns, 'payments', { 'glidepath.dev/track': 'stable' })).toBe(0);
  });
});
