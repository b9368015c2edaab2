import type { FakeKube } from './index.js';
import { isPlainObject, type KubeObject } from './types.js';

/**
 * Which pods a request reaches, from the objects in the fake: the share of requests that land on
 * canary pods through each path. Pods are the ready replicas of each Deployment with its pod
 * template's labels (what its ReplicaSet creates); a Service's endpoints are the ready pods its
 * selector matches (the EndpointSlice controller); kube-proxy spreads evenly over them. Through
 * a route, each backend gets its weight's share (Gateway API backendRefs; Istio destinations,
 * whose subsets narrow the host's endpoints by label, per Istio's DestinationRule docs).
 */
interface Pods {
  canary: number;
  total: number;
}

const TRACK = 'glidepath.dev/track';

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function pods(fake: FakeKube, namespace: string, selector: Record<string, string>): Pods {
  const out = { canary: 0, total: 0 };
  for (const d of fake.list('apps', 'v1', 'Deployment', namespace)) {
    const labels = record(record(record(d.spec).template).metadata).labels as
      | Record<string, string>
      | undefined;
    if (!labels || !Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const ready = Number(record(d.status).readyReplicas ?? 0);
    out.total += ready;
    if (labels[TRACK] === 'canary') out.canary += ready;
  }
  return out;
}

function serviceSelector(
  fake: FakeKube,
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  const svc = fake.get('', 'v1', 'Service', namespace, name);
  return svc ? (record(svc.spec).selector as Record<string, string> | undefined) : undefined;
}

/** Share of requests to the plain Service `name` (clients outside the mesh, other routes) that reach canary pods. */
export function throughService(
  fake: FakeKube,
  namespace: string,
  name: string,
  subset: Record<string, string> = {},
): number {
  const selector = serviceSelector(fake, namespace, name);
  if (!selector) return 0;
  const p = pods(fake, namespace, { ...selector, ...subset });
  return p.total === 0 ? 0 : p.canary / p.total;
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
