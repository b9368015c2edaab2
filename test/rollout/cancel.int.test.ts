import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import { runJanitor } from '../../src/rollout/janitor.js';
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
      expect(report.steps).toHaveLength(c.steps);
      if (c.steps > 0) expect(report.steps.at(-1)?.result).toBe('cancelled');
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
      const lease = () => fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
      // The Lease is free for the next run (or the janitor), and records how this one ended.
      expect((lease()?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBeUndefined();
      if (c.steps === 0) {
        // Cancelled before its apply was sent, the canary was never created: nothing left to do.
        expect(report.reason).toBe('the job was cancelled');
        expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0).toBe(0);
        expect(lease()?.metadata.annotations?.['glidepath.dev/phase']).toBe('failed');
        return;
      }
      // scaleDownDelay (30 s) does not fit the 7.5 s cancel window: the canary keeps its pods for
      // the proxies that have not yet received the reset route, and the rollout stays unfinished.
      expect(report.reason).toBe(
        'the job was cancelled; payments-canary could not be scaled to 0 (the next post step, janitor or run finishes it)',
      );
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBeGreaterThan(0);
      expect(lease()?.metadata.annotations?.['glidepath.dev/phase']).toBe('rolling-back');
      expect(
        report.decisions.some((d) =>
          /payments-canary is left scaled up: the rest of its scaleDownDelay \(30 s\) does not fit/.test(
            d.reason,
          ),
        ),
      ).toBe(true);
      // The janitor (or the post step) comes later and finishes it.
      const findings = await runJanitor(makeKubeClients(fake.kubeConfig), namespace, {
        now: () => rollout.clock.now(),
        sleep: async () => {},
      });
      expect(findings.map((f) => f.action)).toEqual(['restored']);
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
      expect(lease()?.metadata.annotations?.['glidepath.dev/phase']).toBe('failed');
    });
  }
});
