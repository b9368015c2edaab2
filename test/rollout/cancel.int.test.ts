import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  type MeshProvider,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

const STEPS = [10, 25, 50];

describe.skipIf(!hasSharedFixtures)('cancelling a rollout (the runner sends SIGINT) at each step', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube({ readiness: { afterPolls: 1 }, gatewayApi: { afterPolls: 1 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const cases: Array<{
    provider: MeshProvider;
    at: string;
    when: (message: string) => boolean;
    steps: number;
  }> = [
    {
      provider: 'istio',
      at: 'while the canary deploys',
      when: (m) => m.startsWith('deploy canary'),
      steps: 0,
    },
    ...STEPS.map((_, k) => ({
      provider: 'istio' as const,
      at: `at step ${k + 1}`,
      when: (m: string) => m.startsWith(`step ${k + 1}/`),
      steps: k + 1,
    })),
    { provider: 'gateway-api', at: 'at step 2', when: (m) => m.startsWith('step 2/'), steps: 2 },
    { provider: 'smi', at: 'at step 3', when: (m) => m.startsWith('step 3/'), steps: 3 },
  ];

  for (const c of cases) {
    it(`${c.provider}: cancelled ${c.at}, traffic goes back to 100 % primary on the old image`, async () => {
      n += 1;
      const namespace = `cancel-${n}`;
      seedUserObjects(fake, c.provider, namespace);
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig(c.provider, namespace, { steps: STEPS }),
      });
      const cancel = new AbortController();
      const report = await rollout.run({
        signal: cancel.signal,
        onEvent: (e) => {
          if (c.when(e.message)) cancel.abort();
        },
      });
      expect(report.outcome).toBe('failed');
      expect(report.reason).toBe('the job was cancelled');
      expect(report.steps).toHaveLength(c.steps);
      if (c.steps > 0) expect(report.steps.at(-1)?.result).toBe('cancelled');
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
      // Cancelled before its apply was sent, the canary was never created: no canary pods either way.
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0).toBe(0);
      // The Lease is free for the next run, and records how this one ended.
      const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
      expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBeUndefined();
      expect(lease).toBeDefined();
      expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe('failed');
    });
  }
});
