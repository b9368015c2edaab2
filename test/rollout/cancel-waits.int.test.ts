import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import { LeaseLock } from '../../src/kube/lease.js';
import { CANCELLED_CLEANUP_BUDGET_MS } from '../../src/rollout/retry-policy.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { SteppedClock } from '../support/stepped-clock.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  type MeshProvider,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

const runEnv = { GITHUB_REPOSITORY: 'shop/payments', GITHUB_RUN_ID: '31', GITHUB_RUN_ATTEMPT: '1' };

/**
 * The runner sends SIGINT on cancel and SIGTERM 7.5 s later. Whatever the rollout waits for when
 * it comes, the wait must end at once and the rollback fit what is left of that window; here in
 * simulated time, where a wait that ignored the signal would run to its own timeout.
 */
describe.skipIf(!hasSharedFixtures)('SIGINT during every kind of wait', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    // Deployments take 60 reads (60 s) to roll out, routes 2 reads to be accepted.
    fake = await startFakeKube({ readiness: { afterPolls: 60 }, gatewayApi: { afterPolls: 2 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const cases: Array<{ wait: string; provider: MeshProvider; trigger: string; afterMs: number }> = [
    {
      wait: "the primary's bootstrap readiness",
      provider: 'istio',
      trigger: 'lease-acquired',
      afterMs: 20_000,
    },
    { wait: "the canary's readiness", provider: 'istio', trigger: 'deploy canary', afterMs: 20_000 },
    { wait: 'the soak of a step', provider: 'istio', trigger: 'step 1/', afterMs: 15_000 },
    { wait: "the promoted primary's readiness", provider: 'istio', trigger: 'promote:', afterMs: 20_000 },
    // The canary is ready 59 s after it is applied; then the first weights wait for Accepted.
    {
      wait: "an HTTPRoute's Accepted status",
      provider: 'gateway-api',
      trigger: 'deploy canary',
      afterMs: 59_500,
    },
  ];

  for (const c of cases) {
    it(`${c.wait}: stops at once, restores 100 % primary within the cancel window`, async () => {
      const namespace = `cancel-wait-${++n}`;
      seedUserObjects(fake, c.provider, namespace);
      const clock = new SteppedClock();
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig(c.provider, namespace, { steps: [10], interval: '1m', readyTimeout: '10m' }),
        clock,
        env: runEnv,
      });
      const cancel = new AbortController();
      let cancelledAt: number | undefined;
      const arm = () =>
        clock.at(clock.elapsed + c.afterMs, () => {
          cancelledAt = clock.now();
          cancel.abort();
        });
      if (c.trigger === 'lease-acquired') arm();
      let armed = c.trigger === 'lease-acquired';
      const report = await rollout.run({
        signal: cancel.signal,
        onEvent: (e) => {
          if (!armed && e.message.startsWith(c.trigger)) {
            armed = true;
            arm();
          }
        },
      });
      expect(cancelledAt, 'the cancel fired inside the wait').toBeDefined();
      expect(report.outcome).toBe('failed');
      // A canary that was up keeps its pods: scaleDownDelay (30 s) does not fit the cancel window.
      const canaryUp = (deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0) > 0;
      expect(report.reason).toBe(
        canaryUp
          ? 'the job was cancelled; payments-canary could not be scaled to 0 (the next post step, janitor or run finishes it)'
          : 'the job was cancelled',
      );
      const afterCancel = Date.parse(report.endedAt ?? '') - (cancelledAt ?? 0);
      expect(afterCancel).toBeLessThanOrEqual(CANCELLED_CLEANUP_BUDGET_MS + 2_000);
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect((await rollout.prepared.router.getWeights()) ?? { canary: 0 }).toMatchObject({ canary: 0 });
      if (c.provider === 'gateway-api') {
        // Cancelled inside the first setWeights: the canary was up, no step had begun.
        expect(report.steps).toHaveLength(0);
        expect(deployment(fake, namespace, 'payments-canary')).toBeDefined();
      }
      if (c.trigger !== 'promote:')
        expect(imageOf(fake, namespace, 'payments-primary') ?? OLD_IMAGE).toBe(OLD_IMAGE);
      const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
      expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBeUndefined();
      // Left for the post step or janitor, the rollout is recorded unfinished.
      expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe(canaryUp ? 'rolling-back' : 'failed');
    });
  }

  it('waiting for the rollout lock: stops at once and writes nothing', async () => {
    const namespace = `cancel-wait-${++n}`;
    seedUserObjects(fake, 'istio', namespace);
    const clock = new SteppedClock();
    const other = new LeaseLock(makeKubeClients(fake.kubeConfig).coordination, {
      namespace,
      service: 'payments',
      holder: 'shop/payments/30/1',
      durationSeconds: 600,
      now: () => new Date(clock.now()),
    });
    await other.acquire();
    const rollout = kubeRollout(fake, namespace, {
      config: rolloutConfig('istio', namespace),
      clock,
      env: runEnv,
      lockWaitMs: 10 * 60_000,
    });
    const cancel = new AbortController();
    clock.at(30_000, () => cancel.abort());
    const before = fake.writeCount;
    const report = await rollout.run({ signal: cancel.signal });
    expect(report.reason).toBe(
      'the job was cancelled while waiting for the rollout lock; nothing was written',
    );
    expect(clock.elapsed).toBeLessThan(40_000);
    expect(fake.writeCount).toBe(before);
  });
});
