import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import { FIELD_MANAGER } from '../kube/apply.js';
import { lastForeignWriter } from '../kube/field-managers.js';
import { updateWithRetry } from '../kube/patch.js';
import {
  ALL_PRIMARY,
  assertWeights,
  type PlannedWrite,
  type RouterContext,
  TRACK_LABEL,
  type TrafficRouter,
  type Weights,
  weightsFromRelative,
} from './router.js';

export interface IstioRouterOptions {
  virtualService: string;
  /** The `http` route to manage, by name. */
  route?: string;
  /** The DestinationRule holding the subsets; default: the one for the service's host, else `<svc>`. */
  destinationRule?: string;
}

const API_VERSION = 'networking.istio.io/v1';
/** meshConfig.rootNamespace's default. */
const ROOT_NAMESPACE = 'istio-system';
const PRIMARY_SUBSET = 'primary';
const CANARY_SUBSET = 'canary';
const SUBSET_TRACKS: Record<string, string> = { [PRIMARY_SUBSET]: 'stable', [CANARY_SUBSET]: 'canary' };

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
interface Subset {
  name: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}
interface DestinationRule extends KubernetesObject {
  spec?: { host?: string; subsets?: Subset[]; [field: string]: unknown };
}

/** The route's split: managed (our two subsets) or a single destination to convert. */
type RouteState =
  | { kind: 'managed'; primary: RouteDestination; canary: RouteDestination }
  | { kind: 'unmanaged'; template: RouteDestination };

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

  async validate(): Promise<PlannedWrite[]> {
    const vs = await this.readVirtualService();
    const index = this.chooseRoute(vs);
    const state = this.routeState(vs, index);
    const writes: PlannedWrite[] = [];
    const dr = await this.findDestinationRule();
    if (dr.existing === undefined)
      writes.push({ verb: 'create', object: this.newDestinationRule(dr.name, dr.inherited) });
    else {
      const completed = this.completeSubsets(structuredClone(dr.existing));
      if (completed) writes.push({ verb: 'update', object: completed });
    }
    if (state.kind === 'unmanaged') {
      writes.push({ verb: 'update', object: this.splitRoute(structuredClone(vs), ALL_PRIMARY) ?? vs });
    }
    return writes;
  }

  async ensure(): Promise<void> {
    const vs = await this.readVirtualService();
    this.routeState(vs, this.chooseRoute(vs));
    const dr = await this.findDestinationRule();
    // Subsets first: a route to a subset that does not exist yet answers 503.
    if (dr.existing === undefined) {
      await this.context.kube.objects.create(
        this.newDestinationRule(dr.name, dr.inherited),
        undefined,
        undefined,
        FIELD_MANAGER,
      );
    } else {
      await updateWithRetry<DestinationRule>(
        this.context.kube.objects,
        { apiVersion: API_VERSION, kind: 'DestinationRule', namespace: this.namespace, name: dr.name },
        (current) => this.completeSubsets(current),
        this.retry,
      );
    }
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
          `${this.vsWhere} does not split traffic between subsets "${PRIMARY_SUBSET}" and "${CANARY_SUBSET}" yet; run ensure() before setWeights()`,
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

  async reset(): Promise<Weights> {
    let current: Weights | undefined;
    try {
      current = this.weightsOf(await this.readVirtualService());
    } catch (e: unknown) {
      // Without a route that glidepath split, it never sent traffic to the canary: nothing to undo.
      if (e instanceof ConfigurationError) return ALL_PRIMARY;
      throw e;
    }
    if (current === undefined) return ALL_PRIMARY;
    return this.setWeights(ALL_PRIMARY);
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

  private toService(route: HttpRoute): boolean {
    return (route.route ?? []).some((d) =>
      hostMatches(d.destination?.host ?? '', this.service, this.namespace),
    );
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
    const others = destinations.filter(
      (d) => !hostMatches(d.destination?.host ?? '', this.service, this.namespace),
    );
    if (others.length > 0) {
      throw new ConfigurationError([
        {
          field: 'router.route',
          message: `expected the ${where} to send all its traffic to ${this.service}, but it also sends to ${others.map((d) => d.destination.host).join(', ')}; give the canaried service a route of its own`,
        },
      ]);
    }
    const primary = destinations.find((d) => d.destination.subset === PRIMARY_SUBSET);
    const canary = destinations.find((d) => d.destination.subset === CANARY_SUBSET);
    if (destinations.length === 2 && primary && canary) return { kind: 'managed', primary, canary };
    if (destinations.length === 1)
      return { kind: 'unmanaged', template: destinations[0] as RouteDestination };
    throw new ConfigurationError([
      {
        field: 'router.route',
        message: `expected the ${where} to have one destination (glidepath splits it into subsets "${PRIMARY_SUBSET}" and "${CANARY_SUBSET}"), found ${destinations.length} (subsets ${destinations.map((d) => d.destination.subset ?? '(none)').join(', ')}); remove the existing split first`,
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
    const to = (subset: string, weight: number): RouteDestination => ({
      ...structuredClone(template),
      destination: { ...structuredClone(template.destination), subset },
      weight,
    });
    route.route = [to(PRIMARY_SUBSET, weights.primary), to(CANARY_SUBSET, weights.canary)];
    return vs;
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
    const clash = list.items.find((dr) => dr.metadata?.name === this.service);
    if (clash) this.checkRuleHost(clash);
    return { name: this.service, inherited: await this.ruleElsewhere() };
  }

  /**
   * Istio picks a client's DestinationRule for a host from the client's namespace first, then the
   * service's, then the root namespace (Istio docs, "Destination Rule": "rule lookup path").
   * A rule for the host in a client namespace would hide glidepath's subsets from those clients
   * (their requests to subset `canary` fail), so it is refused; a root-namespace rule's
   * trafficPolicy (often mTLS) is carried into the rule glidepath creates, which would shadow it.
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
          message: `found DestinationRule(s) for ${fqdn} in other namespaces (${clients.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`).join(', ')}); Istio applies those to clients in their namespace, which would then not know the subsets "${PRIMARY_SUBSET}"/"${CANARY_SUBSET}". Move their settings into a rule in ${this.namespace} (or add the subsets there) and retry`,
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

  private subset(name: string): Subset {
    return { name, labels: { [TRACK_LABEL]: SUBSET_TRACKS[name] as string } };
  }

  private newDestinationRule(name: string, inherited?: DestinationRule): DestinationRule {
    const policy = inherited?.spec?.trafficPolicy;
    return {
      apiVersion: API_VERSION,
      kind: 'DestinationRule',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'glidepath' },
        ...(inherited
          ? {
              annotations: {
                'glidepath.dev/copied-from': `${inherited.metadata?.namespace}/${inherited.metadata?.name}`,
              },
            }
          : {}),
      },
      spec: {
        host: `${this.service}.${this.namespace}.svc.cluster.local`,
        ...(policy !== undefined ? { trafficPolicy: structuredClone(policy) } : {}),
        subsets: [this.subset(PRIMARY_SUBSET), this.subset(CANARY_SUBSET)],
      },
    };
  }

  /** Adds the missing subsets, keeping the user's trafficPolicy and other subsets; undefined when complete. */
  private completeSubsets(dr: DestinationRule): DestinationRule | undefined {
    const spec = dr.spec ?? {};
    const subsets = spec.subsets ?? [];
    let changed = false;
    for (const name of [PRIMARY_SUBSET, CANARY_SUBSET]) {
      const found = subsets.find((s) => s.name === name);
      const track = SUBSET_TRACKS[name] as string;
      if (!found) {
        subsets.push(this.subset(name));
        changed = true;
      } else if (found.labels?.[TRACK_LABEL] !== track) {
        throw new ConfigurationError([
          {
            field: 'router.destinationRule',
            message: `expected subset "${name}" of the DestinationRule ${this.namespace}/${dr.metadata?.name} to select pods with ${TRACK_LABEL}: ${track}, found labels ${JSON.stringify(found.labels ?? {})}; rename that subset (glidepath owns "${PRIMARY_SUBSET}" and "${CANARY_SUBSET}") or set the label`,
          },
        ]);
      }
    }
    if (!changed) return undefined;
    dr.spec = { ...spec, subsets };
    return dr;
  }
}
