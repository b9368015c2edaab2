import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { IstioRouter, type IstioRouterOptions } from '../../src/mesh/istio.js';
import { userService } from '../rollout/kube-fixture.js';
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

  /** A namespace of its own per test, seeded with the user's Service and VirtualService. */
  function setup(options: Partial<IstioRouterOptions> = {}, seed = true) {
    n += 1;
    const namespace = `istio-${n}`;
    kube.seed(userService(namespace));
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
    const svc = (name = 'payments') => kube.get('', 'v1', 'Service', namespace, name);
    return { namespace, router, vs, dr, svc };
  }

  it('validates a well-formed cluster without writing, and reports the Services, DestinationRules and route it would write', async () => {
    const { router } = setup();
    const before = kube.writeCount;
    const planned = await router().validate();
    expect(kube.writeCount).toBe(before);
    expect(planned.map((w) => `${w.verb} ${w.object.kind} ${w.object.metadata?.name}`)).toEqual([
      'apply Service payments-primary',
      'apply Service payments-canary',
      'create DestinationRule payments-primary',
      'create DestinationRule payments-canary',
      'apply Service payments',
      'update VirtualService payments',
    ]);
    const route = (planned[5] as { object: unknown }).object as { spec: { http: Route[] } };
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
    await expect(router({ route: 'fallback' }).validate()).resolves.toHaveLength(6);
  });

  it('says so when no route sends traffic to the service', async () => {
    const { router, namespace } = setup({}, false);
    const vs = virtualService(namespace);
    (vs.spec as { http: Route[] }).http.splice(1, 1);
    kube.seed(vs);
    await expect(router().validate()).rejects.toThrow(/with a destination host payments.*found none/);
  });

  it('promotes 5/10/25/50 then back to 100/0 through the track hosts, leaving every field the user wrote as it was', async () => {
    const { router, vs, dr, svc, namespace } = setup();
    const before = vs();
    await promote(router());
    const after = vs();
    expect(userFields(after)).toEqual(userFields(before));
    const route = ((after as KubeObject).spec as { http: Route[] }).http[1]?.route;
    // The user's FQDN spelling, with the track Service's name (Flagger routes to the same hosts).
    expect(route).toEqual([
      {
        destination: { host: `payments-primary.${namespace}.svc.cluster.local`, port: { number: 8080 } },
        headers: { response: { add: { 'x-served-by': 'payments' } } },
        weight: 100,
      },
      {
        destination: { host: `payments-canary.${namespace}.svc.cluster.local`, port: { number: 8080 } },
        headers: { response: { add: { 'x-served-by': 'payments' } } },
        weight: 0,
      },
    ]);
    expect((svc('payments-primary')?.spec as { selector?: unknown } | undefined)?.selector).toEqual({
      app: 'payments',
      'glidepath.dev/track': 'stable',
    });
    expect((svc('payments-canary')?.spec as { selector?: unknown } | undefined)?.selector).toEqual({
      app: 'payments',
      'glidepath.dev/track': 'canary',
    });
    // The plain Service selects stable pods only: traffic outside the route never reaches the canary.
    expect((svc()?.spec as { selector?: unknown } | undefined)?.selector).toEqual({
      app: 'payments',
      'glidepath.dev/track': 'stable',
    });
    expect((dr('payments-canary')?.spec as { host?: string } | undefined)?.host).toBe(
      `payments-canary.${namespace}.svc.cluster.local`,
    );
    expect(dr()).toBeUndefined();
  });

  it('makes before it breaks: the track Services and rules exist before the route names them', async () => {
    const { router, namespace } = setup();
    const from = kube.writeCount;
    await router().ensure();
    const order = kube.writes
      .slice(from)
      .filter((w) => w.namespace === namespace)
      .map((w) => `${w.kind} ${w.name}`);
    const routeAt = order.indexOf('VirtualService payments');
    expect(routeAt).toBe(order.length - 1);
    for (const needed of [
      'Service payments-primary',
      'Service payments-canary',
      'DestinationRule payments-primary',
      'DestinationRule payments-canary',
      'Service payments',
    ])
      expect(order.indexOf(needed), needed).toBeGreaterThanOrEqual(0);
  });

  it('rolls back from 25 % to 100 % primary', async () => {
    const { router, vs } = setup();
    const before = vs();
    const seen = await rollBack(router());
    expect(seen.map((w) => w.canary)).toEqual([5, 10, 25]);
    expect(userFields(vs())).toEqual(userFields(before));
  });

  it("copies the user's DestinationRule trafficPolicy to the track rules, leaves that rule alone, and follows a change", async () => {
    const { router, namespace, dr } = setup();
    const mine = {
      apiVersion: `${GROUP}/v1`,
      kind: 'DestinationRule',
      metadata: { name: 'payments-dr', namespace },
      spec: {
        host: 'payments',
        trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } }, tls: { mode: 'ISTIO_MUTUAL' } },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      },
    };
    kube.seed(structuredClone(mine));
    await router().ensure();
    expect(dr('payments-dr')?.spec).toEqual(mine.spec);
    for (const name of ['payments-primary', 'payments-canary']) {
      expect((dr(name)?.spec as Record<string, unknown> | undefined)?.trafficPolicy).toEqual(
        mine.spec.trafficPolicy,
      );
      expect(dr(name)?.metadata.annotations?.['glidepath.dev/copied-from']).toBe(`${namespace}/payments-dr`);
    }
    kube.mutate(GROUP, 'v1', 'DestinationRule', namespace, 'payments-dr', (o) => {
      (o.spec as Record<string, unknown>).trafficPolicy = { tls: { mode: 'DISABLE' } };
    });
    expect((await router().validate()).map((w) => `${w.verb} ${w.object.metadata?.name}`)).toEqual([
      'update payments-primary',
      'update payments-canary',
    ]);
    await router().ensure();
    expect((dr('payments-canary')?.spec as Record<string, unknown> | undefined)?.trafficPolicy).toEqual({
      tls: { mode: 'DISABLE' },
    });
  });

  it('refuses a route whose one destination names a subset, before any write', async () => {
    const { router, namespace } = setup({}, false);
    const vs = virtualService(namespace);
    const main = (vs.spec as { http: Route[] }).http[1] as Route;
    (main.route as { destination: Record<string, unknown> }[])[0]!.destination.subset = 'v1';
    kube.seed(vs);
    const before = kube.writeCount;
    await expect(router().validate()).rejects.toThrow(/subset "v1".*payments-primary\/payments-canary/);
    expect(kube.writeCount).toBe(before);
  });

  it('refuses a named DestinationRule that does not exist, naming the field', async () => {
    const { router } = setup({ destinationRule: 'mine' });
    await expect(router().validate()).rejects.toThrow(
      /DestinationRule istio-\d+\/mine.*router\.destinationRule/,
    );
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
