import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeApiError } from '../../src/kube/api-status.js';
import { applyObject, FIELD_MANAGER } from '../../src/kube/apply.js';
import { type KubeClients, makeKubeClients } from '../../src/kube/client.js';
import { ConflictRetryError, updateWithRetry } from '../../src/kube/patch.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { simulatedTime } from './simulated-time.js';

function deployment(image: string, replicas = 2): V1Deployment & KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'payments', namespace: 'shop', labels: { app: 'payments' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'payments' } },
      template: { metadata: { labels: { app: 'payments' } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

describe('server-side apply and conflict-retrying updates', () => {
  let kube: FakeKube;
  let clients: KubeClients;
  beforeAll(async () => {
    kube = await startFakeKube();
    clients = makeKubeClients(kube.kubeConfig);
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('applies with field manager glidepath, creating then updating', async () => {
    await applyObject(clients.objects, deployment('registry.example/payments:1'));
    await applyObject(clients.objects, deployment('registry.example/payments:2'));
    const stored = kube.get('apps', 'v1', 'Deployment', 'shop', 'payments') as unknown as V1Deployment;
    expect(stored.spec?.template.spec?.containers[0]?.image).toBe('registry.example/payments:2');
    expect(stored.metadata?.generation).toBe(2);
    expect(stored.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toEqual([
      `${FIELD_MANAGER}/Apply`,
    ]);
    expect(kube.writes.map((w) => [w.verb, w.patchType, w.fieldManager])).toEqual([
      ['create', 'apply', 'glidepath'],
      ['patch', 'apply', 'glidepath'],
    ]);
  });

  it('takes over fields another manager changed, and leaves fields it does not declare alone', async () => {
    kube.mutate(
      'apps',
      'v1',
      'deployments',
      'shop',
      'payments',
      (d) => {
        (d.spec as { replicas: number }).replicas = 5;
        d.metadata.annotations = { 'team.example/owner': 'payments' };
      },
      'kubectl-edit',
    );
    await applyObject(clients.objects, deployment('registry.example/payments:3', 2));
    const stored = kube.get('apps', 'v1', 'deployments', 'shop', 'payments') as unknown as V1Deployment;
    expect(stored.spec?.replicas).toBe(2);
    expect(stored.metadata?.annotations).toEqual({ 'team.example/owner': 'payments' });
  });

  it('writes nothing on a dry run', async () => {
    const before = kube.writeCount;
    const result = (await applyObject(clients.objects, deployment('registry.example/payments:dry'), {
      dryRun: true,
    })) as V1Deployment;
    expect(result.spec?.template.spec?.containers[0]?.image).toBe('registry.example/payments:dry');
    expect(kube.writeCount).toBe(before);
    expect(
      (kube.get('apps', 'v1', 'deployments', 'shop', 'payments') as unknown as V1Deployment).spec?.template
        .spec?.containers[0]?.image,
    ).toBe('registry.example/payments:3');
  });

  it('re-reads and retries when another writer changed the object in between', async () => {
    kube.seed({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'shop' },
      data: { a: '1' },
    });
    let calls = 0;
    const time = simulatedTime();
    const result = await updateWithRetry<V1ConfigMap & KubernetesObject>(
      clients.objects,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'flags' },
      (cm) => {
        calls += 1;
        // Someone else writes between our read and our write, once.
        if (calls === 1)
          kube.mutate('', 'v1', 'configmaps', 'shop', 'flags', (o) =>
            Object.assign(o, { data: { ...(o.data as object), b: '2' } }),
          );
        return { ...cm, data: { ...cm.data, c: '3' } };
      },
      { sleep: time.sleep },
    );
    expect(calls).toBe(2);
    expect(result.data).toEqual({ a: '1', b: '2', c: '3' });
    expect(kube.get('', 'v1', 'configmaps', 'shop', 'flags')?.data).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('rides out a short conflict storm and gives up, bounded, on an endless one', async () => {
    const time = simulatedTime();
    kube.injectFault({ verb: 'update', plural: 'configmaps', kind: 'conflict', times: 3 });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'flags' };
    const done = await updateWithRetry<V1ConfigMap & KubernetesObject>(
      clients.objects,
      ref,
      (cm) => ({ ...cm, data: { ...cm.data, d: '4' } }),
      {
        sleep: time.sleep,
      },
    );
    expect(done.data?.d).toBe('4');
    expect(time.sleeps).toEqual([100, 200, 400]);

    const storm = kube.injectFault({
      verb: 'update',
      plural: 'configmaps',
      kind: 'conflict',
      times: Number.POSITIVE_INFINITY,
    });
    const before = kube.writeCount;
    await expect(
      updateWithRetry<V1ConfigMap & KubernetesObject>(
        clients.objects,
        ref,
        (cm) => ({ ...cm, data: { ...cm.data, e: '5' } }),
        {
          sleep: time.sleep,
          attempts: 4,
        },
      ),
    ).rejects.toThrow(new ConflictRetryError('ConfigMap shop/flags', 4, undefined).message);
    expect(storm.hits).toBe(4);
    storm.clear();
    expect(kube.writeCount).toBe(before);
  });

  it('skips the write when the change says nothing needs changing', async () => {
    const before = kube.writeCount;
    await updateWithRetry(
      clients.objects,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'flags' },
      () => undefined,
    );
    expect(kube.writeCount).toBe(before);
  });
});

describe('server-side apply of mesh objects', () => {
  let kube: FakeKube;
  let clients: KubeClients;
  beforeAll(async () => {
    kube = await startFakeKube();
    clients = makeKubeClients(kube.kubeConfig);
  });
  afterAll(async () => {
    await kube.stop();
  });

  const virtualService = (weight: unknown) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'payments', namespace: 'shop' },
    spec: {
      hosts: ['payments'],
      http: [
        {
          route: [
            { destination: { host: 'payments', subset: 'stable' }, weight: 100 },
            { destination: { host: 'payments', subset: 'canary' }, weight },
          ],
        },
      ],
    },
  });

  it('applies custom resources and surfaces the server refusal in one line', async () => {
    await applyObject(clients.objects, virtualService(0));
    expect(kube.writes.at(-1)).toMatchObject({
      kind: 'VirtualService',
      patchType: 'apply',
      fieldManager: 'glidepath',
    });
    const error = await applyObject(clients.objects, virtualService('zero')).catch((e: unknown) => e);
    expect(describeApiError(error)).toMatch(
      /^patch VirtualService shop\/payments failed: the API server at 127\.0\.0\.1:\d+ answered 422 Invalid: VirtualService.networking.istio.io "payments" is invalid: .*spec.http\[0\].route\[1\].weight/,
    );
  });

  it('edits route weights of a custom resource by read-modify-write, keeping the other fields', async () => {
    type Vs = KubernetesObject & { spec: { hosts: string[]; http: { route: { weight: number }[] }[] } };
    const updated = await updateWithRetry<Vs>(
      clients.objects,
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name: 'payments' },
      (vs) => {
        const route = vs.spec.http[0]?.route ?? [];
        if (route[0]) route[0].weight = 90;
        if (route[1]) route[1].weight = 10;
        return vs;
      },
    );
    expect(updated.spec.http[0]?.route.map((r) => r.weight)).toEqual([90, 10]);
    const stored = kube.get('networking.istio.io', 'v1', 'virtualservices', 'shop', 'payments');
    expect((stored?.spec as Vs['spec'] | undefined)?.hosts).toEqual(['payments']);
    expect(kube.writes.at(-1)).toMatchObject({ verb: 'update', fieldManager: 'glidepath' });
  });
});
