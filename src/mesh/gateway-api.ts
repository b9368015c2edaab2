import type { KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import { applyObject } from '../kube/apply.js';
import { lastForeignWriter } from '../kube/field-managers.js';
import { updateWithRetry } from '../kube/patch.js';
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

export interface GatewayApiRouterOptions {
  httpRoute: string;
  /** The rule to manage, by name. */
  rule?: string;
  /** How long to wait for the gateway controller to accept a change (default 60 s). */
  reconcileTimeoutMs?: number;
  /** Pause between reads while waiting (default 1 s). */
  pollIntervalMs?: number;
}

const API_VERSION = 'gateway.networking.k8s.io/v1';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

interface BackendRef {
  name: string;
  namespace?: string;
  group?: string;
  kind?: string;
  weight?: number;
  [field: string]: unknown;
}
interface Rule {
  name?: string;
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}
interface ParentRef {
  name: string;
  namespace?: string;
  group?: string;
  kind?: string;
  sectionName?: string;
  port?: number;
}
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
interface HTTPRoute extends KubernetesObject {
  spec?: { parentRefs?: ParentRef[]; rules?: Rule[]; [field: string]: unknown };
  status?: { parents?: { parentRef: ParentRef; controllerName?: string; conditions?: Condition[] }[] };
}

type RuleState =
  | { kind: 'managed'; primary: BackendRef; canary: BackendRef }
  | { kind: 'unmanaged'; template: BackendRef };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sameParent(a: ParentRef, b: ParentRef, routeNamespace: string): boolean {
  return (
    a.name === b.name &&
    (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
    (a.group ?? GATEWAY_GROUP) === (b.group ?? GATEWAY_GROUP) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}

export class GatewayApiRouter implements TrafficRouter {
  readonly provider = 'gateway-api';
  private readonly service: string;
  private readonly namespace: string;

  constructor(
    private readonly context: RouterContext,
    private readonly options: GatewayApiRouterOptions,
  ) {
    this.service = context.target.service;
    this.namespace = context.target.namespace;
  }

  private get where(): string {
    return `HTTPRoute ${this.namespace}/${this.options.httpRoute}`;
  }

  private get retry() {
    return this.context.sleep ? { sleep: this.context.sleep } : {};
  }

  async validate(): Promise<PlannedWrite[]> {
    const route = await this.readRoute();
    const state = this.ruleState(route);
    const root = await readRootService(this.context.kube, this.context.target);
    const services = trackServices(root, this.context.target);
    const writes = await servicesToApply(this.context.kube, services);
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) writes.push(narrow);
    if (state.kind === 'unmanaged') {
      writes.push({ verb: 'update', object: this.withWeights(structuredClone(route), ALL_PRIMARY) ?? route });
    }
    return writes;
  }

  async ensure(): Promise<void> {
    this.ruleState(await this.readRoute());
    const root = await readRootService(this.context.kube, this.context.target);
    const services = trackServices(root, this.context.target);
    // The Services first: a backendRef to a missing Service gets no traffic (ResolvedRefs false).
    for (const write of await servicesToApply(this.context.kube, services)) {
      await applyObject(this.context.kube.objects, write.object);
    }
    // The primary's pods are ready (the engine bootstraps before ensure), so narrowing loses none.
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) await applyObject(this.context.kube.objects, narrow.object);
    const stored = await this.updateRoute((current) =>
      this.ruleState(current).kind === 'unmanaged' ? this.withWeights(current, ALL_PRIMARY) : undefined,
    );
    await this.waitReconciled(stored);
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertWeights(weights);
    const stored = await this.updateRoute((current) => {
      if (this.ruleState(current).kind === 'unmanaged') {
        throw new Error(
          `${this.where} does not split traffic between ${primaryName(this.service)} and ${canaryName(this.service)} yet; run ensure() before setWeights()`,
        );
      }
      return this.withWeights(current, weights);
    });
    // Moving everything to the primary must not wait on a canary backend that vanished.
    const reconciled = await this.waitReconciled(stored, weights.canary === 0);
    const read = this.weightsOf(reconciled);
    if (!read) throw new Error(`${this.where} lost its primary/canary split while it was being written`);
    return read;
  }

  async weightsWriter(): Promise<string | undefined> {
    // `rules` is an atomic list: whoever wrote any rule owns all of them, backendRef weights included.
    return lastForeignWriter(await this.readRoute(), ['f:spec', 'f:rules']);
  }

  async getWeights(): Promise<Weights | undefined> {
    return this.weightsOf(await this.readRoute());
  }

  reset(): Promise<Weights> {
    return resetToPrimary(
      async () => this.weightsOf(await this.readRoute()),
      (weights) => this.setWeights(weights),
    );
  }

  private weightsOf(route: HTTPRoute): Weights | undefined {
    const state = this.ruleState(route);
    if (state.kind === 'unmanaged') return undefined;
    // Gateway API defaults an omitted weight to 1.
    return weightsFromRelative(state.primary.weight ?? 1, state.canary.weight ?? 1) ?? ALL_PRIMARY;
  }

  private async readRoute(): Promise<HTTPRoute> {
    try {
      return await this.context.kube.objects.read<HTTPRoute>({
        apiVersion: API_VERSION,
        kind: 'HTTPRoute',
        metadata: { name: this.options.httpRoute, namespace: this.namespace },
      });
    } catch (e: unknown) {
      if (isNotFound(e)) {
        throw new ConfigurationError([
          {
            field: 'router.httpRoute',
            message: `expected the ${this.where} to exist with a rule whose backendRefs include the Service ${this.service}, found none; create it (glidepath edits only that rule's backendRefs) or fix router.httpRoute`,
          },
        ]);
      }
      throw e;
    }
  }

  private updateRoute(change: (route: HTTPRoute) => HTTPRoute | undefined): Promise<HTTPRoute> {
    // Read-modify-write: `rules` and `backendRefs` are atomic lists, so an apply would own them all.
    return updateWithRetry<HTTPRoute>(
      this.context.kube.objects,
      { apiVersion: API_VERSION, kind: 'HTTPRoute', namespace: this.namespace, name: this.options.httpRoute },
      change,
      this.retry,
    );
  }

  private refersTo(ref: BackendRef, name: string): boolean {
    return (
      (ref.kind ?? 'Service') === 'Service' &&
      (ref.group ?? '') === '' &&
      ref.name === name &&
      (ref.namespace ?? this.namespace) === this.namespace
    );
  }

  private isOurs(ref: BackendRef): boolean {
    return [this.service, primaryName(this.service), canaryName(this.service)].some((n) =>
      this.refersTo(ref, n),
    );
  }

  private chooseRule(route: HTTPRoute): Rule {
    if ((route.spec?.parentRefs ?? []).length === 0) {
      throw new ConfigurationError([
        {
          field: 'router.httpRoute',
          message: `expected the ${this.where} to attach to a Gateway or Service (spec.parentRefs), found none; without a parent no controller routes it`,
        },
      ]);
    }
    const rules = route.spec?.rules ?? [];
    const label = (r: Rule, i: number) => (r.name ? `"${r.name}"` : `#${i}`);
    if (this.options.rule !== undefined) {
      const rule = rules.find((r) => r.name === this.options.rule);
      if (!rule) {
        throw new ConfigurationError([
          {
            field: 'router.rule',
            message: `expected a rule named "${this.options.rule}" in the ${this.where}, found ${rules.length === 0 ? 'no rules' : `rules ${rules.map(label).join(', ')}`}; fix router.rule`,
          },
        ]);
      }
      if (!(rule.backendRefs ?? []).some((r) => this.isOurs(r))) {
        throw new ConfigurationError([
          {
            field: 'router.rule',
            message: `expected rule "${this.options.rule}" of the ${this.where} to send traffic to the Service ${this.service}, but its backendRefs are ${(rule.backendRefs ?? []).map((r) => r.name).join(', ') || 'empty'}; pick the rule for ${this.service}`,
          },
        ]);
      }
      return rule;
    }
    const candidates = rules.filter((r) => (r.backendRefs ?? []).some((ref) => this.isOurs(ref)));
    if (candidates.length === 1) return candidates[0] as Rule;
    if (candidates.length === 0) {
      throw new ConfigurationError([
        {
          field: 'router.httpRoute',
          message: `expected a rule in the ${this.where} with a backendRef to the Service ${this.service}, found none; add one or point router.httpRoute at the route for ${this.service}`,
        },
      ]);
    }
    throw new ConfigurationError([
      {
        field: 'router.rule',
        message: `expected one rule sending traffic to the Service ${this.service} in the ${this.where}, found ${candidates.length} (${candidates.map((r) => label(r, rules.indexOf(r))).join(', ')}); give the rule to canary a name and set router.rule`,
      },
    ]);
  }

  private ruleState(route: HTTPRoute): RuleState {
    const rule = this.chooseRule(route);
    const refs = rule.backendRefs ?? [];
    const where = `rule ${rule.name ? `"${rule.name}"` : `#${(route.spec?.rules ?? []).indexOf(rule)}`} of the ${this.where}`;
    const others = refs.filter((r) => !this.isOurs(r));
    if (others.length > 0) {
      throw new ConfigurationError([
        {
          field: 'router.rule',
          message: `expected the ${where} to send all its traffic to ${this.service}, but it also sends to ${others.map((r) => r.name).join(', ')}; give the canaried service a rule of its own`,
        },
      ]);
    }
    const primary = refs.find((r) => this.refersTo(r, primaryName(this.service)));
    const canary = refs.find((r) => this.refersTo(r, canaryName(this.service)));
    if (refs.length === 2 && primary && canary) return { kind: 'managed', primary, canary };
    if (refs.length === 1 && this.refersTo(refs[0] as BackendRef, this.service)) {
      return { kind: 'unmanaged', template: refs[0] as BackendRef };
    }
    throw new ConfigurationError([
      {
        field: 'router.rule',
        message: `expected the ${where} to have one backendRef to ${this.service} (glidepath splits it into ${primaryName(this.service)} and ${canaryName(this.service)}), found ${refs.map((r) => r.name).join(', ')}; restore a single backendRef to ${this.service}`,
      },
    ]);
  }

  /** The chosen rule with two weighted backendRefs; matches, filters and other rules stay as they were. */
  private withWeights(route: HTTPRoute, weights: Weights): HTTPRoute | undefined {
    const state = this.ruleState(route);
    if (state.kind === 'managed') {
      if (state.primary.weight === weights.primary && state.canary.weight === weights.canary)
        return undefined;
      state.primary.weight = weights.primary;
      state.canary.weight = weights.canary;
      return route;
    }
    const rule = this.chooseRule(route);
    const to = (name: string, weight: number): BackendRef => ({
      ...structuredClone(state.template),
      name,
      weight,
    });
    rule.backendRefs = [
      to(primaryName(this.service), weights.primary),
      to(canaryName(this.service), weights.canary),
    ];
    return route;
  }

  /** Why the route's status does not yet vouch for its spec, or undefined when every parent accepted it. */
  private pending(route: HTTPRoute, allowUnresolved: boolean): string | undefined {
    const generation = route.metadata?.generation;
    const statuses = route.status?.parents ?? [];
    for (const parent of route.spec?.parentRefs ?? []) {
      const mine = statuses.filter((s) => sameParent(s.parentRef, parent, this.namespace));
      if (mine.length === 0) return `parent ${parent.kind ?? 'Gateway'} ${parent.name} has written no status`;
      for (const status of mine) {
        const accepted = status.conditions?.find((c) => c.type === 'Accepted');
        if (!accepted || accepted.observedGeneration !== generation) {
          return `parent ${parent.kind ?? 'Gateway'} ${parent.name} has not observed generation ${generation} (Accepted observedGeneration ${accepted?.observedGeneration ?? 'absent'})`;
        }
        if (accepted.status !== 'True') {
          throw new Error(
            `${this.where} was not accepted by ${parent.kind ?? 'Gateway'} ${parent.name}: ${accepted.reason ?? 'no reason'}: ${accepted.message ?? ''}; fix the route's parentRefs or the Gateway's allowedRoutes`,
          );
        }
        // Accepted alone does not vouch for the split: a backendRef that does not resolve gets its
        // share answered with 500s (Gateway API HTTPBackendRef: "ResolvedRefs ... False").
        const resolved = status.conditions?.find((c) => c.type === 'ResolvedRefs');
        if (!resolved || resolved.observedGeneration !== generation) {
          return `parent ${parent.kind ?? 'Gateway'} ${parent.name} has not resolved the references of generation ${generation} (ResolvedRefs observedGeneration ${resolved?.observedGeneration ?? 'absent'})`;
        }
        // The condition is route-wide: a missing backend of another rule sets it too, and that is
        // the user's to fix, not a reason to distrust this split. Implementations name the refs in
        // the message; one that names none is not trusted.
        const ours = [primaryName(this.service), canaryName(this.service)];
        const names = (route.spec?.rules ?? []).flatMap((r) => (r.backendRefs ?? []).map((b) => b.name));
        const message = resolved.message ?? '';
        const aboutOurs = ours.some((n) => message.includes(n)) || !names.some((n) => message.includes(n));
        if (resolved.status !== 'True' && aboutOurs && !allowUnresolved) {
          throw new Error(
            `${this.where}: ${parent.kind ?? 'Gateway'} ${parent.name} cannot resolve its backends (ResolvedRefs False, ${resolved.reason ?? 'no reason'}: ${resolved.message ?? ''}), so that share of requests fails; check that ${primaryName(this.service)} and ${canaryName(this.service)} exist and may be referenced`,
          );
        }
      }
    }
    return undefined;
  }

  /** Weights are trusted only once the gateway controller has acted on this generation of the route. */
  private async waitReconciled(written: HTTPRoute, allowUnresolved = false): Promise<HTTPRoute> {
    const sleep = this.context.sleep ?? defaultSleep;
    const now = this.context.now ?? Date.now;
    const timeout = this.options.reconcileTimeoutMs ?? 60_000;
    const poll = this.options.pollIntervalMs ?? 1000;
    const deadline = now() + timeout;
    let route = written;
    for (;;) {
      const why = this.pending(route, allowUnresolved);
      if (why === undefined) return route;
      if (now() >= deadline) {
        throw new Error(
          `${this.where} was not reconciled within ${Math.round(timeout / 1000)} s: ${why}; check that a Gateway API controller runs and owns the route's parent Gateway`,
        );
      }
      await sleep(poll);
      route = await this.readRoute();
    }
  }
}
