import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { parseSmiWeight, SmiRouter, type SmiRouterOptions } from '../../src/mesh/smi.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { promote, rollBack } from './router-sequences.js';

const GROUP = 'split.smi-spec.io';

function service(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'payments', namespace },
    spec: { selector: { app: 'payments' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

function setupOn(kube: FakeKube, prefix: string) {
  let n = 0;
  return (options: SmiRouterOptions = {}, seed = true) => {
    n += 1;
    const namespace = `${prefix}-${n}`;
    if (seed) kube.seed(service(namespace));
    const router = (extra: SmiRouterOptions = {}) =>
      new SmiRouter(
        {
          target: { service: 'payments', namespace },
          kube: makeKubeClients(kube.kubeConfig),
          sleep: async () => {},
        },
        { ...options, ...extra },
      );
    const split = (version: string, name = 'payments') =>
      kube.get(GROUP, version, 'TrafficSplit', namespace, name) as
        | (KubeObject & {
            spec: { service: string; matches?: unknown[]; backends: { service: string; weight: unknown }[] };
          })
        | undefined;
    return { namespace, router, split };
  };
}

describe('SMI weights', () => {
  it('reads v1alpha1 quantities and later plain numbers', () => {
    expect(parseSmiWeight('500m')).toBe(0.5);
    expect(parseSmiWeight('25')).toBe(25);
    expect(parseSmiWeight(90)).toBe(90);
    expect(parseSmiWeight('1k')).toBe(1000);
    expect(parseSmiWeight('lots')).toBeNaN();
  });
});

describe.skipIf(!hasSharedFixtures)('smi router against the SMI project CRD (v1alpha4 served)', () => {
  let kube: FakeKube;
  let setup: ReturnType<typeof setupOn>;
  beforeAll(async () => {
    kube = await startFakeKube();
    setup = setupOn(kube, 'smi');
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('validates without writing and reports the Services and the TrafficSplit it would create', async () => {
    const { router } = setup();
    const before = kube.writeCount;
    const planned = await router().validate();
    expect(kube.writeCount).toBe(before);
    expect(
      planned.map((w) => `${w.verb} ${w.object.apiVersion} ${w.object.kind} ${w.object.metadata?.name}`),
    ).toEqual([
      'apply v1 Service payments-primary',
      'apply v1 Service payments-canary',
      'apply v1 Service payments',
      'create split.smi-spec.io/v1alpha4 TrafficSplit payments',
    ]);
  });

  it('names the Service when it is missing, and an apiVersion the cluster does not serve', async () => {
    const missing = setup({}, false);
    const error = await missing
      .router()
      .validate()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error)).toMatch(/Service smi-\d+\/payments to exist/);
    const { router } = setup({ apiVersion: 'split.smi-spec.io/v1alpha2' });
    await expect(router().validate()).rejects.toThrow(
      /serve split\.smi-spec\.io\/v1alpha2, but it serves split\.smi-spec\.io\/v1alpha4.*router\.apiVersion/,
    );
  });

  it('refuses a TrafficSplit that splits to other backends or another service', async () => {
    const { router, namespace } = setup();
    kube.seed({
      apiVersion: `${GROUP}/v1alpha4`,
      kind: 'TrafficSplit',
      metadata: { name: 'payments', namespace },
      spec: {
        service: 'payments',
        backends: [
          { service: 'payments-v1', weight: 90 },
          { service: 'payments-v2', weight: 10 },
        ],
      },
    });
    const before = kube.writeCount;
    await expect(router().validate()).rejects.toThrow(
      /TrafficSplit smi-\d+\/payments to have only the backends payments-primary and payments-canary, found also payments-v1, payments-v2/,
    );
    await expect(router({ trafficSplit: 'other' }).validate()).resolves.toHaveLength(4);
    expect(kube.writeCount).toBe(before);
  });

  it('promotes 5/10/25/50 then back to 100/0 with integer weights', async () => {
    const { router, split } = setup();
    await promote(router());
    expect(split('v1alpha4')?.spec).toEqual({
      service: 'payments',
      backends: [
        { service: 'payments-primary', weight: 100 },
        { service: 'payments-canary', weight: 0 },
      ],
    });
  });

  it('rolls back from 25 % to 100 % primary, keeping the user matches', async () => {
    const { router, namespace, split } = setup();
    const matches = [{ kind: 'HTTPRouteGroup', name: 'payments-api' }];
    kube.seed({
      apiVersion: `${GROUP}/v1alpha4`,
      kind: 'TrafficSplit',
      metadata: { name: 'payments', namespace, labels: { team: 'payments' } },
      spec: { service: 'payments', matches, backends: [{ service: 'payments-primary', weight: 100 }] },
    });
    expect((await rollBack(router())).map((w) => w.canary)).toEqual([5, 10, 25]);
    expect(split('v1alpha4')?.spec.matches).toEqual(matches);
    expect(split('v1alpha4')?.metadata.labels).toEqual({ team: 'payments' });
  });

  it('writes once for the same weights twice, and a new run reads the weights a crashed one left', async () => {
    const { router } = setup();
    await router().ensure();
    await router().setWeights({ primary: 75, canary: 25 });
    const before = kube.writeCount;
    await router().setWeights({ primary: 75, canary: 25 });
    await router().ensure();
    expect(kube.writeCount).toBe(before);
    expect(await router().validate()).toEqual([]);
    expect(await router().getWeights()).toEqual({ primary: 75, canary: 25 });
  });

  it('converges through a storm of conflicting writes', async () => {
    const { router } = setup();
    await router().ensure();
    const fault = kube.injectFault({ kind: 'conflict', verb: 'update', plural: 'trafficsplits', times: 3 });
    expect(await router().setWeights({ primary: 90, canary: 10 })).toEqual({ primary: 90, canary: 10 });
    expect(fault.hits).toBe(3);
  });

  it('resets to 100 % primary when ensure never ran, writing nothing', async () => {
    const { router } = setup();
    const before = kube.writeCount;
    expect(await router().reset()).toEqual({ primary: 100, canary: 0 });
    expect(await router().getWeights()).toBeUndefined();
    expect(kube.writeCount).toBe(before);
  });

  it('had every write accepted by the official CRD schemas', () => {
    expect(kube.writes.length).toBeGreaterThan(10);
    expect(kube.requests.filter((r) => r.code === 422)).toEqual([]);
  });
});

describe.skipIf(!hasSharedFixtures)(
  "smi router against Linkerd's SMI extension CRD (v1alpha1 and v1alpha2)",
  () => {
    let kube: FakeKube;
    let setup: ReturnType<typeof setupOn>;
    beforeAll(async () => {
      kube = await startFakeKube({ crdFiles: ['linkerd-smi-trafficsplit.crd.yaml'] });
      setup = setupOn(kube, 'linkerd');
    });
    afterAll(async () => {
      await kube.stop();
    });

    it('writes v1alpha1 weights as quantities and reads them back', async () => {
      const { router, split } = setup({ apiVersion: 'split.smi-spec.io/v1alpha1' });
      await promote(router());
      expect(split('v1alpha1')?.spec.backends).toEqual([
        { service: 'payments-primary', weight: '100' },
        { service: 'payments-canary', weight: '0' },
      ]);
    });

    it('reads weights another tool wrote as milli-quantities', async () => {
      const { router, namespace } = setup({ apiVersion: 'split.smi-spec.io/v1alpha1' });
      kube.seed({
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'TrafficSplit',
        metadata: { name: 'payments', namespace },
        spec: {
          service: 'payments',
          backends: [
            { service: 'payments-primary', weight: '900m' },
            { service: 'payments-canary', weight: '100m' },
          ],
        },
      });
      expect(await router().getWeights()).toEqual({ primary: 90, canary: 10 });
    });

    it('uses the version the server prefers when none is configured', async () => {
      const { router } = setup();
      const planned = await router().validate();
      expect(planned[3]?.object.apiVersion).toMatch(/^split\.smi-spec\.io\/v1alpha[12]$/);
      await rollBack(router());
    });

    it('had every write accepted by the Linkerd CRD schema', () => {
      expect(kube.requests.filter((r) => r.code === 422)).toEqual([]);
    });
  },
);
