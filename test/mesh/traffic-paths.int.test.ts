import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/simulation/memory.js';
import {
  httpRoute,
  kubeRollout,
  type MeshProvider,
  rolloutConfig,
  seedUserObjects,
  virtualService,
} from '../rollout/kube-fixture.js';
import { startSelfHeal } from '../support/fake-kube/gitops.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { throughHttpRoute, throughService, throughVirtualService } from '../support/fake-kube/traffic.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { SteppedClock } from '../support/stepped-clock.js';

describe.skipIf(!hasSharedFixtures)('which traffic reaches the canary, and who else writes the route', () => {
  let fake: FakeKube;
  let n = 0;
  const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
  beforeAll(async () => {
    fake = await startFakeKube({ now: () => new Date(clock.now()) });
  });
  afterAll(async () => {
    await fake.stop();
  });
  const ns = (p: MeshProvider) => {
    n += 1;
    return `tp-${p}-${n}`;
  };

  it('gateway-api: the managed rule carries the step weight; the plain Service and another route for it carry 0 %', async () => {
    const namespace = ns('gateway-api');
    seedUserObjects(fake, 'gateway-api', namespace);
    // An internal route for the same Service that glidepath does not manage.
    const internal = httpRoute(namespace) as KubeObject & { spec: Record<string, unknown> };
    internal.metadata.name = 'payments-internal';
    internal.spec = {
      parentRefs: [{ name: 'internal', namespace: 'infra' }],
      rules: [{ backendRefs: [{ name: 'payments', port: 80 }] }],
    };
    fake.seed(internal);
    const seen: Record<string, number>[] = [];
    const report = await kubeRollout(fake, namespace, {
      config: rolloutConfig('gateway-api', namespace),
      clock,
    }).run({
      onEvent: (e) => {
        if (!/^step \d+\//.test(e.message)) return;
        seen.push({
          managed: throughHttpRoute(fake, namespace, 'payments', 'main'),
          plain: throughService(fake, namespace, 'payments'),
          other: throughHttpRoute(fake, namespace, 'payments-internal'),
        });
      },
    });
    expect(report.outcome, report.reason).toBe('promoted');
    expect(seen.map((s) => Math.round((s.managed ?? -1) * 100))).toEqual([10, 25, 50]);
    expect(seen.map((s) => [s.plain, s.other])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('istio: the managed route carries the step weight; the plain Service and another VirtualService for the host carry 0 %', async () => {
    const namespace = ns('istio');
    seedUserObjects(fake, 'istio', namespace);
    // Another VirtualService for the same host that glidepath does not manage (an internal gateway).
    const internal = virtualService(namespace) as KubeObject & { spec: Record<string, unknown> };
    internal.metadata.name = 'payments-internal';
    internal.spec = {
      hosts: ['payments.internal.example'],
      http: [{ name: 'all', route: [{ destination: { host: 'payments' } }] }],
    };
    fake.seed(internal);
    const seen: Record<string, number>[] = [];
    const report = await kubeRollout(fake, namespace, {
      config: rolloutConfig('istio', namespace),
      clock,
    }).run({
      onEvent: (e) => {
        if (!/^step \d+\//.test(e.message)) return;
        seen.push({
          managed: throughVirtualService(fake, namespace, 'payments', 'main'),
          plain: throughService(fake, namespace, 'payments'),
          other: throughVirtualService(fake, namespace, 'payments-internal', 'all'),
        });
      },
    });
    expect(report.outcome, report.reason).toBe('promoted');
    expect(seen.map((s) => Math.round((s.managed ?? -1) * 100))).toEqual([10, 25, 50]);
    expect(seen.map((s) => [s.plain, s.other])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  for (const provider of ['gateway-api', 'istio'] as const) {
    it(`${provider}: Argo CD self-healing the route mid-step aborts the step, naming the field manager, and ends at 100 % primary`, async () => {
      const namespace = ns(provider);
      seedUserObjects(fake, provider, namespace);
      const git = provider === 'istio' ? virtualService(namespace) : httpRoute(namespace);
      const [group, kind] =
        provider === 'istio'
          ? ['networking.istio.io', 'VirtualService']
          : ['gateway.networking.k8s.io', 'HTTPRoute'];
      const rollout = kubeRollout(fake, namespace, { config: rolloutConfig(provider, namespace), clock });
      const report = await rollout.run({
        onEvent: (e) => {
          if (!e.message.startsWith('step 2/')) return;
          // Argo CD syncs the route back to what Git holds: one backend, no split.
          fake.mutate(
            group as string,
            'v1',
            kind as string,
            namespace,
            'payments',
            (o) => {
              o.spec = structuredClone(git.spec);
            },
            'argocd-controller',
          );
        },
      });
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(
        /step 2: the route's weights were changed outside glidepath.*field manager "argocd-controller"/,
      );
      expect(report.steps.map((s) => s.result)[1]).toBe('failed');
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    });
  }

  it('gateway-api: a canary backend that stops resolving fails the step at once with the route status reason', async () => {
    const namespace = ns('gateway-api');
    seedUserObjects(fake, 'gateway-api', namespace);
    const report = await kubeRollout(fake, namespace, {
      config: rolloutConfig('gateway-api', namespace),
      clock,
    }).run({
      onEvent: (e) => {
        if (e.message.startsWith('step 1/')) fake.remove('', 'v1', 'Service', namespace, 'payments-canary');
      },
    });
    expect(report.outcome).not.toBe('promoted');
    expect(report.reason).toMatch(/ResolvedRefs False, BackendNotFound: Service .*payments-canary not found/);
    expect(report.steps).toHaveLength(1);
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
  });
});

describe.skipIf(!hasSharedFixtures)('a GitOps controller self-healing the route on its own timer', () => {
  const clock = new SteppedClock();
  let fake: FakeKube;
  beforeAll(async () => {
    fake = await startFakeKube({ now: () => new Date(clock.now()) });
  });
  afterAll(async () => {
    await fake.stop();
  });

  for (const provider of ['istio', 'gateway-api'] as const) {
    it(`${provider}: Argo CD's sync of the route back to Git aborts the step it lands in, names argocd-controller, and ends at 100 % primary`, async () => {
      const namespace = `selfheal-${provider}`;
      seedUserObjects(fake, provider, namespace);
      const git = provider === 'istio' ? virtualService(namespace) : httpRoute(namespace);
      // 90 s: after the route was split, inside the second 1-minute step.
      const heal = startSelfHeal(fake, clock, [git], { intervalMs: 90_000 });
      try {
        const report = await kubeRollout(fake, namespace, {
          config: rolloutConfig(provider, namespace),
          clock,
        }).run();
        expect(heal.healed[0]).toBe(`${git.kind} payments`);
        expect(report.outcome).toBe('rolled-back');
        expect(report.reason).toMatch(
          /step \d: the route's weights were changed outside glidepath.*field manager "argocd-controller"/,
        );
        expect(report.steps.at(-1)?.result).toBe('failed');
        expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      } finally {
        heal.stop();
      }
    });
  }
});
