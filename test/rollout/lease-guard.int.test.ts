import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import { LeaseHeldError, LeaseLock } from '../../src/kube/lease.js';
import { runJanitor } from '../../src/rollout/janitor.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { SteppedClock } from '../support/stepped-clock.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  NEW_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

const runEnv = { GITHUB_REPOSITORY: 'shop/payments', GITHUB_RUN_ID: '11', GITHUB_RUN_ATTEMPT: '1' };
const OTHER_RUN = 'shop/payments/12/1';

function leaseOf(fake: FakeKube, namespace: string) {
  return fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments') as
    | { spec?: { holderIdentity?: string; leaseDurationSeconds?: number } }
    | undefined;
}

// client-go's leader election (tools/leaderelection): the holder renews on its own timer, every
// RetryPeriod, whatever else it does; a candidate takes over only after LeaseDuration without a
// renewal; a holder that finds another holder stops acting at once.
describe.skipIf(!hasSharedFixtures)(
  'the Lease is renewed by its own timer, and a run that lost it stops',
  () => {
    let fake: FakeKube;
    let n = 0;
    beforeAll(async () => {
      // Each Deployment rollout takes 200 reads: at one read a second, 200 s, over three times the Lease.
      fake = await startFakeKube({ readiness: { afterPolls: 200 } });
    });
    afterAll(async () => {
      await fake.stop();
    });

    it('a readiness wait longer than the Lease: nobody can take the Lease meanwhile, and the rollout finishes', async () => {
      const namespace = `lease-wait-${++n}`;
      seedUserObjects(fake, 'istio', namespace);
      const clock = new SteppedClock();
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { steps: [50], leaseDuration: '1m', readyTimeout: '10m' }),
        clock,
        env: runEnv,
      });
      const kube = makeKubeClients(fake.kubeConfig);
      const other = new LeaseLock(kube.coordination, {
        namespace,
        service: 'payments',
        holder: OTHER_RUN,
        now: () => new Date(clock.now()),
      });
      const attempts: unknown[] = [];
      const janitor: string[] = [];
      // 150 s: in the primary's bootstrap wait; 350 s: in the canary's readiness wait.
      for (const at of [150_000, 350_000]) {
        clock.at(at, async () => {
          attempts.push(await other.acquire().catch((e: unknown) => e));
          const findings = await runJanitor(kube, namespace, { now: () => clock.now() });
          janitor.push(findings.map((f) => f.action).join(','));
        });
      }
      const report = await rollout.run();
      expect(report.outcome, report.reason).toBe('promoted');
      expect(clock.elapsed).toBeGreaterThan(400_000);
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) expect(attempt).toBeInstanceOf(LeaseHeldError);
      expect(janitor).toEqual(['left-alone', 'left-alone']);
      expect(leaseOf(fake, namespace)?.spec?.leaseDurationSeconds).toBe(60);
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    });

    it('a Lease lost during promotion: the run stops and writes nothing more', async () => {
      const namespace = `lease-lost-${++n}`;
      seedUserObjects(fake, 'istio', namespace);
      const clock = new SteppedClock();
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { steps: [50], leaseDuration: '1m', readyTimeout: '10m' }),
        clock,
        env: runEnv,
      });
      let writesAtTakeover = -1;
      const report = await rollout.run({
        onEvent: (e) => {
          if (!e.message.startsWith('promote:')) return;
          // 30 s into the primary's rollout, another run (or the janitor) takes the Lease over.
          clock.at(clock.elapsed + 30_000, () => {
            fake.mutate('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments', (lease) => {
              const spec = lease.spec as Record<string, unknown>;
              spec.holderIdentity = OTHER_RUN;
              spec.renewTime = new Date(clock.now()).toISOString().replace('Z', '000Z');
            });
            writesAtTakeover = fake.writeCount;
          });
        },
      });
      expect(writesAtTakeover).toBeGreaterThan(0);
      expect(report.outcome).toBe('failed');
      expect(report.reason).toMatch(/lost the rollout lock .*held by run shop\/payments\/12\/1/);
      expect(report.serving).toBe('unknown');
      // Not the route reset, not the canary scale-down, not a revert, not a state record or a release.
      expect(fake.writes.slice(writesAtTakeover)).toEqual([]);
      expect(leaseOf(fake, namespace)?.spec?.holderIdentity).toBe(OTHER_RUN);
      // Untouched at its size for the 50 % step (canaryReplicas: weight, 50 % of 3 rounded up).
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(2);
    });

    it('a few 500s on the Lease (renewal, the check before a write, the state record) do not stop a healthy rollout', async () => {
      const namespace = `lease-500-${++n}`;
      seedUserObjects(fake, 'istio', namespace);
      const clock = new SteppedClock();
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, {
          steps: [10, 50],
          leaseDuration: '1m',
          readyTimeout: '10m',
        }),
        clock,
        env: runEnv,
      });
      const report = await rollout.run({
        onEvent: (e) => {
          if (e.message.startsWith('step 1/'))
            fake.injectFault({ kind: 'status500', plural: 'leases', times: 3 });
        },
      });
      fake.clearFaults();
      expect(report.outcome, report.reason).toBe('promoted');
    });

    it('the Lease duration defaults to the step interval, between 1m and 5m', async () => {
      const namespace = `lease-default-${++n}`;
      seedUserObjects(fake, 'istio', namespace);
      const short = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { interval: '30s' }),
      });
      const long = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { interval: '10m' }),
      });
      const mid = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { interval: '2m' }),
      });
      expect([short, mid, long].map((r) => r.prepared.leaseLock.durationSeconds)).toEqual([60, 120, 300]);
    });
  },
);

// The same rule during a rollback: client-go's OnStoppedLeading means stop acting, and a rollback
// is writes too (the route reset, the canary scale-down, the state record) to objects that the new
// holder now owns; it may be rolling out a newer version on them already.
describe.skipIf(!hasSharedFixtures)(
  'a run that lost the Lease does not roll back what another run owns',
  () => {
    let fake: FakeKube;
    let n = 0;
    beforeAll(async () => {
      fake = await startFakeKube();
    });
    afterAll(async () => {
      await fake.stop();
    });

    function takeOver(namespace: string, at: number): number {
      fake.mutate('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments', (lease) => {
        const spec = lease.spec as Record<string, unknown>;
        spec.holderIdentity = OTHER_RUN;
        spec.renewTime = new Date(at).toISOString().replace('Z', '000Z');
      });
      return fake.writeCount;
    }

    function failingRollout(prefix: string) {
      const namespace = `${prefix}-${++n}`;
      seedUserObjects(fake, 'istio', namespace);
      const rollout = kubeRollout(fake, namespace, {
        config: rolloutConfig('istio', namespace, { steps: [20, 50], leaseDuration: '1m' }),
        canaryErrorRate: 0.3,
        env: runEnv,
      });
      return { namespace, rollout };
    }

    function routeWeights(namespace: string): number[] {
      const vs = fake.get(
        'networking.istio.io',
        'v1',
        'VirtualService',
        namespace,
        'payments',
      ) as unknown as {
        spec: { http: Array<{ name?: string; route?: Array<{ weight?: number }> }> };
      };
      return (vs.spec.http.find((r) => r.name === 'main')?.route ?? []).map((d) => d.weight ?? 0);
    }

    it('taken over as the rollback begins: no route reset, no scale-down, no record, no release', async () => {
      const { namespace, rollout } = failingRollout('lost-before-rollback');
      let writesAtTakeover = -1;
      let weightsAtTakeover: number[] = [];
      const report = await rollout.run({
        onEvent: (e) => {
          if (writesAtTakeover >= 0 || !e.message.startsWith('roll back:')) return;
          weightsAtTakeover = routeWeights(namespace);
          writesAtTakeover = takeOver(namespace, rollout.clock.now());
        },
      });
      expect(writesAtTakeover).toBeGreaterThan(0);
      expect(report.outcome).toBe('failed');
      expect(report.reason).toMatch(
        /lost the rollout lock during the rollback .*held by run shop\/payments\/12\/1/,
      );
      expect(report.serving).toBe('unknown');
      expect(fake.writes.slice(writesAtTakeover)).toEqual([]);
      expect(routeWeights(namespace)).toEqual(weightsAtTakeover);
      expect(weightsAtTakeover).toEqual([80, 20]);
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBeGreaterThan(0);
      expect(leaseOf(fake, namespace)?.spec?.holderIdentity).toBe(OTHER_RUN);
    });

    it('taken over between the route reset and the scale-down: the canary is left to the new holder', async () => {
      const { namespace, rollout } = failingRollout('lost-mid-rollback');
      let rollingBack = false;
      let writesAtTakeover = -1;
      const reset = rollout.prepared.router.reset.bind(rollout.prepared.router);
      rollout.prepared.router.reset = async () => {
        const weights = await reset();
        if (rollingBack && writesAtTakeover < 0) writesAtTakeover = takeOver(namespace, rollout.clock.now());
        return weights;
      };
      const report = await rollout.run({
        onEvent: (e) => {
          if (e.message.startsWith('roll back:')) rollingBack = true;
        },
      });
      expect(writesAtTakeover).toBeGreaterThan(0);
      expect(report.outcome).toBe('failed');
      expect(report.reason).toMatch(/lost the rollout lock during the rollback/);
      // The reset was confirmed before the takeover: the previous version serves everything.
      expect(report.serving).toBe('previous');
      expect(routeWeights(namespace)).toEqual([100, 0]);
      expect(fake.writes.slice(writesAtTakeover)).toEqual([]);
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBeGreaterThan(0);
      expect(leaseOf(fake, namespace)?.spec?.holderIdentity).toBe(OTHER_RUN);
    });
  },
);
