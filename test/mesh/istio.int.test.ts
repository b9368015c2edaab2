import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { IstioRouter, type IstioRouterOptions } from '../../src/mesh/istio.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { promote, rollBack } from './router-sequences.js';

const GROUP = 'networking.istio.io';

function virtualService(namespace: string): KubeObject {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'VirtualService',
    metadata: { name: 'payments', namespace },
    spec: {
      hosts: ['payments.example.com', 'payments'],
      gateways: ['mesh', 'shop/public'],
      http: [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'admin', port: { number: 80 } } }],
        },
        {
          name: 'main',
          match: [{ uri: { prefix: '/' } }, { headers: { 'x-beta': { exact: '1' } } }],
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' },
          timeout: '10s',
          headers: { request: { set: { 'x-env': 'prod' } } },
          mirror: { host: 'payments-shadow' },
          mirrorPercentage: { value: 5 },
          route: [
            {
              destination: { host: `payments.${namespace}.svc.cluster.local`, port: { number: 8080 } },
              headers: { response: { add: { 'x-served-by': 'payments' } } },
            },
          ],
        },
      ],
      tcp: [{ route: [{ destination: { host: 'payments-db', port: { number: 5432 } } }] }],
    },
  };
}

interface Route {
  name?: string;
  route?: unknown[];
  [field: string]: unknown;
}

/** The VirtualService's spec without what glidepath owns: the chosen route's destinations. */
function userFields(vs: KubeObject | undefined, routeName = 'main'): unknown {
  const spec = structuredClone(vs?.spec) as { http: Route[] };
  for (const r of spec.http) if (r.name === routeName) delete r.route;
  return spec;
}

describe.skipIf(!hasSharedFixtures)('istio router against the fake API server', () => {
  let kube: FakeKube;
  let n = 0;
  beforeAll(async () => {
    kube = await startFakeKube();
  });
  afterAll(async () => {
    await kube.stop();
  });

  /** A namespace of its own per test, seeded with the user's VirtualService. */
  function setup(options: Partial<IstioRouterOptions> = {}, seed = true) {
    n += 1;
    const namespace = `istio-${n}`;
    if (seed) kube.seed(virtualService(namespace));
    const router = (extra: Partial<IstioRouterOptions> = {}) =>
      new IstioRouter(
        {
          target: { service: 'payments', namespace },
          kube: makeKubeClients(kube.kubeConfig),
          sleep: async () => {},
        },
        { virtualService: 'payments', ...options, ...extra },
      );
    const vs = () => kube.get(GROUP, 'v1', 'VirtualService', namespace, 'payments');
    const dr = (name = 'payments') => kube.get(GROUP, 'v1', 'DestinationRule', namespace, name);
    return { namespace, router, vs, dr };
  }

  it('validates a well-formed cluster without writing, and reports the DestinationRule and route it would write', async () => {
    const { router } = setup();
    const before = kube.writeCount;
    const planned = await router().validate();
    expect(kube.writeCount).toBe(before);
    expect(planned.map((w) => `${w.verb} ${w.object.kind} ${w.object.metadata?.name}`)).toEqual([
      'create DestinationRule payments',
      'update VirtualService payments',
    ]);
    const route = (planned[1] as { object: unknown }).object as { spec: { http: Route[] } };
    const chosen = route.spec.http[1];
    expect(chosen?.route).toHaveLength(2);
  });

  it('names the VirtualService and the fix when it is missing', async () => {
    const { router } = setup({}, false);
    const before = kube.writeCount;
    const error = await router()
      .validate()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error)).toMatch(/VirtualService istio-\d+\/payments.*found none.*router\.virtualService/);
    expect(kube.writeCount).toBe(before);
  });

  it('refuses a route name that does not exist, naming the routes there are', async () => {
    const { router } = setup({ route: 'api' });
    await expect(router().validate()).rejects.toThrow(
      /http route named "api".*"admin", "main".*router\.route/,
    );
  });

  it('refuses to guess between two routes to the service and asks for router.route', async () => {
    const { router, namespace } = setup({}, false);
    const vs = virtualService(namespace);
    const spec = vs.spec as { http: Route[] };
    spec.http.push({ name: 'fallback', route: [{ destination: { host: 'payments' } }] });
    kube.seed(vs);
    const before = kube.writeCount;
    await expect(router().validate()).rejects.toThrow(/found 2 \("main", "fallback"\).*router\.route/);
    expect(kube.writeCount).toBe(before);
    // Naming the route settles it.
    await expect(router({ route: 'fallback' }).validate()).resolves.toHaveLength(2);
  });

  it('says so when no route sends traffic to the service', async () => {
    const { router, namespace } = setup({}, false);
    const vs = virtualService(namespace);
    (vs.spec as { http: Route[] }).http.splice(1, 1);
    kube.seed(vs);
    await expect(router().validate()).rejects.toThrow(/with a destination host payments.*found none/);
  });

  it('promotes 5/10/25/50 then back to 100/0, leaving every field the user wrote as it was', async () => {
    const { router, vs, dr } = setup();
    const before = vs();
    await promote(router());
    const after = vs();
    expect(userFields(after)).toEqual(userFields(before));
    const route = ((after as KubeObject).spec as { http: Route[] }).http[1]?.route;
    expect(route).toEqual([
      {
        destination: {
          host: expect.stringMatching(/^payments\./),
          port: { number: 8080 },
          subset: 'primary',
        },
        headers: { response: { add: { 'x-served-by': 'payments' } } },
        weight: 100,
      },
      {
        destination: { host: expect.stringMatching(/^payments\./), port: { number: 8080 }, subset: 'canary' },
        headers: { response: { add: { 'x-served-by': 'payments' } } },
        weight: 0,
      },
    ]);
    expect(((dr() as KubeObject).spec as { subsets: unknown[] }).subsets).toEqual([
      { name: 'primary', labels: { 'glidepath.dev/track': 'stable' } },
      { name: 'canary', labels: { 'glidepath.dev/track': 'canary' } },
    ]);
  });

  it('rolls back from 25 % to 100 % primary', async () => {
    const { router, vs } = setup();
    const before = vs();
    const seen = await rollBack(router());
    expect(seen.map((w) => w.canary)).toEqual([5, 10, 25]);
    expect(userFields(vs())).toEqual(userFields(before));
  });

  it('completes a DestinationRule the user already has, keeping its trafficPolicy and subsets', async () => {
    const { router, namespace, dr } = setup();
    kube.seed({
      apiVersion: `${GROUP}/v1`,
      kind: 'DestinationRule',
      metadata: { name: 'payments-dr', namespace },
      spec: {
        host: 'payments',
        trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } }, tls: { mode: 'ISTIO_MUTUAL' } },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      },
    });
    await router().ensure();
    const stored = dr('payments-dr')?.spec as Record<string, unknown>;
    expect(stored.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 100 } },
      tls: { mode: 'ISTIO_MUTUAL' },
    });
    expect((stored.subsets as { name: string }[]).map((s) => s.name)).toEqual(['v1', 'primary', 'canary']);
    expect(dr('payments')).toBeUndefined();
  });

  it('refuses a subset named primary that selects other pods', async () => {
    const { router, namespace } = setup({ destinationRule: 'mine' });
    kube.seed({
      apiVersion: `${GROUP}/v1`,
      kind: 'DestinationRule',
      metadata: { name: 'mine', namespace },
      spec: { host: 'payments', subsets: [{ name: 'primary', labels: { version: 'v1' } }] },
    });
    await expect(router().validate()).rejects.toThrow(/subset "primary".*glidepath\.dev\/track: stable/);
  });

  it('writes once for the same weights twice, and a new run reads the weights a crashed one left', async () => {
    const { router } = setup();
    await router().ensure();
    await router().setWeights({ primary: 75, canary: 25 });
    const before = kube.writeCount;
    await router().setWeights({ primary: 75, canary: 25 });
    expect(kube.writeCount).toBe(before);
    await router().ensure();
    expect(kube.writeCount).toBe(before);
    expect(await router().validate()).toEqual([]);
    expect(await router().getWeights()).toEqual({ primary: 75, canary: 25 });
  });

  it('converges through a storm of conflicting writes', async () => {
    const { router } = setup();
    await router().ensure();
    const fault = kube.injectFault({ kind: 'conflict', verb: 'update', plural: 'virtualservices', times: 3 });
    expect(await router().setWeights({ primary: 90, canary: 10 })).toEqual({ primary: 90, canary: 10 });
    expect(fault.hits).toBe(3);
  });

  it('resets to 100 % primary when ensure never ran, writing nothing', async () => {
    const { router } = setup();
    const before = kube.writeCount;
    expect(await router().reset()).toEqual({ primary: 100, canary: 0 });
    expect(await router().getWeights()).toBeUndefined();
    expect(kube.writeCount).toBe(before);
    const missing = setup({}, false);
    expect(await missing.router().reset()).toEqual({ primary: 100, canary: 0 });
  });

  it('had every write accepted by the official CRD schemas (no 422 all file long)', () => {
    expect(kube.writes.length).toBeGreaterThan(10);
    expect(kube.requests.filter((r) => r.code === 422)).toEqual([]);
  });

  it('refuses weights that do not sum to 100', async () => {
    const { router } = setup();
    await router().ensure();
    await expect(router().setWeights({ primary: 60, canary: 30 })).rejects.toThrow(/sum to 100/);
  });
});
