import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigurationError } from '../../src/config/errors.js';
import { type FakeKube, type KubeObject, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  type KubeRolloutOptions,
  kubeRollout,
  type MeshProvider,
  rolloutConfig,
  seedUserObjects,
  userDeployment,
  virtualService,
} from './kube-fixture.js';

interface Case {
  name: string;
  provider?: MeshProvider;
  /** Changes the valid config (object) or replaces it (string). */
  config?: (config: Record<string, unknown>) => Record<string, unknown> | string;
  manifest?: (namespace: string) => KubeObject | string;
  options?: Partial<KubeRolloutOptions>;
  /** Extra objects to seed (after the user's usual ones). */
  seed?: (namespace: string) => KubeObject[];
  /** Skip seeding the route the router edits. */
  noRoute?: boolean;
  /** Which file the problem must name: the rollout config, the manifest, or none. */
  file?: 'rollout.yaml' | 'manifest.yaml';
  field: string;
  message: RegExp;
}

const analysis = (config: Record<string, unknown>) => config.analysis as Record<string, unknown>;

const cases: Case[] = [
  {
    name: 'YAML that does not parse',
    config: () => 'service: payments\nrouter: { provider: istio, virtualService: payments\nsteps: [10, 25',
    file: 'rollout.yaml',
    field: '',
    message: /./,
  },
  {
    name: 'an unknown router provider',
    config: (c) => ({ ...c, router: { provider: 'linkerd-magic' } }),
    file: 'rollout.yaml',
    field: 'router',
    message: /provider must be one of "istio", "gateway-api", "smi"/,
  },
  {
    name: 'steps that do not rise',
    config: (c) => ({ ...c, steps: [50, 25] }),
    file: 'rollout.yaml',
    field: 'steps',
    message: /must rise step by step/,
  },
  {
    name: 'a weight above 100',
    config: (c) => ({ ...c, steps: [50, 150] }),
    file: 'rollout.yaml',
    field: 'steps',
    message: /100/,
  },
  {
    name: 'an interval that is not a duration',
    config: (c) => ({ ...c, interval: 'a while' }),
    file: 'rollout.yaml',
    field: 'interval',
    message: /./,
  },
  {
    name: 'no analysis at all',
    config: (c) => {
      const { analysis: _a, ...rest } = c;
      return rest;
    },
    file: 'rollout.yaml',
    field: 'analysis',
    message: /needs at least one check or a sequential test/,
  },
  {
    name: 'an unknown field',
    config: (c) => ({ ...c, stepz: [1, 2] }),
    file: 'rollout.yaml',
    field: 'stepz',
    message: /./,
  },
  {
    name: 'a var that would inject into a query',
    config: (c) => ({
      ...c,
      vars: { team: 'x"} or vector(1) #' },
      analysis: {
        ...analysis(c),
        checks: [
          {
            name: 'errors',
            query: 'sum(rate(http_requests_total{team="{{team}}",track="{{track}}"}[1m]))',
            max: 1,
          },
        ],
      },
    }),
    file: 'rollout.yaml',
    field: 'analysis.checks[0].query',
    message: /would end the quoted label value/,
  },
  {
    name: 'a hook that is not an http(s) URL',
    config: (c) => ({ ...c, hooks: { rollout: 'ftp://hooks.example/x' } }),
    file: 'rollout.yaml',
    field: 'hooks.rollout',
    message: /http/,
  },
  {
    name: 'the playground router in a cluster',
    config: (c) => ({ ...c, router: { provider: 'local' } }),
    file: 'rollout.yaml',
    field: 'router.provider',
    message: /playground/,
  },
  {
    name: 'an analysis without a metrics source',
    config: (c) => {
      const { source: _s, ...rest } = analysis(c);
      return { ...c, analysis: rest };
    },
    file: 'rollout.yaml',
    field: 'analysis.source',
    message: /is required/,
  },
  {
    name: 'a config file that does not exist',
    options: { configPath: '/nonexistent/rollout.yaml' },
    field: 'config',
    message: /cannot read the rollout config/,
  },
  {
    name: 'an empty config file',
    config: () => '',
    file: 'rollout.yaml',
    field: '',
    message: /must hold exactly one rollout document \(found 0\)/,
  },
  {
    name: 'a manifest without the Deployment',
    manifest: (ns) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'payments', namespace: ns },
      spec: { ports: [{ port: 80 }] },
    }),
    file: 'manifest.yaml',
    field: 'manifest',
    message: /holds no Deployment named "payments"/,
  },
  {
    name: 'an invalid Deployment',
    manifest: (ns) => {
      const d = userDeployment(ns);
      (d.spec as { replicas: unknown }).replicas = 'three';
      return d;
    },
    file: 'manifest.yaml',
    field: 'spec.replicas',
    message: /Kubernetes Deployment schema/,
  },
  {
    name: 'a Deployment whose selector matches none of its pods',
    manifest: (ns) => {
      const d = userDeployment(ns);
      (d.spec as { selector: unknown }).selector = { matchLabels: { app: 'billing' } };
      return d;
    },
    file: 'manifest.yaml',
    field: 'spec.selector.matchLabels',
    message: /would select no pods/,
  },
  {
    name: 'an image without a digest',
    options: { image: 'registry.example/payments:v2' },
    field: 'image',
    message: /not pinned by digest/,
  },
  {
    name: 'a kubeconfig that does not exist',
    options: { kubeconfig: '/nonexistent/kubeconfig' },
    field: 'kubeconfig',
    message: /./,
  },
  {
    name: 'a missing VirtualService',
    noRoute: true,
    field: 'router.virtualService',
    message: /VirtualService .*payments/,
  },
  {
    name: 'a VirtualService with two routes to the service and no router.route',
    noRoute: true,
    seed: (ns) => {
      const vs = virtualService(ns);
      const http = (vs.spec as { http: Array<Record<string, unknown>> }).http;
      http.push({
        ...(http[1] as Record<string, unknown>),
        name: 'beta',
        match: [{ headers: { 'x-beta': { exact: '1' } } }],
      });
      return [vs];
    },
    field: 'router.route',
    message: /route/,
  },
  {
    name: 'a missing HTTPRoute',
    provider: 'gateway-api',
    noRoute: true,
    field: 'router.httpRoute',
    message: /HTTPRoute/,
  },
];

describe.skipIf(!hasSharedFixtures)('malformed configs and manifests', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('has at least 15 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of cases) {
    it(`${c.name}: a ConfigurationError naming the ${c.file ?? 'input'} and ${c.field || 'position'}, and no writes`, async () => {
      n += 1;
      const namespace = `bad-${n}`;
      const provider = c.provider ?? 'istio';
      if (c.noRoute) {
        fake.seed(userDeployment(namespace));
      } else {
        seedUserObjects(fake, provider, namespace);
      }
      for (const obj of c.seed?.(namespace) ?? []) fake.seed(obj);
      const config = c.config
        ? c.config(rolloutConfig(provider, namespace))
        : rolloutConfig(provider, namespace);
      const before = fake.writeCount;
      const error = await (async () => {
        const rollout = kubeRollout(fake, namespace, {
          config,
          ...(c.manifest ? { manifest: c.manifest(namespace) } : {}),
          ...c.options,
        });
        return rollout.run();
      })().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems;
      const problem = problems.find(
        (p) =>
          (c.file === undefined || p.file?.endsWith(c.file)) &&
          (c.field === '' ||
            p.field === c.field ||
            p.field?.startsWith(`${c.field}.`) ||
            p.field?.startsWith(`${c.field}[`)) &&
          c.message.test(p.message),
      );
      expect(problem, (error as Error).message).toBeDefined();
      expect(fake.writeCount).toBe(before);
    });
  }

  it('reports every problem at once, not just the first', async () => {
    n += 1;
    const namespace = `bad-${n}`;
    seedUserObjects(fake, 'istio', namespace);
    const error = (() => {
      try {
        kubeRollout(fake, namespace, {
          config: { ...rolloutConfig('istio', namespace), steps: [50, 25] },
          image: 'payments:latest',
          manifest: stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
        });
      } catch (e: unknown) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['steps', 'image']),
    );
  });
});
