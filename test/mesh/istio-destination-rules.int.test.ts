import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/rollout/simulation/memory.js';
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

  it("carries a root-namespace rule's traffic policy into the rule it creates, instead of dropping it", async () => {
    n += 1;
    const ns = `dr-${n}`;
    seedUserObjects(fake, 'istio', ns);
    fake.seed(rule('istio-system', `payments-${ns}`, `payments.${ns}.svc.cluster.local`));
    const report = await kubeRollout(fake, ns, { config: rolloutConfig('istio', ns), clock }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const created = fake.get('networking.istio.io', 'v1', 'DestinationRule', ns, 'payments') as KubeObject & {
      spec: { trafficPolicy?: unknown; subsets: { name: string }[] };
    };
    expect(created.spec.trafficPolicy).toEqual({
      tls: { mode: 'ISTIO_MUTUAL' },
      connectionPool: { tcp: { maxConnections: 100 } },
    });
    expect(created.spec.subsets.map((s) => s.name)).toEqual(['primary', 'canary']);
  });

  it("refuses, before any write, a rule for the host in a client's namespace that would hide the subsets", async () => {
    n += 1;
    const ns = `dr-${n}`;
    seedUserObjects(fake, 'istio', ns);
    fake.seed(rule(`frontend-${n}`, 'payments', `payments.${ns}.svc.cluster.local`));
    const writes = fake.writeCount;
    await expect(kubeRollout(fake, ns, { config: rolloutConfig('istio', ns), clock }).run()).rejects.toThrow(
      new RegExp(`frontend-${n}/payments.*subsets`),
    );
    expect(fake.writeCount).toBe(writes);
  });
});
