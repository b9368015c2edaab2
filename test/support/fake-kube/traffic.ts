import type { FakeKube } from './index.js';
import { isPlainObject, type KubeObject } from './types.js';

/**
 * Which pods a request reaches, from the objects in the fake: the share of requests that land on
 * canary pods through each path. Pods are modelled per Deployment from its status (`replicas`
 * pods with the pod template's labels, `readyReplicas` of them Ready: what its ReplicaSet
 * creates); a Service's EndpointSlice lists every pod its selector matches, with
 * `endpoints[].conditions.ready` from the pod's readiness and the label
 * `kubernetes.io/service-name` (Kubernetes docs, "EndpointSlices": Conditions, Ownership); kube-proxy
 * spreads evenly over the ready endpoints. Through a route, each backend gets its weight's share
 * (Gateway API backendRefs; Istio destinations, each host its Service, a subset narrowing the
 * host's endpoints by label, per Istio's DestinationRule docs).
 */
const TRACK = 'glidepath.dev/track';

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

export interface ModelPod {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
}

/** The pods the namespace's Deployments run, as their ReplicaSets would create them. */
export function podsOf(fake: FakeKube, namespace: string): ModelPod[] {
  const out: ModelPod[] = [];
  for (const d of fake.list('apps', 'v1', 'Deployment', namespace)) {
    const labels = record(record(record(d.spec).template).metadata).labels as
      | Record<string, string>
      | undefined;
    if (!labels) continue;
    const status = record(d.status);
    const ready = Number(status.readyReplicas ?? 0);
    const total = Math.max(ready, Number(status.replicas ?? 0));
    for (let i = 0; i < total; i++) out.push({ name: `${d.metadata.name}-${i}`, labels, ready: i < ready });
  }
  return out;
}

export interface ModelEndpointSlice {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  addressType: 'IPv4';
  endpoints: { targetRef: { kind: 'Pod'; name: string }; conditions: { ready: boolean } }[];
}

/** The EndpointSlice the EndpointSlice controller keeps for Service `name`; undefined without a selector. */
export function endpointSliceOf(
  fake: FakeKube,
  namespace: string,
  name: string,
): ModelEndpointSlice | undefined {
  const selector = serviceSelector(fake, namespace, name);
  if (!selector) return undefined;
  const matches = (p: ModelPod) => Object.entries(selector).every(([k, v]) => p.labels[k] === v);
  return {
    metadata: { name: `${name}-slice`, namespace, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: podsOf(fake, namespace)
      .filter(matches)
      .map((p) => ({ targetRef: { kind: 'Pod', name: p.name }, conditions: { ready: p.ready } })),
  };
}

function serviceSelector(
  fake: FakeKube,
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  const svc = fake.get('', 'v1', 'Service', namespace, name);
  const selector = svc ? (record(svc.spec).selector as Record<string, string> | undefined) : undefined;
  return selector && Object.keys(selector).length > 0 ? selector : undefined;
}

/** Share of requests to the plain Service `name` (clients outside the mesh, other routes) that reach canary pods. */
export function throughService(
  fake: FakeKube,
  namespace: string,
  name: string,
  subset: Record<string, string> = {},
): number {
  const slice = endpointSliceOf(fake, namespace, name);
  if (!slice) return 0;
  const pods = new Map(podsOf(fake, namespace).map((p) => [p.name, p]));
  const ready = slice.endpoints
    .filter((e) => e.conditions.ready)
    .map((e) => pods.get(e.targetRef.name) as ModelPod)
    .filter((p) => Object.entries(subset).every(([k, v]) => p.labels[k] === v));
  return ready.length === 0 ? 0 : ready.filter((p) => p.labels[TRACK] === 'canary').length / ready.length;
}

/** Share of requests through an HTTPRoute's rule (by name; else every rule) that reach canary pods. */
export function throughHttpRoute(
  fake: FakeKube,
  namespace: string,
  route: string,
  ruleName?: string,
): number {
  const obj = fake.get('gateway.networking.k8s.io', 'v1', 'HTTPRoute', namespace, route);
  const rules = (record(obj?.spec).rules as unknown[] | undefined) ?? [];
  let weighted = 0;
  let total = 0;
  for (const rule of rules) {
    if (ruleName !== undefined && record(rule).name !== ruleName) continue;
    for (const ref of (record(rule).backendRefs as unknown[] | undefined) ?? []) {
      const r = record(ref);
      const weight = typeof r.weight === 'number' ? r.weight : 1;
      total += weight;
      weighted += weight * throughService(fake, namespace, String(r.name));
    }
  }
  return total === 0 ? 0 : weighted / total;
}

/** Share through one named http route of a VirtualService, subsets resolved with the namespace's DestinationRules. */
export function throughVirtualService(
  fake: FakeKube,
  namespace: string,
  name: string,
  routeName: string,
): number {
  const vs = fake.get('networking.istio.io', 'v1', 'VirtualService', namespace, name);
  const route = ((record(vs?.spec).http as unknown[] | undefined) ?? [])
    .map(record)
    .find((r) => r.name === routeName);
  const rules: KubeObject[] = fake.list('networking.istio.io', 'v1', 'DestinationRule', namespace);
  let weighted = 0;
  let total = 0;
  for (const d of (route?.route as unknown[] | undefined) ?? []) {
    const dest = record(record(d).destination);
    const host = String(dest.host).split('.')[0] ?? '';
    const weight = typeof record(d).weight === 'number' ? (record(d).weight as number) : 100;
    let subset: Record<string, string> = {};
    if (dest.subset) {
      const found = rules
        .flatMap((r) => (record(r.spec).subsets as unknown[] | undefined) ?? [])
        .map(record)
        .find((s) => s.name === dest.subset);
      subset = (found?.labels as Record<string, string> | undefined) ?? { unresolved: 'subset' };
    }
    total += weight;
    weighted += weight * throughService(fake, namespace, host, subset);
  }
  return total === 0 ? 0 : weighted / total;
}
