import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Weights } from '../../src/mesh/router.js';
import { type Clock, type RolloutDeps, runRollout } from '../../src/rollout/engine.js';
import type { RolloutReport } from '../../src/rollout/report.js';
import { type PreparedRollout, prepareRollout } from '../../src/rollout/setup.js';
import { VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';
import type { FakeKube, KubeObject } from '../support/fake-kube/index.js';

export const OLD_IMAGE = `registry.example/payments@sha256:${'1'.repeat(64)}`;
export const NEW_IMAGE = `registry.example/payments@sha256:${'2'.repeat(64)}`;
export const NEVER_READY_IMAGE = `registry.example/payments-never-ready@sha256:${'3'.repeat(64)}`;

export type MeshProvider = 'istio' | 'gateway-api' | 'smi';

/** The user's Deployment as kustomize/helm would render it. */
export function userDeployment(namespace: string, image = OLD_IMAGE): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'payments', namespace, labels: { app: 'payments' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'payments' } },
      template: {
        metadata: { labels: { app: 'payments' } },
        spec: { containers: [{ name: 'payments', image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

export function userService(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'payments', namespace, labels: { app: 'payments' } },
    spec: { selector: { app: 'payments' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** A VirtualService with fields glidepath must leave alone: another route, matches, retries, headers. */
export function virtualService(namespace: string): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'payments', namespace },
    spec: {
      hosts: ['payments'],
      http: [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'admin', port: { number: 80 } } }],
        },
        {
          name: 'main',
          match: [{ uri: { prefix: '/' } }],
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx' },
          timeout: '10s',
          headers: { request: { set: { 'x-env': 'prod' } } },
          route: [{ destination: { host: 'payments', port: { number: 80 } } }],
        },
      ],
    },
  };
}

export function httpRoute(namespace: string): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'payments', namespace },
    spec: {
      parentRefs: [{ name: 'public', namespace: 'infra' }],
      hostnames: ['payments.example.com'],
      rules: [
        {
          name: 'admin',
          matches: [{ path: { type: 'PathPrefix', value: '/admin' } }],
          backendRefs: [{ name: 'admin', port: 80 }],
        },
        {
          name: 'main',
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { set: [{ name: 'x-env', value: 'prod' }] },
            },
          ],
          timeouts: { request: '10s' },
          backendRefs: [{ name: 'payments', port: 80 }],
        },
      ],
    },
  };
}

/** The user's objects a provider needs: Deployment, Service, and the route it edits. */
export function seedUserObjects(fake: FakeKube, provider: MeshProvider, namespace: string): void {
  fake.seed(userDeployment(namespace));
  fake.seed(userService(namespace));
  if (provider === 'istio') fake.seed(virtualService(namespace));
  if (provider === 'gateway-api') fake.seed(httpRoute(namespace));
}

export function routerConfig(provider: MeshProvider): Record<string, unknown> {
  if (provider === 'istio') return { provider, virtualService: 'payments' };
  if (provider === 'gateway-api') return { provider, httpRoute: 'payments' };
  return { provider };
}

/** The user's route without what glidepath owns (the destinations of the managed route/rule). */
export function unrelatedRouteFields(fake: FakeKube, provider: MeshProvider, namespace: string): unknown {
  if (provider === 'istio') {
    const vs = fake.get('networking.istio.io', 'v1', 'VirtualService', namespace, 'payments');
    const spec = structuredClone(vs?.spec) as { http: Array<Record<string, unknown>> };
    for (const r of spec.http) if (r.name === 'main') delete r.route;
    return spec;
  }
  if (provider === 'gateway-api') {
    const route = fake.get('gateway.networking.k8s.io', 'v1', 'HTTPRoute', namespace, 'payments');
    const spec = structuredClone(route?.spec) as { rules: Array<Record<string, unknown>> };
    for (const r of spec.rules) if (r.name === 'main') delete r.backendRefs;
    return spec;
  }
  // glidepath owns one key of the plain Service: the selector's track label (stable pods only).
  const spec = structuredClone(fake.get('', 'v1', 'Service', namespace, 'payments')?.spec) as {
    selector?: Record<string, string>;
  };
  if (spec?.selector) delete spec.selector['glidepath.dev/track'];
  return spec;
}

export function rolloutConfig(
  provider: MeshProvider,
  namespace: string,
  extra: Record<string, unknown> = {},
) {
  return {
    service: 'payments',
    namespace,
    router: routerConfig(provider),
    steps: [10, 25, 50],
    interval: '1m',
    checkInterval: '10s',
    readyTimeout: '2m',
    analysis: {
      // Validated by prepareRollout; the tests answer the queries with SimulatedMetrics instead.
      source: { provider: 'prometheus', address: 'http://127.0.0.1:9' },
      preset: 'demo',
      sequential: { minSoak: '30s' },
    },
    ...extra,
  };
}

export interface KubeRollout {
  prepared: PreparedRollout;
  clock: Clock;
  metrics: SimulatedMetrics;
  dir: string;
  configPath: string;
  manifestPath: string;
  /** The canary's weight as the router last set it. */
  canaryWeight(): number;
  run(extra?: Partial<RolloutDeps>): Promise<RolloutReport>;
}

export interface KubeRolloutOptions {
  config: Record<string, unknown> | string;
  image?: string;
  /** The Deployment in the manifest file (default: the user's Deployment). */
  manifest?: KubeObject | string;
  canaryErrorRate?: number;
  /** Default: a VirtualClock; a SteppedClock (test/support/stepped-clock.ts) also fires timers. */
  clock?: Clock;
  env?: Record<string, string | undefined>;
  lockWaitMs?: number;
  /** Read the config from here instead of the file written from `config`. */
  configPath?: string;
  /** Default: the fake's kubeconfig. */
  kubeconfig?: string;
}

/** Writes the rollout config and manifest files as a user's repository holds them. */
export function writeRolloutFiles(
  namespace: string,
  config: Record<string, unknown> | string,
  manifest: KubeObject | string = userDeployment(namespace),
): { dir: string; configPath: string; manifestPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-rollout-'));
  const configPath = join(dir, 'rollout.yaml');
  const manifestPath = join(dir, 'manifest.yaml');
  writeFileSync(configPath, typeof config === 'string' ? config : stringify(config));
  writeFileSync(manifestPath, typeof manifest === 'string' ? manifest : stringify(manifest));
  return { dir, configPath, manifestPath };
}

/** Writes the config and manifest files, prepares a rollout against the fake, and runs it in simulated time. */
export function kubeRollout(fake: FakeKube, namespace: string, options: KubeRolloutOptions): KubeRollout {
  const { dir, configPath, manifestPath } = writeRolloutFiles(namespace, options.config, options.manifest);
  const clock = options.clock ?? new VirtualClock(Date.UTC(2026, 2, 1, 12));
  const prepared = prepareRollout({
    config: options.configPath ?? configPath,
    manifest: manifestPath,
    image: options.image ?? NEW_IMAGE,
    kubeconfig: options.kubeconfig ?? fake.kubeconfigPath,
    env: options.env ?? {},
    sleep: (ms) => clock.sleep(ms),
    now: () => clock.now(),
    pollMs: 1_000,
    lockWaitMs: options.lockWaitMs,
  });
  let weight = 0;
  const router = prepared.router;
  const track = async (result: Promise<Weights>) => {
    const weights = await result;
    weight = weights.canary;
    return weights;
  };
  const setWeights = router.setWeights.bind(router);
  const reset = router.reset.bind(router);
  router.setWeights = (w) => track(setWeights(w));
  router.reset = () => track(reset());
  const metrics = new SimulatedMetrics({
    rps: 100,
    errorProbability: { primary: 0.005, canary: options.canaryErrorRate ?? 0.005 },
    seed: 11,
    canaryWeight: () => weight,
    now: () => clock.now(),
  });
  return {
    prepared,
    clock,
    metrics,
    dir,
    configPath,
    manifestPath,
    canaryWeight: () => weight,
    run: (extra = {}) => runRollout({ ...prepared, metrics, clock, ...extra }),
  };
}

/** Deployment `name` as stored in the fake. */
export function deployment(fake: FakeKube, namespace: string, name: string) {
  return fake.get('apps', 'v1', 'Deployment', namespace, name) as
    | (KubeObject & {
        spec: { replicas?: number; template: { spec: { containers: Array<{ image: string }> } } };
      })
    | undefined;
}

export function imageOf(fake: FakeKube, namespace: string, name: string): string | undefined {
  return deployment(fake, namespace, name)?.spec.template.spec.containers[0]?.image;
}

/**
 * Runs a rollout until it announces step `step` (1-based), then stops it dead as a lost runner
 * would: no cleanup, the Lease left held with the state of that step.
 */
export async function dieAtStep(
  fake: FakeKube,
  namespace: string,
  options: KubeRolloutOptions & { clock: Clock },
  step: number,
): Promise<KubeRollout> {
  const dying = kubeRollout(fake, namespace, options);
  const clock = options.clock;
  let dead = false;
  const hangingClock: Clock = {
    now: () => clock.now(),
    sleep: (ms) => (dead ? new Promise<void>(() => {}) : clock.sleep(ms)),
  };
  let reached!: () => void;
  const atStep = new Promise<void>((resolve) => {
    reached = resolve;
  });
  void dying.run({
    clock: hangingClock,
    onEvent: (e) => {
      if (e.message.startsWith(`step ${step}/`)) {
        dead = true;
        reached();
      }
    },
  });
  await atStep;
  // The step is on the Lease before it is announced; let the engine reach its (now endless) sleep.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return dying;
}
