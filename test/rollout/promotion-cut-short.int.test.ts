import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import type { Clock } from '../../src/rollout/engine.js';
import { runJanitor } from '../../src/rollout/janitor.js';
import { VirtualClock } from '../../src/simulation/memory.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

const runEnv = { GITHUB_REPOSITORY: 'shop/payments', GITHUB_RUN_ID: '41', GITHUB_RUN_ATTEMPT: '1' };

describe.skipIf(!hasSharedFixtures)('a promotion cut short (the runner died mid-promotion)', () => {
  let fake: FakeKube;
  beforeAll(async () => {
    // The promoted primary takes 5 reads to roll out: the runner dies during that wait.
    fake = await startFakeKube({ readiness: { afterPolls: 5 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('the janitor puts the primary back on the spec recorded on the Lease before the promotion', async () => {
    const namespace = 'promotion-cut';
    seedUserObjects(fake, 'istio', namespace);
    const time = new VirtualClock(Date.UTC(2026, 2, 1, 12));
    let dead = false;
    const clock: Clock = {
      now: () => time.now(),
      sleep: (ms) => (dead ? new Promise<void>(() => {}) : time.sleep(ms)),
    };
    const rollout = kubeRollout(fake, namespace, {
      config: rolloutConfig('istio', namespace, { steps: [50], leaseDuration: '1m' }),
      clock,
      env: runEnv,
    });
    void rollout.run({
      onEvent: (e) => {
        if (e.message.startsWith('promote:')) dead = true;
      },
    });
    for (let i = 0; i < 100 && imageOf(fake, namespace, 'payments-primary') !== NEW_IMAGE; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
    expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe('promoting');
    expect(lease?.metadata.annotations?.['glidepath.dev/previous-primary']).toContain(OLD_IMAGE);

    const findings = await runJanitor(makeKubeClients(fake.kubeConfig), namespace, {
      now: () => time.now() + 10 * 60_000,
      sleep: async () => {},
    });
    expect(findings.map((f) => f.action)).toEqual(['restored']);
    expect(findings[0]?.reason).toContain(
      `put payments-primary back on ${OLD_IMAGE} (the promotion was cut short)`,
    );
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
  });
});
