import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import { applyObject, FIELD_MANAGER } from '../kube/apply.js';
import { lastForeignWriter } from '../kube/field-managers.js';
import { updateWithRetry } from '../kube/patch.js';
import { MANAGED_BY } from '../rollout/labels.js';
import { resetToPrimary } from './reset-to-primary.js';
import {
  ALL_PRIMARY,
  assertWeights,
  canaryName,
  type PlannedWrite,
  primaryName,
  type RouterContext,
  type TrafficRouter,
  type Weights,
  weightsFromRelative,
} from './router.js';
import { readRootService, servicesToApply, stableOnlyRoot, trackServices } from './track-services.js';

export interface IstioRouterOptions {
  virtualService: string;
  /** The `http` route to manage, by name. */
  route?: string;
  /**
   * The DestinationRule whose trafficPolicy the per-track rules copy; default: the one for the
   * service's host in its namespace, else one in the root namespace, else none.
   */
  destinationRule?: string;
}

const API_VERSION = 'networking.istio.io/v1';
/** meshConfig.rootNamespace's default. */
const ROOT_NAMESPACE = 'istio-system';

interface Destination {
  host: string;
  subset?: string;
  [field: string]: unknown;
}
interface RouteDestination {
  destination: Destination;
  weight?: number;
  [field: string]: unknown;
}
interface HttpRoute {
  name?: string;
  route?: RouteDestination[];
  [field: string]: unknown;
}
interface VirtualService extends KubernetesObject {
  spec?: { hosts?: string[]; http?: HttpRoute[]; [field: string]: unknown };
}
interface DestinationRule extends KubernetesObject {
  spec?: { host?: string; trafficPolicy?: unknown; [field: string]: unknown };
}

/** The route's split: managed (the two track hosts) or a single destination to convert. */
type RouteState =
  | { kind: 'managed'; primary: RouteDestination; canary: RouteDestination }
  | { kind: 'unmanaged'; template: RouteDestination };

/** JSON with sorted keys: the API server may store a copy's maps in another key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** Hosts in a VirtualService resolve relative to its namespace, so every spelling of the service counts. */
export function hostMatches(host: string, service: string, namespace: string): boolean {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ].includes(host);
}

export class IstioRouter implements TrafficRouter {
  readonly provider = 'istio';
  private readonly service: string;
  private readonly namespace: string;

  constructor(
    private readonly context: RouterContext,
    private readonly options: IstioRouterOptions,
  ) {
    this.service = context.target.service;
    this.namespace = context.target.namespace;
  }

  private get vsWhere(): string {
    return `VirtualService ${this.namespace}/${this.options.virtualService}`;
  }

  private get retry() {
    return this.context.sleep ? { sleep: this.context.sleep } : {};
  }

  /**
   * Like Flagger's Istio router (fluxcd/flagger pkg/router/istio.go): the route's two weighted
   * destinations are the hosts `<svc>-primary` and `<svc>-canary`, Services selecting one track
   * each, with DestinationRules of the same names carrying the user's trafficPolicy; the plain
   * `<svc>` then selects stable pods only, so traffic outside the route never reaches the canary.
   */
  async validate(): Promise<PlannedWrite[]> {
    const vs = await this.readVirtualService();
    const state = this.routeState(vs, this.chooseRoute(vs));
    const root = await readRootService(this.context.kube, this.context.target);
    const writes = await servicesToApply(this.context.kube, trackServices(root, this.context.target));
    writes.push(...(await this.rulesToApply(await this.policySource())));
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) writes.push(narrow);
    if (state.kind === 'unmanaged') {
      writes.push({ verb: 'update', object: this.splitRoute(structuredClone(vs), ALL_PRIMARY) ?? vs });
    }
    return writes;
  }

  async ensure(): Promise<void> {
    const vs = await this.readVirtualService();
    this.routeState(vs, this.chooseRoute(vs));
    const root = await readRootService(this.context.kube, this.context.target);
    const policy = await this.policySource();
    // Make before break: the Services and their rules exist before the route names them (a
    // destination host without a Service answers 503 NR; one whose rule is missing would skip the
    // user's TLS settings). Rules are re-applied on every run so a changed trafficPolicy follows.
    for (const write of await servicesToApply(this.context.kube, trackServices(root, this.context.target)))
      await applyObject(this.context.kube.objects, write.object);
    for (const write of await this.rulesToApply(policy)) await this.writeRule(write);
    // The primary's pods are ready (the engine bootstraps before ensure), so narrowing loses none.
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) await applyObject(this.context.kube.objects, narrow.object);
    await this.updateVirtualService((current) => {
      const state = this.routeState(current, this.chooseRoute(current));
      return state.kind === 'unmanaged' ? this.splitRoute(current, ALL_PRIMARY) : undefined;
    });
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertWeights(weights);
    const stored = await this.updateVirtualService((current) => {
      const state = this.routeState(current, this.chooseRoute(current));
      if (state.kind === 'unmanaged') {
        throw new Error(
          `${this.vsWhere} does not split traffic between ${primaryName(this.service)} and ${canaryName(this.service)} yet; run ensure() before setWeights()`,
        );
      }
      return this.splitRoute(current, weights);
    });
    return this.requireWeights(stored);
  }

  async weightsWriter(): Promise<string | undefined> {
    // `http` is an atomic list: whoever wrote any route owns all of them, weights included.
    return lastForeignWriter(await this.readVirtualService(), ['f:spec', 'f:http']);
  }

  async getWeights(): Promise<Weights | undefined> {
    return this.weightsOf(await this.readVirtualService());
  }

  reset(): Promise<Weights> {
    return resetToPrimary(
      async () => this.weightsOf(await this.readVirtualService()),
      (weights) => this.setWeights(weights),
    );
  }

  private weightsOf(vs: VirtualService): Weights | undefined {
    const state = this.routeState(vs, this.chooseRoute(vs));
    if (state.kind === 'unmanaged') return undefined;
    return weightsFromRelative(state.primary.weight ?? 0, state.canary.weight ?? 0) ?? ALL_PRIMARY;
  }

  private requireWeights(vs: VirtualService): Weights {
    const weights = this.weightsOf(vs);
    if (!weights) throw new Error(`${this.vsWhere} lost its primary/canary split while it was being written`);
    return weights;
  }

  private async readVirtualService(): Promise<VirtualService> {
    try {
      return await this.context.kube.objects.read<VirtualService>({
        apiVersion: API_VERSION,
        kind: 'VirtualService',
        metadata: { name: this.options.virtualService, namespace: this.namespace },
      });
    } catch (e: unknown) {
      if (isNotFound(e)) {
        throw new ConfigurationError([
          {
            field: 'router.virtualService',
            message: `expected the ${this.vsWhere} to exist with an http route to the Service ${this.service}, found none; create it (glidepath edits only its weights) or fix router.virtualService`,
          },
        ]);
      }
      throw e;
    }
  }

  private updateVirtualService(
    change: (vs: VirtualService) => VirtualService | undefined,
  ): Promise<VirtualService> {
    // Read-modify-write, not server-side apply: `http` is an atomic list, and applying it would
    // take ownership of every route the user wrote.
    return updateWithRetry<VirtualService>(
      this.context.kube.objects,
      {
        apiVersion: API_VERSION,
        kind: 'VirtualService',
        namespace: this.namespace,
        name: this.options.virtualService,
      },
      change,
      this.retry,
    );
  }

  /** The service itself, or one of its track Services once glidepath split the route. */
  private isOurs(host: string): boolean {
    return [this.service, primaryName(this.service), canaryName(this.service)].some((s) =>
      hostMatches(host, s, this.namespace),
    );
  }

  private toService(route: HttpRoute): boolean {
    return (route.route ?? []).some((d) => this.isOurs(d.destination?.host ?? ''));
  }

  private chooseRoute(vs: VirtualService): number {
    const routes = vs.spec?.http ?? [];
    const label = (r: HttpRoute, i: number) => (r.name ? `"${r.name}"` : `#${i}`);
    if (this.options.route !== undefined) {
      const index = routes.findIndex((r) => r.name === this.options.route);
      const route = routes[index];
      if (route === undefined) {
        throw new ConfigurationError([
          {
            field: 'router.route',
            message: `expected an http route named "${this.options.route}" in the ${this.vsWhere}, found ${routes.length === 0 ? 'no http routes' : `routes ${routes.map(label).join(', ')}`}; fix router.route`,
          },
        ]);
      }
      if (!this.toService(route)) {
        throw new ConfigurationError([
          {
            field: 'router.route',
            message: `expected the http route "${this.options.route}" of the ${this.vsWhere} to send traffic to the Service ${this.service}, but its destinations are ${(route.route ?? []).map((d) => d.destination?.host).join(', ') || 'empty'}; pick the route to ${this.service}`,
          },
        ]);
      }
      return index;
    }
    const candidates = routes.map((r, i) => (this.toService(r) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 1) return candidates[0] as number;
    if (candidates.length === 0) {
      throw new ConfigurationError([
        {
          field: 'router.virtualService',
          message: `expected an http route in the ${this.vsWhere} with a destination host ${this.service} (or ${this.service}.${this.namespace}.svc.cluster.local), found none; add such a route or point router.virtualService at the VirtualService that routes to ${this.service}`,
        },
      ]);
    }
    throw new ConfigurationError([
      {
        field: 'router.route',
        message: `expected one http route to the Service ${this.service} in the ${this.vsWhere}, found ${candidates.length} (${candidates.map((i) => label(routes[i] as HttpRoute, i)).join(', ')}); name the one to canary with router.route (give it a name in the VirtualService if it has none)`,
      },
    ]);
  }

  private routeState(vs: VirtualService, index: number): RouteState {
    const route = vs.spec?.http?.[index] as HttpRoute;
    const where = `http route ${route.name ? `"${route.name}"` : `#${index}`} of the ${this.vsWhere}`;
    const destinations = route.route ?? [];
    const others = destinations.filter((d) => !this.isOurs(d.destination?.host ?? ''));
    if (others.length > 0) {
      throw new ConfigurationError([
        {
          field: 'router.route',
          message: `expected the ${where} to send all its traffic to ${this.service}, but it also sends to ${others.map((d) => d.destination.host).join(', ')}; give the canaried service a route of its own`,
        },
      ]);
    }
    const to = (name: string) =>
      destinations.find((d) => hostMatches(d.destination.host, name, this.namespace));
    const primary = to(primaryName(this.service));
    const canary = to(canaryName(this.service));
    if (destinations.length === 2 && primary && canary) return { kind: 'managed', primary, canary };
    const only = destinations[0];
    if (
      destinations.length === 1 &&
      only &&
      hostMatches(only.destination.host, this.service, this.namespace)
    ) {
      if (only.destination.subset !== undefined) {
        throw new ConfigurationError([
          {
            field: 'router.route',
            message: `expected the ${where} to send traffic to the host ${this.service} without a subset, found subset "${only.destination.subset}"; glidepath routes to the hosts ${primaryName(this.service)}/${canaryName(this.service)} (one track each), so drop the subset or narrow the Service's selector instead`,
          },
        ]);
      }
      return { kind: 'unmanaged', template: only };
    }
    throw new ConfigurationError([
      {
        field: 'router.route',
        message: `expected the ${where} to have one destination, host ${this.service} (glidepath splits it between ${primaryName(this.service)} and ${canaryName(this.service)}), found ${destinations.length} (${destinations.map((d) => `${d.destination.host}${d.destination.subset ? ` subset ${d.destination.subset}` : ''}`).join(', ')}); remove the existing split first`,
      },
    ]);
  }

  /** The chosen route with two weighted destinations; every other field and route stays as it was. */
  private splitRoute(vs: VirtualService, weights: Weights): VirtualService | undefined {
    const index = this.chooseRoute(vs);
    const state = this.routeState(vs, index);
    const route = vs.spec?.http?.[index] as HttpRoute;
    if (state.kind === 'managed') {
      if (state.primary.weight === weights.primary && state.canary.weight === weights.canary)
        return undefined;
      state.primary.weight = weights.primary;
      state.canary.weight = weights.canary;
      return vs;
    }
    const { template } = state;
    // The user's spelling of the host (short or FQDN), with the track Service's name.
    const to = (name: string, weight: number): RouteDestination => ({
      ...structuredClone(template),
      destination: {
        ...structuredClone(template.destination),
        host: template.destination.host.replace(/^[^.]+/, name),
      },
      weight,
    });
    route.route = [
      to(primaryName(this.service), weights.primary),
      to(canaryName(this.service), weights.canary),
    ];
    return vs;
  }

  /** The rule whose trafficPolicy the track rules copy, or none. */
  private async policySource(): Promise<DestinationRule | undefined> {
    const found = await this.findDestinationRule();
    if (this.options.destinationRule !== undefined && found.existing === undefined) {
      throw new ConfigurationError([
        {
          field: 'router.destinationRule',
          message: `expected the DestinationRule ${this.namespace}/${this.options.destinationRule} to exist (glidepath copies its trafficPolicy to ${primaryName(this.service)} and ${canaryName(this.service)}), found none; create it or remove router.destinationRule`,
        },
      ]);
    }
    return found.existing ?? found.inherited;
  }

  private trackRule(name: string, source: DestinationRule | undefined): DestinationRule {
    const policy = source?.spec?.trafficPolicy;
    return {
      apiVersion: API_VERSION,
      kind: 'DestinationRule',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { ...MANAGED_BY },
        ...(source
          ? {
              annotations: {
                'glidepath.dev/copied-from': `${source.metadata?.namespace}/${source.metadata?.name}`,
              },
            }
          : {}),
      },
      spec: {
        host: `${name}.${this.namespace}.svc.cluster.local`,
        ...(policy !== undefined ? { trafficPolicy: structuredClone(policy) } : {}),
      },
    };
  }

  /**
   * `<svc>-primary`/`<svc>-canary` rules whose host or trafficPolicy differ from what is stored.
   * Written whole (create, else update of the spec), not applied: a copy must drop a policy field
   * the user removed, and server-side apply keeps emptied parent maps of fields it prunes.
   */
  private async rulesToApply(source: DestinationRule | undefined): Promise<PlannedWrite[]> {
    const writes: PlannedWrite[] = [];
    for (const name of [primaryName(this.service), canaryName(this.service)]) {
      const wanted = this.trackRule(name, source);
      let stored: DestinationRule | undefined;
      try {
        stored = await this.context.kube.objects.read<DestinationRule>({
          apiVersion: API_VERSION,
          kind: 'DestinationRule',
          metadata: { name, namespace: this.namespace },
        });
      } catch (e: unknown) {
        if (!isNotFound(e)) throw e;
      }
      if (stored === undefined) writes.push({ verb: 'create', object: wanted });
      else if (canonical(stored.spec) !== canonical(wanted.spec))
        writes.push({ verb: 'update', object: wanted });
    }
    return writes;
  }

  private async writeRule(write: PlannedWrite): Promise<void> {
    const wanted = write.object as DestinationRule;
    if (write.verb === 'create') {
      await this.context.kube.objects.create(wanted, undefined, undefined, FIELD_MANAGER);
      return;
    }
    await updateWithRetry<DestinationRule>(
      this.context.kube.objects,
      {
        apiVersion: API_VERSION,
        kind: 'DestinationRule',
        namespace: this.namespace,
        name: wanted.metadata?.name ?? '',
      },
      (current) => {
        if (canonical(current.spec) === canonical(wanted.spec)) return undefined;
        current.spec = structuredClone(wanted.spec);
        current.metadata = {
          ...current.metadata,
          annotations: { ...current.metadata?.annotations, ...wanted.metadata?.annotations },
        };
        return current;
      },
      this.retry,
    );
  }

  private async findDestinationRule(): Promise<{
    name: string;
    existing?: DestinationRule;
    inherited?: DestinationRule;
  }> {
    const objects = this.context.kube.objects;
    if (this.options.destinationRule !== undefined) {
      try {
        const existing = await objects.read<DestinationRule>({
          apiVersion: API_VERSION,
          kind: 'DestinationRule',
          metadata: { name: this.options.destinationRule, namespace: this.namespace },
        });
        this.checkRuleHost(existing);
        return { name: this.options.destinationRule, existing };
      } catch (e: unknown) {
        if (isNotFound(e)) return { name: this.options.destinationRule };
        throw e;
      }
    }
    // Istio applies one DestinationRule per host, so an existing rule for the service must be reused.
    const list = await objects.list<DestinationRule>(API_VERSION, 'DestinationRule', this.namespace);
    const forHost = list.items.filter((dr) => hostMatches(dr.spec?.host ?? '', this.service, this.namespace));
    if (forHost.length > 1) {
      throw new ConfigurationError([
        {
          field: 'router.destinationRule',
          message: `expected at most one DestinationRule for host ${this.service} in namespace ${this.namespace}, found ${forHost.map((d) => d.metadata?.name).join(', ')}; name the one to use with router.destinationRule`,
        },
      ]);
    }
    const existing = forHost[0];
    if (existing) return { name: existing.metadata?.name ?? this.service, existing };
    return { name: this.service, inherited: await this.ruleElsewhere() };
  }

  /**
   * Istio picks a client's DestinationRule for a host from the client's namespace first, then the
   * service's, then the root namespace (Istio docs, "Destination Rule": "rule lookup path").
   * A rule for the host in a client namespace sets those clients' policy for `<svc>` only; once
   * the route sends them to `<svc>-primary`/`<svc>-canary` it would silently stop applying, so it
   * is refused. A root-namespace rule's trafficPolicy (often mTLS) is carried into the track rules.
   */
  private async ruleElsewhere(): Promise<DestinationRule | undefined> {
    const fqdn = `${this.service}.${this.namespace}.svc.cluster.local`;
    const forUs = (host: string) =>
      [fqdn, `${this.service}.${this.namespace}`, `${this.service}.${this.namespace}.svc`].includes(host);
    let items: DestinationRule[];
    try {
      items = (await this.context.kube.objects.list<DestinationRule>(API_VERSION, 'DestinationRule')).items;
    } catch (e: unknown) {
      // Without cluster-wide list rights the other namespaces cannot be checked; the service's was.
      if (e instanceof ApiException && (e.code === 403 || e.code === 404)) return undefined;
      throw e;
    }
    const elsewhere = items.filter(
      (dr) => dr.metadata?.namespace !== this.namespace && forUs(dr.spec?.host ?? ''),
    );
    const clients = elsewhere.filter((dr) => dr.metadata?.namespace !== ROOT_NAMESPACE);
    if (clients.length > 0) {
      throw new ConfigurationError([
        {
          field: 'router.destinationRule',
          message: `found DestinationRule(s) for ${fqdn} in other namespaces (${clients.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`).join(', ')}); Istio applies those to clients in their namespace, and their traffic policy would not follow the route to the hosts ${primaryName(this.service)}/${canaryName(this.service)}. Move their settings into a rule in ${this.namespace} and retry`,
        },
      ]);
    }
    return elsewhere[0];
  }

  private checkRuleHost(dr: DestinationRule): void {
    const host = dr.spec?.host ?? '';
    if (!hostMatches(host, this.service, this.namespace)) {
      throw new ConfigurationError([
        {
          field: 'router.destinationRule',
          message: `expected the DestinationRule ${this.namespace}/${dr.metadata?.name} to be for host ${this.service}, found host "${host}"; name another rule with router.destinationRule`,
        },
      ]);
    }
  }
}
