import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/simulation/memory.js';
import { kubeRollout, rolloutConfig, seedUserObjects } from '../rollout/kube-fixture.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';

function rule(namespace: string, name: string, host: string): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: {
      host,
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, connectionPool: { tcp: { maxConnections: 100 } } },
    },
  };
}

describe.skipIf(!hasSharedFixtures)('Istio: DestinationRules where Istio looks them up', () => {
  let fake: FakeKube;
  let n = 0;
  const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("carries a root-namespace rule's traffic policy into the per-track rules, instead of dropping it", async () => {
    n += 1;
    const ns = `dr-${n}`;
    seedUserObjects(fake, 'istio', ns);
    fake.seed(rule('istio-system', `payments-${ns}`, `payments.${ns}.svc.cluster.local`));
    const report = await kubeRollout(fake, ns, { config: rolloutConfig('istio', ns), clock }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    for (const track of ['primary', 'canary']) {
      const created = fake.get('networking.istio.io', 'v1', 'DestinationRule', ns, `payments-${track}`) as
        | (KubeObject & { spec: { host: string; trafficPolicy?: unknown; subsets?: unknown } })
        | undefined;
      expect(created?.spec.host).toBe(`payments-${track}.${ns}.svc.cluster.local`);
      expect(created?.spec.trafficPolicy).toEqual({
        tls: { mode: 'ISTIO_MUTUAL' },
        connectionPool: { tcp: { maxConnections: 100 } },
      });
      expect(created?.spec.subsets).toBeUndefined();
    }
    // No rule for the plain host is created: it would shadow the root-namespace one for <svc>.
    expect(fake.get('networking.istio.io', 'v1', 'DestinationRule', ns, 'payments')).toBeUndefined();
  });

  it("refuses, before any write, a rule for the host in a client's namespace whose policy would not follow the route", async () => {
    n += 1;
    const ns = `dr-${n}`;
    seedUserObjects(fake, 'istio', ns);
    fake.seed(rule(`frontend-${n}`, 'payments', `payments.${ns}.svc.cluster.local`));
    const writes = fake.writeCount;
    await expect(kubeRollout(fake, ns, { config: rolloutConfig('istio', ns), clock }).run()).rejects.toThrow(
      new RegExp(
        `frontend-${n}/payments.*would not follow the route to the hosts payments-primary/payments-canary`,
      ),
    );
    expect(fake.writeCount).toBe(writes);
  });
});
