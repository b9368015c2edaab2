import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import { rolloutStateAnnotations } from '../../src/kube/rollout-state.js';
import { IstioRouter } from '../../src/mesh/istio.js';
import { runJanitor } from '../../src/rollout/janitor.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { userService } from './kube-fixture.js';

const now = Date.UTC(2026, 10, 26, 12);

function deployment(name: string, namespace: string, replicas: number, track: string): KubeObject {
  const labels = { app: 'payments', 'glidepath.dev/track': track };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'payments', image: 'registry.example/payments:1' }] },
      },
    },
  };
}

function lease(namespace: string, renewedAgoMs: number, phase: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: 'glidepath-payments',
      namespace,
      annotations: rolloutStateAnnotations({
        phase: phase as 'progressing',
        step: 2,
        revision: 'payments@sha256:abc',
        runId: 'org/repo/41/1',
        weights: { stable: 75, canary: 25 },
        router: JSON.stringify({ provider: 'istio', virtualService: 'payments' }),
      }),
    },
    spec: {
      holderIdentity: 'org/repo/41/1',
      leaseDurationSeconds: 300,
      renewTime: new Date(now - renewedAgoMs).toISOString().replace('Z', '000Z'),
    },
  };
}

// A runner lost mid-rollout runs no post step: the janitor finds its expired
// Lease and restores 100 % primary.
describe.skipIf(!hasSharedFixtures)('glidepath janitor against the fake API server', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  async function setup(renewedAgoMs: number, phase = 'progressing') {
    const namespace = `janitor-${++n}`;
    fake.seed({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payments', namespace },
      spec: { hosts: ['payments'], http: [{ name: 'main', route: [{ destination: { host: 'payments' } }] }] },
    });
    fake.seed(userService(namespace));
    fake.seed(deployment('payments-primary', namespace, 3, 'stable'));
    fake.seed(deployment('payments-canary', namespace, 3, 'canary'));
    const kube = makeKubeClients(fake.kubeConfig);
    const router = new IstioRouter(
      { target: { service: 'payments', namespace }, kube, sleep: async () => {} },
      { virtualService: 'payments' },
    );
    await router.ensure();
    await router.setWeights({ primary: 75, canary: 25 });
    fake.seed(lease(namespace, renewedAgoMs, phase));
    return { namespace, kube, router };
  }

  it('restores 100 % primary and scales the canary down for an expired, unfinished rollout', async () => {
    const { namespace, kube, router } = await setup(10 * 60_000);
    const findings = await runJanitor(kube, namespace, { now: () => now });
    expect(findings).toEqual([
      expect.objectContaining({ service: 'payments', action: 'restored', holder: 'org/repo/41/1' }),
    ]);
    expect(await router.getWeights()).toEqual({ primary: 100, canary: 0 });
    expect(
      (
        fake.get('apps', 'v1', 'deployments', namespace, 'payments-canary')?.spec as
          | { replicas?: number }
          | undefined
      )?.replicas,
    ).toBe(0);
    const annotations = fake.get('coordination.k8s.io', 'v1', 'leases', namespace, 'glidepath-payments')
      ?.metadata?.annotations;
    expect(annotations?.['glidepath.dev/phase']).toBe('failed');
  });

  it('leaves a live run alone', async () => {
    const { namespace, kube, router } = await setup(30_000);
    const findings = await runJanitor(kube, namespace, { now: () => now });
    expect(findings[0]).toMatchObject({ action: 'left-alone', reason: expect.stringMatching(/live run/) });
    expect(await router.getWeights()).toEqual({ primary: 75, canary: 25 });
  });

  it('writes nothing in a dry run', async () => {
    const { namespace, kube } = await setup(10 * 60_000);
    const before = fake.writeCount;
    const findings = await runJanitor(kube, namespace, { now: () => now, dryRun: true });
    expect(findings[0]?.action).toBe('would-restore');
    expect(fake.writeCount).toBe(before);
  });

  it('leaves finished, clean rollouts alone', async () => {
    const { namespace, kube } = await setup(10 * 60_000, 'promoted');
    fake.mutate('apps', 'v1', 'Deployment', namespace, 'payments-canary', (d) => {
      (d.spec as { replicas: number }).replicas = 0;
    });
    fake.mutate('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments', (l) => {
      delete (l.spec as { holderIdentity?: string }).holderIdentity;
    });
    const before = fake.writeCount;
    expect((await runJanitor(kube, namespace, { now: () => now }))[0]?.action).toBe('left-alone');
    expect(fake.writeCount).toBe(before);
  });

  it('finishes a finished-but-dirty rollout: canary still scaled up, Lease still held', async () => {
    const { namespace, kube } = await setup(10 * 60_000, 'rolled-back');
    const dry = await runJanitor(kube, namespace, { now: () => now, dryRun: true });
    expect(dry[0]?.action).toBe('would-repair');
    const findings = await runJanitor(kube, namespace, { now: () => now, sleep: async () => {} });
    expect(findings[0]?.action).toBe('repaired');
    expect(findings[0]?.reason).toMatch(
      /payments-canary still has 3 replica\(s\) and the lease is still held/,
    );
    const canary = fake.get('apps', 'v1', 'Deployment', namespace, 'payments-canary');
    expect((canary?.spec as { replicas?: number } | undefined)?.replicas).toBe(0);
    const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
    expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBeUndefined();
  });
});
