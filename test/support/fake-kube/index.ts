/**
 * A fake Kubernetes API server for tests: real HTTP on 127.0.0.1 that the real
 * @kubernetes/client-node talks to through a generated kubeconfig.
 *
 * What it does like the real server: discovery, get/list (label and field selectors), create,
 * replace, merge / strategic merge / JSON patch, server-side apply with managedFields and
 * conflicts, delete (with preconditions), status subresources, resourceVersion (one global
 * counter, 409 on a stale write), generation (bumped on spec changes), 404/409/422 Status bodies.
 * Every write is validated: mesh CRDs against their openAPIV3Schema (ajv; pruning, schema
 * defaults, a hand-written subset of the CEL rules), built-in kinds with the kubernetes-models
 * validators plus the semantic checks we rely on, and unknown fields pruned using the official
 * OpenAPI v3. It simulates the deployment controller (readiness, with a kubelet that keeps pods
 * waiting for a missing ConfigMap/Secret), a gateway controller (HTTPRoute Accepted and
 * ResolvedRefs), the HPA controller (autoscaling/v2, through `/scale`), immutable Deployment
 * selectors, per-kind name rules, and injects faults on demand.
 *
 * What it does not do: watch, pagination, admission webhooks, garbage collection,
 * finalizers, CRD version conversion beyond relabelling apiVersion, most CEL rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { hasSharedFixtures, sharedFixture } from '../shared-fixtures.js';
import type { AutoscalerOptions } from './autoscaler.js';
import { Cluster, type WriteRecord } from './cluster.js';
import type { GatewayApiOptions } from './controllers.js';
import { type Fault, FaultInjector, type FaultSpec } from './faults.js';
import type { ReadinessOptions } from './readiness.js';
import { ResourceRegistry, type ResourceType } from './resources.js';
import { listen, type RequestRecord } from './server.js';
import { ApiError } from './status.js';
import type { KubeObject } from './types.js';

export type { AutoscalerOptions } from './autoscaler.js';
export type { WriteRecord } from './cluster.js';
export type { GatewayApiOptions } from './controllers.js';
export type { Fault, FaultSpec, Verb } from './faults.js';
export type { ReadinessOptions } from './readiness.js';
export type { RequestRecord } from './server.js';
export type { StatusBody } from './status.js';
export type { KubeObject, ManagedFieldsEntry, ObjectMeta, StatusCause } from './types.js';

export interface FakeKubeOptions {
  /** Deployment controller simulation: when rollouts complete, which images never become ready. */
  readiness?: ReadinessOptions;
  /** Gateway controller simulation: HTTPRoute `Accepted` status per parentRef. */
  gatewayApi?: GatewayApiOptions;
  /** Namespaces that exist (plus Namespace objects); writes to others get 404. Unset: every namespace exists. */
  namespaces?: string[];
  /** Require `Authorization: Bearer <token>` (to test auth plugins). The generated kubeconfig carries it unless `exec` is set. */
  token?: string;
  /** Put this exec credential plugin in the generated kubeconfig instead of the token. */
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
  /** Namespace of the kubeconfig's context (default `default`). */
  namespace?: string;
  /** Directory of the CRD files (default ../shared/fixtures/k8s-schemas; npm validators when absent). */
  crdDir?: string;
  /** CRD file names in crdDir (default: Istio VirtualService/DestinationRule, Gateway API, SMI TrafficSplit). */
  crdFiles?: string[];
  /** The horizontal pod autoscaler controller: what the metrics ask for (default: hold the current count). */
  autoscaler?: AutoscalerOptions;
  /** Clock for creationTimestamp, managedFields and condition times. */
  now?: () => Date;
}

export interface FakeKube {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  /** A fresh KubeConfig pointed at the fake. */
  readonly kubeConfig: KubeConfig;
  /** Successful writes in order (seeding through `seed` is not counted). */
  readonly writes: readonly WriteRecord[];
  readonly writeCount: number;
  /** Every API request with its answer code (0: dropped by a fault). */
  readonly requests: readonly RequestRecord[];
  /** The stored object as the API would return it, or undefined. `kindOrPlural` as `Deployment` or `deployments`. */
  get(
    group: string,
    version: string,
    kindOrPlural: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
  list(group: string, version: string, kindOrPlural: string, namespace?: string): KubeObject[];
  /** Store an object as a test's setup, validated like a write but not counted; apiVersion/kind come from `obj`. */
  seed(obj: KubeObject): KubeObject;
  /** Change a stored object as a controller or a person would (validated, bumps resourceVersion, not counted). */
  mutate(
    group: string,
    version: string,
    kindOrPlural: string,
    namespace: string | undefined,
    name: string,
    change: (obj: KubeObject) => void,
    manager?: string,
  ): KubeObject;
  /** Delete a stored object as a person or a controller would (not counted). */
  remove(
    group: string,
    version: string,
    kindOrPlural: string,
    namespace: string | undefined,
    name: string,
  ): void;
  injectFault(spec: FaultSpec): Fault;
  clearFaults(): void;
  /** Objects (Deployments, HTTPRoutes) whose simulated controller still waits for reads. */
  readonly pendingReconciles: number;
  stop(): Promise<void>;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function kubeconfigYaml(url: string, options: FakeKubeOptions): string {
  const user: Record<string, unknown> = options.exec
    ? { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...options.exec } }
    : { token: options.token ?? 'fake-kube-token' };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node sends plain http only when TLS verification is off, even for an http:// server.
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user }],
    contexts: [
      { name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: options.namespace ?? 'default' } },
    ],
    'current-context': 'fake',
  });
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const registry = new ResourceRegistry({
    ...(options.crdDir
      ? { crdDir: options.crdDir }
      : hasSharedFixtures
        ? { crdDir: sharedFixture('k8s-schemas') }
        : {}),
    ...(options.crdFiles ? { crdFiles: options.crdFiles } : {}),
  });
  const cluster = new Cluster(registry, {
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.gatewayApi ? { gatewayApi: options.gatewayApi } : {}),
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const faults = new FaultInjector();
  const requests: RequestRecord[] = [];
  const http = await listen({
    cluster,
    faults,
    requests,
    ...(options.token !== undefined ? { token: options.token } : {}),
    beforeRequest: () => cluster.reconcileAutoscalers(options.autoscaler ?? {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
  const yaml = kubeconfigYaml(http.url, options);
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, yaml, { mode: 0o600 });

  const typeOf = (group: string, version: string, kindOrPlural: string): ResourceType => {
    const type = registry.find(group, kindOrPlural);
    if (!type?.versions.includes(version))
      throw new Error(`fake-kube serves no ${kindOrPlural} in ${group || 'core'}/${version}`);
    return type;
  };
  const unwrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e: unknown) {
      if (e instanceof ApiError)
        throw new Error(`fake-kube: ${e.status.code} ${e.status.reason}: ${e.status.message}`);
      throw e;
    }
  };

  return {
    url: http.url,
    kubeconfigPath,
    kubeconfigYaml: yaml,
    get kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(yaml);
      return kc;
    },
    get writes() {
      return cluster.writes;
    },
    get writeCount() {
      return cluster.writes.length;
    },
    requests,
    get(group, version, kindOrPlural, namespace, name) {
      const type = typeOf(group, version, kindOrPlural);
      return cluster.peek(type, version, type.namespaced ? namespace : undefined, name);
    },
    list(group, version, kindOrPlural, namespace) {
      const type = typeOf(group, version, kindOrPlural);
      const body = cluster.list({ type, version, ...(namespace ? { namespace } : {}) }).body as {
        items: KubeObject[];
      };
      return body.items.map((item) => ({
        ...item,
        apiVersion: group ? `${group}/${version}` : version,
        kind: type.kind,
      }));
    },
    seed(obj) {
      const { group, version } = splitApiVersion(obj.apiVersion);
      const type = typeOf(group, version, obj.kind);
      const namespace = type.namespaced
        ? (obj.metadata.namespace ?? options.namespace ?? 'default')
        : undefined;
      return unwrap(() =>
        cluster.put(
          { type, version, ...(namespace ? { namespace } : {}), name: obj.metadata.name ?? '' },
          obj,
          'fake-kube-seed',
        ),
      );
    },
    mutate(group, version, kindOrPlural, namespace, name, change, manager = 'fake-kube-test') {
      const type = typeOf(group, version, kindOrPlural);
      const ns = type.namespaced ? namespace : undefined;
      const current = cluster.peek(type, version, ns, name);
      if (!current) throw new Error(`fake-kube: ${kindOrPlural} ${namespace ?? ''}/${name} not found`);
      change(current);
      return unwrap(() =>
        cluster.put({ type, version, ...(ns ? { namespace: ns } : {}), name }, current, manager),
      );
    },
    remove(group, version, kindOrPlural, namespace, name) {
      const type = typeOf(group, version, kindOrPlural);
      const ns = type.namespaced ? namespace : undefined;
      unwrap(() => cluster.delete({ type, version, ...(ns ? { namespace: ns } : {}), name }, {}));
      cluster.writes.pop();
    },
    injectFault: (spec) => faults.inject(spec),
    clearFaults: () => faults.clear(),
    get pendingReconciles() {
      return cluster.pendingReconciles;
    },
    async stop() {
      await http.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
