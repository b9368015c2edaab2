import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';

const deployment = (name: string, namespace: string): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    },
  },
});

async function code(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (e: unknown) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

describe.skipIf(!hasSharedFixtures)('fake-kube models what the real cluster does around objects', () => {
  let fake: FakeKube;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let objects: KubernetesObjectApi;
  let desired = 4;
  beforeAll(async () => {
    fake = await startFakeKube({ autoscaler: { desiredReplicas: () => desired } });
    apps = fake.kubeConfig.makeApiClient(AppsV1Api);
    core = fake.kubeConfig.makeApiClient(CoreV1Api);
    objects = KubernetesObjectApi.makeApiClient(fake.kubeConfig);
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('scales through /scale, and a later apply that leaves replicas out keeps them', async () => {
    const apply = (d: V1Deployment) =>
      objects.patch(d, undefined, undefined, 'glidepath', true, PatchStrategy.ServerSideApply);
    await apply(deployment('web', 'a'));
    expect((await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'a' })).spec?.replicas).toBe(
      2,
    );
    await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'a',
      fieldManager: 'glidepath',
      body: { metadata: { name: 'web', namespace: 'a' }, spec: { replicas: 5 } },
    });
    const withoutReplicas = deployment('web', 'a');
    delete withoutReplicas.spec?.replicas;
    await apply(withoutReplicas);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'a' })).spec?.replicas).toBe(5);

    // Without the /scale write the apply that drops replicas removes them: the server defaults 1.
    await apply(deployment('api', 'a'));
    const api = deployment('api', 'a');
    delete api.spec?.replicas;
    await apply(api);
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'a' })).spec?.replicas).toBe(1);
  });

  it("refuses a change of a Deployment's selector with 422 (immutable)", async () => {
    await apps.createNamespacedDeployment({ namespace: 'b', body: deployment('web', 'b') });
    const changed = deployment('web', 'b');
    changed.spec = {
      ...(changed.spec as NonNullable<V1Deployment['spec']>),
      selector: { matchLabels: { app: 'web', tier: 'x' } },
      template: { ...(changed.spec?.template as object), metadata: { labels: { app: 'web', tier: 'x' } } },
    };
    expect(await code(apps.replaceNamespacedDeployment({ name: 'web', namespace: 'b', body: changed }))).toBe(
      422,
    );
  });

  it('refuses a Service name over 63 characters', async () => {
    const body = { metadata: { name: `s${'a'.repeat(63)}` }, spec: { ports: [{ port: 80 }] } };
    expect(await code(core.createNamespacedService({ namespace: 'c', body }))).toBe(422);
  });

  it('runs an HPA controller that scales its target within min/max and leaves a target at 0 alone', async () => {
    await apps.createNamespacedDeployment({ namespace: 'd', body: deployment('web', 'd') });
    await objects.create({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'd' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 6,
      },
    } as never);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'd' })).spec?.replicas).toBe(4);
    desired = 50;
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'd' })).spec?.replicas).toBe(6);
    await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'd',
      body: { metadata: { name: 'web', namespace: 'd' }, spec: { replicas: 0 } },
    });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'd' })).spec?.replicas).toBe(0);
    desired = 4;
  });

  it('keeps pods unready while a referenced ConfigMap is missing, and ready once it exists', async () => {
    const d = deployment('web', 'e');
    const container = d.spec?.template.spec?.containers[0];
    if (container) container.envFrom = [{ configMapRef: { name: 'settings' } }];
    await apps.createNamespacedDeployment({ namespace: 'e', body: d });
    expect(
      (await apps.readNamespacedDeployment({ name: 'web', namespace: 'e' })).status?.readyReplicas,
    ).toBeUndefined();
    await core.createNamespacedConfigMap({
      namespace: 'e',
      body: { metadata: { name: 'settings' }, data: { A: '1' } },
    });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'e' })).status?.readyReplicas).toBe(
      2,
    );
  });
});
