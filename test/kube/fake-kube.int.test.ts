import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, type StatusBody, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';

function deployment(name: string, image = 'registry.example/app:1'): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

function virtualService(name: string, weights: [unknown, unknown]): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'shop' },
    spec: {
      hosts: [name],
      http: [
        {
          name: 'primary',
          retries: { attempts: 3 },
          route: [
            { destination: { host: name, subset: 'stable' }, weight: weights[0] },
            { destination: { host: name, subset: 'canary' }, weight: weights[1] },
          ],
        },
      ],
    },
  };
}

async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await promise;
  } catch (e: unknown) {
    if (e instanceof ApiException) {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as StatusBody) : (e.body as StatusBody);
      return { code: e.code, status: body };
    }
    throw e;
  }
  throw new Error('expected the API to refuse the request');
}

describe('fake Kubernetes API server', () => {
  let kube: FakeKube;
  beforeAll(async () => {
    kube = await startFakeKube({ readiness: { afterPolls: 2 } });
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('serves the typed clients of @kubernetes/client-node over HTTP', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: 'shop',
      body: { metadata: { name: 'settings', labels: { tier: 'web' } }, data: { a: '1' } },
    });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
    expect(read.data).toEqual({ a: '1' });
    const listed = await core.listNamespacedConfigMap({ namespace: 'shop', labelSelector: 'tier=web' });
    expect(listed.items.map((i) => i.metadata?.name)).toEqual(['settings']);
    const none = await core.listNamespacedConfigMap({ namespace: 'shop', labelSelector: 'tier in (db)' });
    expect(none.items).toEqual([]);

    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const dep = await apps.createNamespacedDeployment({ namespace: 'shop', body: deployment('web') });
    expect(dep.metadata?.generation).toBe(1);
    expect(dep.spec?.replicas).toBe(2);

    const leases = kube.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({
      namespace: 'shop',
      body: { metadata: { name: 'glidepath-web' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 30 } },
    });
    expect(lease.spec?.holderIdentity).toBe('a');

    const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'shop',
      plural: 'virtualservices',
      body: virtualService('web', [100, 0]),
    });
    const vs = (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'shop',
      plural: 'virtualservices',
      name: 'web',
    })) as { spec: { http: { route: { weight: number }[] }[] } };
    expect(vs.spec.http[0]?.route.map((r) => r.weight)).toEqual([100, 0]);

    const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
    const generic = await objects.read({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'shop' },
    });
    expect(generic.metadata?.name).toBe('settings');
    const genericVs = await objects.read({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'shop' },
    });
    expect(genericVs.metadata?.generation).toBe(1);

    expect(kube.get('', 'v1', 'ConfigMap', 'shop', 'settings')?.data).toEqual({ a: '1' });
    expect(kube.writes.map((w) => `${w.verb} ${w.plural}/${w.name}`)).toEqual([
      'create configmaps/settings',
      'create deployments/web',
      'create leases/glidepath-web',
      'create virtualservices/web',
    ]);
  });

  it('answers 404 NotFound with a Status like the real server', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const { code, status } = await apiError(core.readNamespacedService({ name: 'nope', namespace: 'shop' }));
    expect(code).toBe(404);
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'services "nope" not found',
      details: { name: 'nope', kind: 'services' },
      code: 404,
    });
  });

  it('refuses a write with a stale resourceVersion with 409 Conflict', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const first = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
    await core.replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'shop',
      body: { ...first, data: { a: '2' } },
    });
    const { code, status } = await apiError(
      core.replaceNamespacedConfigMap({
        name: 'settings',
        namespace: 'shop',
        body: { ...first, data: { a: '3' } },
      }),
    );
    expect(code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe(
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(kube.get('', 'v1', 'configmaps', 'shop', 'settings')?.data).toEqual({ a: '2' });
  });

  it('rejects an invalid Deployment with 422 and the causes', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const before = kube.writeCount;
    const noSelector = deployment('broken');
    delete (noSelector.spec as { selector?: unknown }).selector;
    const missing = await apiError(apps.createNamespacedDeployment({ namespace: 'shop', body: noSelector }));
    expect(missing.code).toBe(422);
    expect(missing.status.reason).toBe('Invalid');
    expect(missing.status.message).toContain('Deployment.apps "broken" is invalid');
    expect(missing.status.details?.causes).toContainEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.selector',
    });

    const noContainers = deployment('broken');
    (noContainers.spec?.template.spec as { containers: unknown[] }).containers = [];
    const empty = await apiError(apps.createNamespacedDeployment({ namespace: 'shop', body: noContainers }));
    expect(empty.code).toBe(422);
    expect(empty.status.details?.causes?.map((c) => c.field)).toContain('spec.template.spec.containers');

    const mismatched = deployment('broken');
    (mismatched.spec?.template.metadata as { labels: Record<string, string> }).labels = { app: 'other' };
    const labels = await apiError(apps.createNamespacedDeployment({ namespace: 'shop', body: mismatched }));
    expect(labels.status.message).toContain('`selector` does not match template `labels`');
    expect(kube.writeCount).toBe(before);
    expect(kube.get('apps', 'v1', 'deployments', 'shop', 'broken')).toBeUndefined();
  });

  it('rejects an invalid Lease and Service', async () => {
    const leases = kube.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await apiError(
      leases.createNamespacedLease({
        namespace: 'shop',
        body: { metadata: { name: 'bad' }, spec: { leaseDurationSeconds: 'long' as unknown as number } },
      }),
    );
    expect(lease.code).toBe(422);
    expect(lease.status.details?.causes?.[0]?.field).toBe('spec.leaseDurationSeconds');
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const svc = await apiError(
      core.createNamespacedService({
        namespace: 'shop',
        body: { metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    expect(svc.status.details?.causes?.[0]?.field).toBe('metadata.name');
  });

  describe.skipIf(!hasSharedFixtures)('mesh CRDs from the official schemas', () => {
    it('rejects a VirtualService weight given as a string and a route with no destination', async () => {
      const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
      const args = {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'shop',
        plural: 'virtualservices',
      };
      const weight = await apiError(
        custom.createNamespacedCustomObject({ ...args, body: virtualService('bad', ['90', 10]) }),
      );
      expect(weight.code).toBe(422);
      expect(weight.status.message).toContain('VirtualService.networking.istio.io "bad" is invalid');
      expect(weight.status.details?.causes).toContainEqual(
        expect.objectContaining({ reason: 'FieldValueTypeInvalid', field: 'spec.http[0].route[0].weight' }),
      );
      const noDestination = virtualService('bad', [100, 0]) as { spec: { http: { route: unknown[] }[] } };
      noDestination.spec.http[0] = { route: [{ weight: 100 }] };
      const dest = await apiError(custom.createNamespacedCustomObject({ ...args, body: noDestination }));
      expect(dest.status.details?.causes).toContainEqual({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.http[0].route[0].destination',
      });
    });

    it('prunes unknown fields with a warning, and refuses them with fieldValidation=Strict', async () => {
      const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
      const args = {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'shop',
        plural: 'virtualservices',
      };
      const body = virtualService('extra', [100, 0]) as { spec: Record<string, unknown> };
      body.spec.colour = 'blue';
      const strict = await apiError(
        custom.createNamespacedCustomObject({ ...args, body, fieldValidation: 'Strict' }),
      );
      expect(strict.code).toBe(400);
      expect(strict.status.message).toContain('unknown field "spec.colour"');
      await custom.createNamespacedCustomObject({ ...args, body });
      const stored = kube.get('networking.istio.io', 'v1', 'virtualservices', 'shop', 'extra');
      expect((stored?.spec as Record<string, unknown> | undefined)?.colour).toBeUndefined();
      expect((stored?.spec as Record<string, unknown> | undefined)?.hosts).toEqual(['extra']);
    });

    it('validates HTTPRoute and TrafficSplit writes', async () => {
      const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
      const route = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [{ backendRefs: [{ name: 'web-primary', port: 80, weight: 100 }] }],
        },
      };
      await objects.create(route);
      const bad = structuredClone(route);
      bad.metadata.name = 'bad';
      (bad.spec.rules[0]?.backendRefs[0] as { weight: unknown }).weight = -1;
      const refused = await apiError(objects.create(bad));
      expect(refused.code).toBe(422);
      expect(refused.status.details?.causes?.[0]?.field).toBe('spec.rules[0].backendRefs[0].weight');
      const split = {
        apiVersion: 'split.smi-spec.io/v1alpha4',
        kind: 'TrafficSplit',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { service: 'web', backends: [{ service: 'web-primary', weight: 'heavy' }] },
      };
      expect((await apiError(objects.create(split))).code).toBe(422);
    });
  });

  it('supports merge, strategic merge and JSON patches', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'shop',
        body: {
          spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/app:2' }] } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    let dep = kube.get('apps', 'v1', 'Deployment', 'shop', 'web') as unknown as V1Deployment;
    expect(dep.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'app=registry.example/app:2',
    ]);
    expect(dep.metadata?.generation).toBe(2);

    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'shop', body: { metadata: { labels: { release: 'r2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'shop', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    dep = kube.get('apps', 'v1', 'Deployment', 'shop', 'web') as unknown as V1Deployment;
    expect(dep.metadata?.labels).toEqual({ app: 'web', release: 'r2' });
    expect(dep.spec?.replicas).toBe(3);
    expect(dep.metadata?.generation).toBe(3);
  });

  it('records the field manager of server-side apply and reports conflicts with other managers', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'shop' },
      data: { a: '1', b: '2' },
    };
    await objects.patch(cm, undefined, undefined, 'glidepath', true, PatchStrategy.ServerSideApply);
    const stored = kube.get('', 'v1', 'configmaps', 'shop', 'applied');
    expect(stored?.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toEqual([
      'glidepath/Apply',
    ]);
    expect(stored?.metadata.managedFields?.[0]?.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    expect(kube.writes.at(-1)).toMatchObject({
      verb: 'create',
      patchType: 'apply',
      fieldManager: 'glidepath',
    });

    const other = { ...cm, data: { a: 'other' } };
    const refused = await apiError(
      objects.patch(other, undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply),
    );
    expect(refused.code).toBe(409);
    expect(refused.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "glidepath" using v1: .data.a',
    );
    await objects.patch(other, undefined, undefined, 'someone-else', true, PatchStrategy.ServerSideApply);
    // glidepath drops `b` from its applied config: the field goes, as only glidepath owned it.
    await objects.patch(
      { ...cm, data: { a: 'other' } },
      undefined,
      undefined,
      'glidepath',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(kube.get('', 'v1', 'configmaps', 'shop', 'applied')?.data).toEqual({ a: 'other' });

    const noManager = await apiError(
      objects.patch(cm, undefined, undefined, undefined, true, PatchStrategy.ServerSideApply),
    );
    expect(noManager.code).toBe(422);
    expect(noManager.status.details?.causes?.[0]?.field).toBe('fieldManager');
  });

  it('keeps status to the status subresource and bumps generation only on spec changes', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const before = kube.get('apps', 'v1', 'deployments', 'shop', 'web');
    const current = await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'shop',
      body: {
        ...current,
        metadata: { ...current.metadata, annotations: { note: 'x' } },
        status: { replicas: 99 },
      },
    });
    const after = kube.get('apps', 'v1', 'deployments', 'shop', 'web');
    expect(after?.metadata.generation).toBe(before?.metadata.generation);
    expect((after?.status as { replicas?: number } | undefined)?.replicas).not.toBe(99);
  });

  it('injects faults and clears them', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    kube.injectFault({ verb: 'get', plural: 'configmaps', kind: 'status500', times: 2 });
    expect((await apiError(core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' }))).code).toBe(
      500,
    );
    expect(
      (await apiError(core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' }))).status.reason,
    ).toBe('InternalError');
    await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });

    kube.injectFault({ verb: 'update', kind: 'conflict', times: Number.POSITIVE_INFINITY });
    const cm = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
    expect(
      (await apiError(core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'shop', body: cm })))
        .code,
    ).toBe(409);
    expect(
      (await apiError(core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'shop', body: cm })))
        .code,
    ).toBe(409);
    kube.clearFaults();
    await core.replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'shop',
      body: { ...cm, data: { a: '9' } },
    });

    const dropped = kube.injectFault({ plural: 'configmaps', kind: 'drop' });
    await expect(core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' })).rejects.toThrow();
    expect(dropped.hits).toBe(1);
    kube.injectFault({ plural: 'configmaps', kind: 'slow', delayMs: 50 });
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' })).data).toEqual({
      a: '9',
    });
    expect(kube.requests.filter((r) => r.code === 0)).toHaveLength(1);
  });

  it('simulates a Deployment rollout that completes after two reads', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: 'shop', body: deployment('sim') });
    const first = await apps.readNamespacedDeployment({ name: 'sim', namespace: 'shop' });
    expect(first.status?.observedGeneration).toBeUndefined();
    expect(first.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    const second = await apps.readNamespacedDeployment({ name: 'sim', namespace: 'shop' });
    expect(second.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(second.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Available=True',
      'Progressing=True',
    ]);
  });

  it('never readies a Deployment whose image matches the never-ready pattern', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('stuck', 'registry.example/app:never-ready'),
    });
    for (let i = 0; i < 4; i++) await apps.readNamespacedDeployment({ name: 'stuck', namespace: 'shop' });
    const dep = await apps.readNamespacedDeployment({ name: 'stuck', namespace: 'shop' });
    expect(dep.status?.readyReplicas).toBeUndefined();
    expect(dep.status?.unavailableReplicas).toBe(2);
    expect(dep.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
  });

  it('deletes objects', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
    expect(kube.get('', 'v1', 'configmaps', 'shop', 'settings')).toBeUndefined();
    expect(kube.writes.at(-1)).toMatchObject({ verb: 'delete', name: 'settings' });
    expect(
      (await apiError(core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'shop' }))).code,
    ).toBe(404);
  });
});
