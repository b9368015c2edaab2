import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigurationError } from '../../src/config/errors.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { runJanitor } from '../../src/rollout/janitor.js';
import { VirtualClock } from '../../src/simulation/memory.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  kubeRollout,
  type MeshProvider,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
  userDeployment,
} from './kube-fixture.js';

/** What the HPA controller's metrics ask for, per HPA name; changed by the tests as load would. */
const desired = new Map<string, number>();

function manifestText(...objects: KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

function hpa(
  namespace: string,
  name: string,
  target: string,
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  };
}

/** A Helm chart with autoscaling on: no `spec.replicas` in the rendered Deployment. */
function withoutReplicas(d: KubeObject): KubeObject {
  const copy = structuredClone(d) as KubeObject & { spec: Record<string, unknown> };
  delete copy.spec.replicas;
  return copy;
}

type Deployed = KubeObject & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      spec: {
        containers: Array<{
          name: string;
          image: string;
          envFrom?: Array<{ configMapRef?: { name: string } }>;
        }>;
      };
    };
  };
};

describe.skipIf(!hasSharedFixtures)('the primary and canary Deployments on a real-like cluster', () => {
  let fake: FakeKube;
  let n = 0;
  const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
  beforeAll(async () => {
    fake = await startFakeKube({
      now: () => new Date(clock.now()),
      autoscaler: { desiredReplicas: ({ name, current }) => desired.get(name) ?? current },
    });
  });
  afterAll(async () => {
    await fake.stop();
  });

  function namespace(provider: MeshProvider = 'gateway-api'): string {
    n += 1;
    return `wl-${provider}-${n}`;
  }

  function scaleWrites(ns: string, name: string) {
    return fake.writes.filter((w) => w.kind === 'Deployment' && w.namespace === ns && w.name === name);
  }

  it('gives the primary its own HPA and never resets its replicas at promotion, even when the HPA moves them mid-rollout', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    fake.mutate('apps', 'v1', 'Deployment', ns, 'payments', (d) => {
      (d.spec as { replicas: number }).replicas = 5;
    });
    fake.seed(hpa(ns, 'payments', 'payments'));
    desired.set('payments-primary', 5);
    const rollout = kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest: withoutReplicas(userDeployment(ns)),
      clock,
    });
    const run = rollout.run({
      onEvent: (e) => {
        // Load rises during the rollout: the primary's HPA scales it to 7.
        if (e.message.startsWith('step 2/')) desired.set('payments-primary', 7);
      },
    });
    const report = await run;
    expect(report.outcome, report.reason).toBe('promoted');

    const copy = fake.get(
      'autoscaling',
      'v2',
      'HorizontalPodAutoscaler',
      ns,
      'payments-primary',
    ) as KubeObject & {
      spec: { scaleTargetRef: { name: string }; minReplicas: number; maxReplicas: number };
    };
    expect(copy?.spec.scaleTargetRef.name).toBe('payments-primary');
    expect([copy.spec.minReplicas, copy.spec.maxReplicas]).toEqual([2, 10]);
    // The promotion's apply leaves replicas to their owner (the HPA): 7, never 1.
    expect(deployment(fake, ns, 'payments-primary')?.spec.replicas).toBe(7);
    const primary = fake.get('apps', 'v1', 'Deployment', ns, 'payments-primary');
    const owners = (primary?.metadata.managedFields ?? []).filter((e) =>
      JSON.stringify(e.fieldsV1).includes('"f:replicas"'),
    );
    expect(owners.map((e) => `${e.manager}/${e.subresource ?? ''}`)).toEqual([
      'kube-controller-manager/scale',
    ]);
    expect(deployment(fake, ns, 'payments')?.spec.replicas).toBe(0);
  });

  it('sizes the canary with its weight (at least 1 pod), not as large as the primary', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const manifest = userDeployment(ns);
    (manifest.spec as { replicas: number }).replicas = 6;
    fake.mutate('apps', 'v1', 'Deployment', ns, 'payments', (d) => {
      (d.spec as { replicas: number }).replicas = 6;
    });
    const rollout = kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), manifest, clock });
    const sizes: number[] = [];
    const report = await rollout.run({
      onEvent: (e) => {
        if (/^step \d+\//.test(e.message))
          sizes.push(deployment(fake, ns, 'payments-canary')?.spec.replicas ?? -1);
      },
    });
    expect(report.outcome, report.reason).toBe('promoted');
    // Steps 10, 25, 50 % of 6 primary pods: ceil(0.6), ceil(1.5), ceil(3).
    expect(sizes).toEqual([1, 2, 3]);
    expect(deployment(fake, ns, 'payments-primary')?.spec.replicas).toBe(6);
  });

  it('runs a fixed number of canary pods when canaryReplicas is a count', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const rollout = kubeRollout(fake, ns, {
      config: { ...rolloutConfig('gateway-api', ns), canaryReplicas: 2, steps: [50] },
      clock,
    });
    let size = -1;
    const report = await rollout.run({
      onEvent: (e) => {
        if (e.message.startsWith('step 1/'))
          size = deployment(fake, ns, 'payments-canary')?.spec.replicas ?? -1;
      },
    });
    expect(report.outcome, report.reason).toBe('promoted');
    expect(size).toBe(2);
  });

  it('copies no GitOps tracking metadata onto the objects it creates, only allow-listed labels', async () => {
    const ns = namespace();
    const gitops = {
      'app.kubernetes.io/instance': 'payments-prod',
      'kustomize.toolkit.fluxcd.io/name': 'apps',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      'helm.toolkit.fluxcd.io/name': 'payments',
      'app.kubernetes.io/managed-by': 'Helm',
      'helm.sh/chart': 'payments-1.2.3',
    };
    const kept = { app: 'payments', 'app.kubernetes.io/name': 'payments', team: 'pay' };
    seedUserObjects(fake, 'gateway-api', ns);
    for (const kind of ['Deployment', 'Service']) {
      fake.mutate(kind === 'Service' ? '' : 'apps', 'v1', kind, ns, 'payments', (o) => {
        o.metadata.labels = { ...o.metadata.labels, ...gitops, ...kept };
      });
    }
    fake.seed(hpa(ns, 'payments', 'payments', { ...gitops, ...kept }));
    const manifest = userDeployment(ns);
    manifest.metadata.labels = { ...gitops, ...kept };
    const report = await kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest,
      clock,
    }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const created = [
      fake.get('apps', 'v1', 'Deployment', ns, 'payments-primary'),
      fake.get('apps', 'v1', 'Deployment', ns, 'payments-canary'),
      fake.get('', 'v1', 'Service', ns, 'payments-primary'),
      fake.get('', 'v1', 'Service', ns, 'payments-canary'),
      fake.get('autoscaling', 'v2', 'HorizontalPodAutoscaler', ns, 'payments-primary'),
    ];
    for (const object of created) {
      expect(object, 'created').toBeDefined();
      const labels = object?.metadata.labels ?? {};
      expect(labels, `${object?.kind} ${object?.metadata.name}`).toMatchObject({
        ...kept,
        'app.kubernetes.io/managed-by': 'glidepath',
      });
      for (const key of Object.keys(gitops).filter((k) => k !== 'app.kubernetes.io/managed-by'))
        expect(labels, `${object?.kind} ${object?.metadata.name}`).not.toHaveProperty([key]);
      expect(
        Object.keys(object?.metadata.annotations ?? {}).some((k) => k.startsWith('argocd.argoproj.io/')),
      ).toBe(false);
    }
  });

  it('puts the new image on the container named like the service, never the sidecar listed first', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const manifest = userDeployment(ns) as Deployed;
    manifest.spec.template.spec.containers.unshift({
      name: 'log-shipper',
      image: 'registry.example/shipper:1',
    });
    const report = await kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest,
      clock,
    }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const containers = (deployment(fake, ns, 'payments-primary') as Deployed).spec.template.spec.containers;
    expect(Object.fromEntries(containers.map((c) => [c.name, c.image]))).toEqual({
      'log-shipper': 'registry.example/shipper:1',
      payments: NEW_IMAGE,
    });
  });

  it('uses the container named in the config, and without one refuses a pod with several containers, listing them', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const manifest = userDeployment(ns) as Deployed;
    manifest.spec.template.spec.containers = [
      { name: 'istio-proxy', image: 'registry.example/proxy:1' },
      { name: 'app', image: OLD_IMAGE },
    ];
    const writes = fake.writeCount;
    let error: unknown;
    try {
      await kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), manifest, clock }).run();
    } catch (e: unknown) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems[0]?.message).toMatch(
      /2 containers \("istio-proxy", "app"\).*set container/,
    );
    expect(fake.writeCount).toBe(writes);

    const report = await kubeRollout(fake, ns, {
      config: { ...rolloutConfig('gateway-api', ns), container: 'app' },
      manifest,
      clock,
    }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const containers = (deployment(fake, ns, 'payments-primary') as Deployed).spec.template.spec.containers;
    expect(containers.map((c) => c.image)).toEqual(['registry.example/proxy:1', NEW_IMAGE]);
  });

  it('refuses a selector change against the live primary before any write (the API would refuse it mid-rollout)', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    expect(
      (await kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), clock }).run()).outcome,
    ).toBe('promoted');
    const manifest = userDeployment(ns) as Deployed & {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    manifest.spec.selector.matchLabels = { app: 'payments', tier: 'web' };
    manifest.spec.template.metadata.labels = { app: 'payments', tier: 'web' };
    const writes = fake.writeCount;
    const rollout = kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), manifest, clock });
    await expect(rollout.run()).rejects.toThrow(/selector cannot change/);
    expect(fake.writeCount).toBe(writes);
  });

  it('refuses a service name whose -primary Service would exceed 63 characters, before any write', async () => {
    const long = `p${'a'.repeat(55)}`;
    const ns = namespace();
    const d = userDeployment(ns);
    d.metadata.name = long;
    fake.seed(d);
    fake.seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: long, namespace: ns },
      spec: { selector: { app: 'payments' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    fake.seed({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'payments', namespace: ns },
      spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: long, port: 80 }] }] },
    });
    const writes = fake.writeCount;
    // Caught by the config schema, with the file and line, before the router's own check.
    await expect(
      (async () =>
        kubeRollout(fake, ns, {
          config: { ...rolloutConfig('gateway-api', ns), service: long },
          manifest: d,
          clock,
        }).run())(),
    ).rejects.toThrow(
      /rollout\.yaml:\d+:\d+: service: must be at most 55 characters.*<service>-primary.*at most 63/,
    );
    expect(fake.writeCount).toBe(writes);
  });

  it('re-checks every bootstrap step: a user Deployment left serving by a failed scale-down is scaled down, through /scale', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    expect(
      (await kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), clock }).run()).outcome,
    ).toBe('promoted');
    // As if the scale-down had failed (or Helm re-applied replicas: 3).
    fake.mutate('apps', 'v1', 'Deployment', ns, 'payments', (d) => {
      (d.spec as { replicas: number }).replicas = 3;
    });
    const before = fake.writeCount;
    const report = await kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), clock }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    expect(deployment(fake, ns, 'payments')?.spec.replicas).toBe(0);
    const userWrites = fake.writes
      .slice(before)
      .filter((w) => w.kind === 'Deployment' && w.name === 'payments');
    expect(userWrites.map((w) => `${w.verb}/${w.subresource ?? ''}`)).toEqual(['update/scale']);
    // Every replica change glidepath made went through /scale.
    const replicaWrites = fake.writes
      .slice(before)
      .filter((w) => w.kind === 'Deployment' && w.fieldManager === 'glidepath' && w.patchType !== 'apply');
    expect(replicaWrites.every((w) => w.subresource === 'scale')).toBe(true);
  });

  it('waits scaleDownDelay (30 s by default) after traffic moved back before scaling the canary down', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const before = fake.writeCount;
    const report = await kubeRollout(fake, ns, { config: rolloutConfig('gateway-api', ns), clock }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const writes = fake.writes.slice(before);
    const lastRouteWrite = writes.filter((w) => w.kind === 'HTTPRoute').at(-1);
    const canaryDown = scaleWrites(ns, 'payments-canary').at(-1);
    expect(deployment(fake, ns, 'payments-canary')?.spec.replicas).toBe(0);
    expect(
      Date.parse(canaryDown?.time ?? '') - Date.parse(lastRouteWrite?.time ?? ''),
    ).toBeGreaterThanOrEqual(30_000);

    const ns2 = namespace();
    seedUserObjects(fake, 'gateway-api', ns2);
    const from = fake.writeCount;
    const rolledBack = await kubeRollout(fake, ns2, {
      config: { ...rolloutConfig('gateway-api', ns2), scaleDownDelay: '40s' },
      canaryErrorRate: 0.3,
      clock,
    }).run();
    expect(rolledBack.outcome).toBe('rolled-back');
    const rollback = fake.writes.slice(from);
    const reset = rollback.filter((w) => w.kind === 'HTTPRoute').at(-1);
    const down = rollback.filter((w) => w.kind === 'Deployment' && w.name === 'payments-canary').at(-1);
    expect(down?.subresource).toBe('scale');
    expect(Date.parse(down?.time ?? '') - Date.parse(reset?.time ?? '')).toBeGreaterThanOrEqual(40_000);
  });

  it('leaves the canary scaled up, recorded rolling-back, when scaleDownDelay does not fit the cleanup budget; the janitor scales it down', async () => {
    const ns = namespace();
    seedUserObjects(fake, 'gateway-api', ns);
    const rollout = kubeRollout(fake, ns, {
      // Longer than the 60 s cleanup budget of a rollback.
      config: { ...rolloutConfig('gateway-api', ns), scaleDownDelay: '2m' },
      canaryErrorRate: 0.3,
      clock,
    });
    const started = clock.now();
    const report = await rollout.run();
    expect(report.outcome).toBe('rolled-back');
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(report.reason).toMatch(
      /payments-canary could not be scaled to 0 \(the next post step, janitor or run finishes it\)/,
    );
    expect(
      report.decisions.some((d) =>
        /payments-canary is left scaled up: the rest of its scaleDownDelay \(120 s\) does not fit the \d+ s of cleanup time left/.test(
          d.reason,
        ),
      ),
    ).toBe(true);
    // Not overrun: the run did not sit out the 2 minutes.
    expect(Date.parse(report.endedAt ?? '') - started).toBeLessThan(120_000 + 60_000);
    expect(deployment(fake, ns, 'payments-canary')?.spec.replicas).toBeGreaterThan(0);
    const lease = () => fake.get('coordination.k8s.io', 'v1', 'Lease', ns, 'glidepath-payments');
    expect(lease()?.metadata.annotations?.['glidepath.dev/phase']).toBe('rolling-back');
    const findings = await runJanitor(makeKubeClients(fake.kubeConfig), ns, {
      now: () => clock.now(),
      sleep: async () => {},
    });
    expect(findings.map((f) => f.action)).toEqual(['restored']);
    expect(deployment(fake, ns, 'payments-canary')?.spec.replicas).toBe(0);
    // The janitor scales through /scale, as every other replica change.
    const last = fake.writes.filter((w) => w.namespace === ns && w.name === 'payments-canary').at(-1);
    expect(last?.subresource).toBe('scale');
  });
});

describe.skipIf(!hasSharedFixtures)('ConfigMaps and Secrets go through the canary', () => {
  let fake: FakeKube;
  const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube({ now: () => new Date(clock.now()), readiness: { afterPolls: 1 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  function configMap(ns: string, name: string, data: Record<string, string>): KubeObject {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
  }

  function referencing(ns: string, configMapName: string): Deployed {
    const d = userDeployment(ns) as Deployed;
    (d.spec.template.spec.containers[0] as { envFrom?: unknown }).envFrom = [
      { configMapRef: { name: configMapName } },
    ];
    return d;
  }

  it('a hash-suffixed ConfigMap that exists only in the manifest reaches the canary and then the primary', async () => {
    n += 1;
    const ns = `cfg-${n}`;
    seedUserObjects(fake, 'gateway-api', ns);
    const name = 'payments-config-5f6g7h8k2m';
    const manifest = manifestText(referencing(ns, name), configMap(ns, name, { MODE: 'new' }));
    const report = await kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest,
      clock,
    }).run();
    expect(report.outcome, report.reason).toBe('promoted');
    const refOf = (d: string) =>
      (deployment(fake, ns, d) as Deployed).spec.template.spec.containers[0]?.envFrom?.[0]?.configMapRef
        ?.name;
    expect(refOf('payments-canary')).toBe(`${name}-canary`);
    expect(refOf('payments-primary')).toBe(`${name}-primary`);
    expect(fake.get('', 'v1', 'ConfigMap', ns, `${name}-primary`)?.data).toEqual({ MODE: 'new' });
  });

  it('a fixed-name ConfigMap changed in the manifest changes the canary first and the primary only at promotion', async () => {
    n += 1;
    const ns = `cfg-${n}`;
    seedUserObjects(fake, 'gateway-api', ns);
    fake.seed(configMap(ns, 'payments-config', { MODE: 'old' }));
    const manifest = manifestText(
      referencing(ns, 'payments-config'),
      configMap(ns, 'payments-config', { MODE: 'new' }),
    );
    const seen: Record<string, unknown> = {};
    const report = await kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest,
      clock,
    }).run({
      onEvent: (e) => {
        if (!e.message.startsWith('step 1/')) return;
        seen.canary = fake.get('', 'v1', 'ConfigMap', ns, 'payments-config-canary')?.data;
        seen.live = fake.get('', 'v1', 'ConfigMap', ns, 'payments-config')?.data;
        seen.primaryPods = (
          deployment(fake, ns, 'payments-primary') as Deployed | undefined
        )?.spec.template.spec.containers[0]?.envFrom;
      },
    });
    expect(report.outcome, report.reason).toBe('promoted');
    expect(seen.canary).toEqual({ MODE: 'new' });
    // The primary and the user's ConfigMap are untouched while the canary is judged.
    expect(seen.live).toEqual({ MODE: 'old' });
    expect(seen.primaryPods).toBeUndefined();
    expect(fake.get('', 'v1', 'ConfigMap', ns, 'payments-config-primary')?.data).toEqual({ MODE: 'new' });
  });

  it('refuses a reference that neither the manifest nor the cluster provides, before any write', async () => {
    n += 1;
    const ns = `cfg-${n}`;
    seedUserObjects(fake, 'gateway-api', ns);
    const writes = fake.writeCount;
    const rollout = kubeRollout(fake, ns, {
      config: rolloutConfig('gateway-api', ns),
      manifest: referencing(ns, 'payments-settings'),
      clock,
    });
    await expect(rollout.run()).rejects.toThrow(
      /ConfigMap payments-settings, which neither the manifest holds/,
    );
    expect(fake.writeCount).toBe(writes);
  });
});
