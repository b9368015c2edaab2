import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { GatewayApiRouter, type GatewayApiRouterOptions } from '../../src/mesh/gateway-api.js';
import { simulatedTime } from '../kube/simulated-time.js';
import {
  type FakeKube,
  type GatewayApiOptions,
  type KubeObject,
  startFakeKube,
} from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { promote, rollBack } from './router-sequences.js';

const GROUP = 'gateway.networking.k8s.io';

function service(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'payments', namespace, labels: { app: 'payments' } },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'payments' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'grpc', port: 9090, targetPort: 'grpc', appProtocol: 'kubernetes.io/h2c' },
      ],
    },
  };
}

function httpRoute(namespace: string): KubeObject {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name: 'payments', namespace },
    spec: {
      parentRefs: [{ name: 'public', namespace: 'infra', sectionName: 'https' }],
      hostnames: ['payments.example.com'],
      rules: [
        {
          name: 'admin',
          matches: [{ path: { type: 'PathPrefix', value: '/admin' } }],
          backendRefs: [{ name: 'admin', port: 80 }],
        },
        {
          name: 'main',
          matches: [
            { path: { type: 'PathPrefix', value: '/' } },
            { headers: [{ name: 'x-beta', value: '1' }] },
          ],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { set: [{ name: 'x-env', value: 'prod' }] },
            },
          ],
          timeouts: { request: '10s' },
          backendRefs: [
            {
              name: 'payments',
              port: 80,
              filters: [
                {
                  type: 'ResponseHeaderModifier',
                  responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'payments' }] },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

interface Rule {
  name?: string;
  backendRefs?: unknown[];
  [field: string]: unknown;
}

function userFields(route: KubeObject | undefined, ruleName = 'main'): unknown {
  const spec = structuredClone(route?.spec) as { rules: Rule[] };
  for (const r of spec.rules) if (r.name === ruleName) delete r.backendRefs;
  return spec;
}

async function withFake(options: GatewayApiOptions, body: (kube: FakeKube) => Promise<void>): Promise<void> {
  const kube = await startFakeKube({ gatewayApi: options });
  try {
    await body(kube);
  } finally {
    await kube.stop();
  }
}

describe.skipIf(!hasSharedFixtures)('gateway-api router against the fake API server', () => {
  let kube: FakeKube;
  let n = 0;
  beforeAll(async () => {
    // The gateway controller answers only after the route has been read twice: the router must wait.
    kube = await startFakeKube({ gatewayApi: { afterPolls: 2 } });
  });
  afterAll(async () => {
    await kube.stop();
  });

  function setup(on: FakeKube, options: Partial<GatewayApiRouterOptions> = {}, seed = true) {
    n += 1;
    const namespace = `gw-${n}`;
    if (seed) {
      on.seed(service(namespace));
      on.seed(httpRoute(namespace));
    }
    const time = simulatedTime();
    const router = (extra: Partial<GatewayApiRouterOptions> = {}) =>
      new GatewayApiRouter(
        {
          target: { service: 'payments', namespace },
          kube: makeKubeClients(on.kubeConfig),
          sleep: time.sleep,
          now: time.nowMs,
        },
        { httpRoute: 'payments', ...options, ...extra },
      );
    const route = () => on.get(GROUP, 'v1', 'HTTPRoute', namespace, 'payments');
    const svc = (name: string) => on.get('', 'v1', 'Service', namespace, name);
    return { namespace, router, route, svc, time };
  }

  it('validates a well-formed cluster without writing, and reports the Services and route it would write', async () => {
    const { router } = setup(kube);
    const before = kube.writeCount;
    const planned = await router().validate();
    expect(kube.writeCount).toBe(before);
    expect(planned.map((w) => `${w.verb} ${w.object.kind} ${w.object.metadata?.name}`)).toEqual([
      'apply Service payments-primary',
      'apply Service payments-canary',
      'apply Service payments',
      'update HTTPRoute payments',
    ]);
  });

  it('names the HTTPRoute and the fix when it is missing', async () => {
    const { router, namespace } = setup(kube, {}, false);
    kube.seed(service(namespace));
    const before = kube.writeCount;
    const error = await router()
      .validate()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error)).toMatch(/HTTPRoute gw-\d+\/payments.*found none.*router\.httpRoute/);
    expect(kube.writeCount).toBe(before);
  });

  it('refuses to guess between two rules to the service, and names a missing rule', async () => {
    const { router, namespace } = setup(kube, {}, false);
    kube.seed(service(namespace));
    const route = httpRoute(namespace);
    (route.spec as { rules: Rule[] }).rules.push({ backendRefs: [{ name: 'payments', port: 80 }] });
    kube.seed(route);
    await expect(router().validate()).rejects.toThrow(/found 2 \("main", #2\).*router\.rule/);
    await expect(router({ rule: 'api' }).validate()).rejects.toThrow(/rule named "api".*"admin", "main", #2/);
    await expect(router({ rule: 'main' }).validate()).resolves.toHaveLength(4);
  });

  it('names the Service when the user has none to copy', async () => {
    const { router, namespace } = setup(kube, {}, false);
    kube.seed(httpRoute(namespace));
    await expect(router().validate()).rejects.toThrow(/Service gw-\d+\/payments to exist.*payments-primary/);
  });

  it('promotes 5/10/25/50 then back to 100/0, leaving matches, filters and other rules as they were', async () => {
    const { router, route, svc } = setup(kube);
    const before = route();
    await promote(router());
    expect(userFields(route())).toEqual(userFields(before));
    const refs = ((route() as KubeObject).spec as { rules: Rule[] }).rules[1]?.backendRefs;
    const filters = [
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'payments' }] },
      },
    ];
    expect(refs).toEqual([
      expect.objectContaining({ name: 'payments-primary', port: 80, weight: 100, filters }),
      expect.objectContaining({ name: 'payments-canary', port: 80, weight: 0, filters }),
    ]);
    const primary = svc('payments-primary')?.spec as Record<string, unknown>;
    expect(primary.selector).toEqual({ app: 'payments', 'glidepath.dev/track': 'stable' });
    expect(primary.type).toBe('ClusterIP');
    expect(primary.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }),
      expect.objectContaining({
        name: 'grpc',
        port: 9090,
        targetPort: 'grpc',
        appProtocol: 'kubernetes.io/h2c',
      }),
    ]);
    expect(((svc('payments-canary') as KubeObject).spec as Record<string, unknown>).selector).toEqual({
      app: 'payments',
      'glidepath.dev/track': 'canary',
    });
  });

  it('rolls back from 25 % to 100 % primary', async () => {
    const { router, route } = setup(kube);
    const before = route();
    expect((await rollBack(router())).map((w) => w.canary)).toEqual([5, 10, 25]);
    expect(userFields(route())).toEqual(userFields(before));
  });

  it('waits for the gateway controller to accept each generation before trusting the weights', async () => {
    const { router, route, time } = setup(kube);
    await router().ensure();
    time.sleeps.length = 0;
    await router().setWeights({ primary: 80, canary: 20 });
    expect(time.sleeps.length).toBeGreaterThan(0);
    const stored = route() as KubeObject & {
      status: { parents: { conditions: { observedGeneration: number }[] }[] };
    };
    expect(stored.status.parents[0]?.conditions[0]?.observedGeneration).toBe(stored.metadata.generation);
  });

  it('writes once for the same weights twice, and a new run reads the weights a crashed one left', async () => {
    const { router } = setup(kube);
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
    const { router } = setup(kube);
    await router().ensure();
    const fault = kube.injectFault({ kind: 'conflict', verb: 'update', plural: 'httproutes', times: 3 });
    expect(await router().setWeights({ primary: 90, canary: 10 })).toEqual({ primary: 90, canary: 10 });
    expect(fault.hits).toBe(3);
  });

  it('resets to 100 % primary when ensure never ran, writing nothing', async () => {
    const { router } = setup(kube);
    const before = kube.writeCount;
    expect(await router().reset()).toEqual({ primary: 100, canary: 0 });
    expect(await router().getWeights()).toBeUndefined();
    const missing = setup(kube, {}, false);
    expect(await missing.router().reset()).toEqual({ primary: 100, canary: 0 });
    expect(kube.writeCount).toBe(before);
  });

  it('had every write accepted by the official CRD schemas', () => {
    expect(kube.writes.length).toBeGreaterThan(10);
    expect(kube.requests.filter((r) => r.code === 422)).toEqual([]);
  });

  it('fails naming the route when no gateway controller ever reconciles it', async () => {
    await withFake({ reconcile: 'never' }, async (never) => {
      const { router, time } = setup(never);
      const error = await router({ reconcileTimeoutMs: 30_000 })
        .ensure()
        .catch((e: unknown) => e);
      expect(String(error)).toMatch(
        /HTTPRoute gw-\d+\/payments was not reconciled within 30 s: parent Gateway public has written no status/,
      );
      expect(time.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
    });
  });

  it('fails naming the Gateway and its reason when the route is refused', async () => {
    await withFake({ reconcile: 'never' }, async (never) => {
      const { router, namespace } = setup(never, {}, false);
      never.seed(service(namespace));
      const route = httpRoute(namespace);
      const rule = (route.spec as { rules: Rule[] }).rules[1] as Rule;
      rule.backendRefs = [
        { name: 'payments-primary', port: 80, weight: 100 },
        { name: 'payments-canary', port: 80, weight: 0 },
      ];
      route.status = {
        parents: [
          {
            parentRef: { name: 'public', namespace: 'infra', sectionName: 'https' },
            controllerName: 'example.com/gateway',
            conditions: [
              {
                type: 'Accepted',
                status: 'False',
                reason: 'NotAllowedByListeners',
                message: 'listener https does not allow routes from this namespace',
                observedGeneration: 1,
                lastTransitionTime: '2026-03-01T12:00:00Z',
              },
            ],
          },
        ],
      };
      never.seed(route);
      expect(await router().getWeights()).toEqual({ primary: 100, canary: 0 });
      await expect(router().setWeights({ primary: 100, canary: 0 })).rejects.toThrow(
        /HTTPRoute gw-\d+\/payments was not accepted by Gateway public: NotAllowedByListeners: listener https does not allow/,
      );
    });
  });
});
