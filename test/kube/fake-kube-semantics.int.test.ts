import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: number; message: string; reason: string }> {
  try {
    await promise;
  } catch (e: unknown) {
    if (!(e instanceof ApiException)) throw e;
    const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
      message: string;
      reason: string;
    };
    return { code: e.code, message: body.message, reason: body.reason };
  }
  throw new Error('expected a refusal');
}

const deployment = (name: string): V1Deployment => ({
  metadata: { name, labels: { app: name } },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          { name: 'app', image: 'registry.example/app:1', env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'registry.example/proxy:1' },
        ],
      },
    },
  },
});

describe('fake Kubernetes API server semantics', () => {
  let kube: FakeKube;
  beforeAll(async () => {
    kube = await startFakeKube({ namespaces: ['shop'] });
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('refuses writes into a namespace that does not exist', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const r = await refusal(apps.createNamespacedDeployment({ namespace: 'nowhere', body: deployment('x') }));
    expect(r).toEqual({ code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found' });
    kube.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nowhere' } });
    await apps.createNamespacedDeployment({ namespace: 'nowhere', body: deployment('x') });
  });

  it('applies defaults and strategic merge patch directives to built-in kinds', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedDeployment({ namespace: 'shop', body: deployment('api') });
    expect(created.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    await apps.patchNamespacedDeployment(
      {
        name: 'api',
        namespace: 'shop',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'sidecar', $patch: 'delete' },
                  { name: 'app', env: [{ name: 'B', value: '2' }] },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const stored = kube.get('apps', 'v1', 'deployments', 'shop', 'api') as unknown as V1Deployment;
    expect(stored.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['app']);
    expect(stored.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });

  it.skipIf(!hasSharedFixtures)(
    'prunes unknown fields of built-in kinds like the real decoder, or refuses them when strict',
    async () => {
      // The typed clients drop unknown fields before sending; a raw request shows what the server does.
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ port: 80, colour: 'red' }], flavour: 'x' },
      });
      const post = (query: string) =>
        fetch(`${kube.url}/api/v1/namespaces/shop/services${query}`, {
          method: 'POST',
          headers: { authorization: 'Bearer fake-kube-token', 'content-type': 'application/json' },
          body,
        });
      const strict = await post('?fieldValidation=Strict');
      expect(strict.status).toBe(400);
      expect(((await strict.json()) as { message: string }).message).toContain(
        'unknown field "spec.flavour"',
      );
      const warned = await post('');
      expect(warned.status).toBe(201);
      expect(warned.headers.get('warning')).toContain('unknown field \\"spec.ports[0].colour\\"');
      const stored = kube.get('', 'v1', 'services', 'shop', 'web') as unknown as {
        spec: Record<string, unknown>;
      };
      expect(stored.spec.flavour).toBeUndefined();
      expect(stored.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    },
  );

  it('checks JSON patch tests and delete preconditions', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'shop',
      body: { metadata: { name: 'cm' }, data: { a: '1' } },
    });
    const failed = await refusal(
      core.patchNamespacedConfigMap(
        {
          name: 'cm',
          namespace: 'shop',
          body: [
            { op: 'test', path: '/data/a', value: '2' },
            { op: 'replace', path: '/data/a', value: '3' },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
    expect(failed.code).toBe(422);
    expect(kube.get('', 'v1', 'configmaps', 'shop', 'cm')?.data).toEqual({ a: '1' });
    const stale = await refusal(
      core.deleteNamespacedConfigMap({
        name: 'cm',
        namespace: 'shop',
        body: { preconditions: { resourceVersion: '1' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.message).toMatch(/^Precondition failed: ResourceVersion in precondition: 1/);
  });

  it.skipIf(!hasSharedFixtures)(
    'accepts HTTPRoutes like a gateway controller, with the route generation',
    async () => {
      const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
      const route = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [
            {
              backendRefs: [
                { name: 'web-primary', port: 80, weight: 90 },
                { name: 'web-canary', port: 80, weight: 10 },
              ],
            },
          ],
        },
      };
      await objects.create(route);
      const first = kube.get('gateway.networking.k8s.io', 'v1', 'httproutes', 'shop', 'web') as unknown as {
        metadata: { generation: number };
        status: {
          parents: {
            controllerName: string;
            conditions: { type: string; status: string; observedGeneration: number }[];
          }[];
        };
      };
      expect(first.status.parents[0]?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
        status: 'True',
        observedGeneration: 1,
      });
      (route.spec.rules[0]?.backendRefs[0] as { weight: number }).weight = 50;
      (route.spec.rules[0]?.backendRefs[1] as { weight: number }).weight = 50;
      await objects.patch(route, undefined, undefined, 'glidepath', true, PatchStrategy.ServerSideApply);
      const second = kube.get(
        'gateway.networking.k8s.io',
        'v1',
        'httproutes',
        'shop',
        'web',
      ) as unknown as typeof first;
      expect(second.metadata.generation).toBe(2);
      expect(second.status.parents[0]?.conditions[0]?.observedGeneration).toBe(2);
    },
  );

  it('refuses an unconditional update of a custom resource, as the real server does', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
    const split = {
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { service: 'web', backends: [{ service: 'web-primary', weight: 100 }] },
    };
    await objects.create(split);
    const r = await refusal(objects.replace(split));
    expect(r.code).toBe(422);
    expect(r.message).toContain(
      'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
  });

  it.skipIf(!hasSharedFixtures)(
    'applies CRD schema defaults and the CEL rules the fake implements',
    async () => {
      const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
      await objects.create({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'defaults', namespace: 'shop' },
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web-primary', port: 80 }] }] },
      });
      const stored = kube.get(
        'gateway.networking.k8s.io',
        'v1',
        'httproutes',
        'shop',
        'defaults',
      ) as unknown as {
        spec: { rules: { backendRefs: Record<string, unknown>[] }[] };
      };
      expect(stored.spec.rules[0]?.backendRefs[0]).toEqual({
        name: 'web-primary',
        port: 80,
        group: '',
        kind: 'Service',
        weight: 1,
      });

      const noPort = await refusal(
        objects.create({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'no-port', namespace: 'shop' },
          spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web-primary' }] }] },
        }),
      );
      expect(noPort.code).toBe(422);
      expect(noPort.message).toContain(
        'spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference',
      );

      const timeout = await refusal(
        objects.create({
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'fast', namespace: 'shop' },
          spec: { hosts: ['fast'], http: [{ timeout: '500us', route: [{ destination: { host: 'fast' } }] }] },
        }),
      );
      expect(timeout.message).toContain('spec.http[0].timeout: Invalid value: "500us"');
    },
  );

  it.skipIf(!hasSharedFixtures)('can leave HTTPRoutes unreconciled', async () => {
    const lagging = await startFakeKube({ gatewayApi: { reconcile: 'never' } });
    try {
      const objects = KubernetesObjectApi.makeApiClient(lagging.kubeConfig);
      await objects.create({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web-primary', port: 80 }] }] },
      });
      expect(
        lagging.get('gateway.networking.k8s.io', 'v1', 'httproutes', 'shop', 'web')?.status,
      ).toBeUndefined();
    } finally {
      await lagging.stop();
    }
  });
});
