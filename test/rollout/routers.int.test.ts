import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  type MeshProvider,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
  unrelatedRouteFields,
} from './kube-fixture.js';

const providers: MeshProvider[] = ['istio', 'gateway-api', 'smi'];

describe.skipIf(!hasSharedFixtures)('whole rollouts through each router against the fake API server', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    // Deployments become ready only after a few reads, and routes are accepted after two: the engine must wait.
    fake = await startFakeKube({ readiness: { afterPolls: 2 }, gatewayApi: { afterPolls: 2 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  function setup(provider: MeshProvider) {
    n += 1;
    const namespace = `e2e-${provider}-${n}`;
    seedUserObjects(fake, provider, namespace);
    const before = unrelatedRouteFields(fake, provider, namespace);
    const requestsBefore = fake.requests.length;
    const writesBefore = fake.writes.length;
    return { namespace, before, requestsBefore, writesBefore };
  }

  for (const provider of providers) {
    it(`${provider}: promotes a healthy canary, bootstrapping the primary from the user's Deployment`, async () => {
      const { namespace, before, requestsBefore, writesBefore } = setup(provider);
      const rollout = kubeRollout(fake, namespace, { config: rolloutConfig(provider, namespace) });
      const report = await rollout.run();

      expect(report.outcome, report.reason).toBe('promoted');
      expect(report.steps.map((s) => s.weights.canary)).toEqual([10, 25, 50]);
      expect(report.decisions.map((d) => d.action)).toContain('bootstrap');
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
      expect(deployment(fake, namespace, 'payments')?.spec.replicas).toBe(0);
      expect(unrelatedRouteFields(fake, provider, namespace)).toEqual(before);

      // The fake validates every write against the official schemas: nothing it answered was refused.
      const answered = fake.requests.slice(requestsBefore);
      expect(answered.filter((r) => r.code === 422 || r.code >= 500)).toEqual([]);

      // The user's Deployment is scaled to 0 only after the primary was created and read back ready.
      const writes = fake.writes.slice(writesBefore).filter((w) => w.kind === 'Deployment');
      const primaryCreated = writes.findIndex((w) => w.name === 'payments-primary');
      const userScaled = writes.findIndex((w) => w.name === 'payments');
      expect(primaryCreated).toBeGreaterThanOrEqual(0);
      expect(userScaled).toBeGreaterThan(primaryCreated);
      const primaryPath = `/apis/apps/v1/namespaces/${namespace}/deployments/payments-primary`;
      const userPath = `/apis/apps/v1/namespaces/${namespace}/deployments/payments`;
      const firstUserWrite = answered.findIndex((r) => r.path.startsWith(userPath) && r.method !== 'GET');
      const primaryReads = answered
        .slice(0, firstUserWrite)
        .filter((r) => r.method === 'GET' && r.path === primaryPath);
      expect(primaryReads.length).toBeGreaterThanOrEqual(2);
    });

    it(`${provider}: rolls a failing canary back to 100 % primary on the old image`, async () => {
      const { namespace, before, requestsBefore } = setup(provider);
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig(provider, namespace),
        canaryErrorRate: 0.2,
      });
      const report = await rollout.run();

      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(/step 1 failed analysis/);
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
      expect(imageOf(fake, namespace, 'payments-canary')).toBe(NEW_IMAGE);
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
      expect(unrelatedRouteFields(fake, provider, namespace)).toEqual(before);
      expect(fake.requests.slice(requestsBefore).filter((r) => r.code === 422 || r.code >= 500)).toEqual([]);
    });
  }

  it('a second rollout reuses the primary it bootstrapped and promotes the next image', async () => {
    const { namespace } = setup('istio');
    const first = await kubeRollout(fake, namespace, { config: rolloutConfig('istio', namespace) }).run();
    expect(first.outcome, first.reason).toBe('promoted');
    const next = `registry.example/payments@sha256:${'4'.repeat(64)}`;
    const second = await kubeRollout(fake, namespace, {
      config: rolloutConfig('istio', namespace),
      image: next,
    }).run();
    expect(second.outcome, second.reason).toBe('promoted');
    expect(second.decisions.map((d) => d.action)).not.toContain('bootstrap');
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(next);
  });
});
