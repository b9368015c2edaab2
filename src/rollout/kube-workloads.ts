import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import { applyObject, FIELD_MANAGER } from '../kube/apply.js';
import type { KubeClients } from '../kube/client.js';
import { scaleDeployment } from '../kube/scale.js';
import { waitForDeploymentRollout } from '../kube/wait.js';
import { canaryName, type PlannedWrite, primaryName, TRACK_LABEL } from '../mesh/router.js';
import { findAutoscaler, primaryAutoscaler } from './autoscaler.js';
import { planTrackConfig } from './config-objects.js';
import { copiedLabels, MANAGED_BY } from './labels.js';
import { CLEANUP_RESERVE_MS, type CleanupBudget, CleanupDeferredError } from './retry-policy.js';
import type { Workloads } from './workloads.js';

export interface KubeWorkloadsOptions {
  kube: KubeClients;
  service: string;
  namespace: string;
  /** The user's Deployment as rendered (kustomize/helm output). */
  manifest: V1Deployment;
  /** The manifest file, for error messages. */
  manifestFile?: string;
  /** The manifest's ConfigMaps and Secrets, copied per track when the pod spec references them. */
  configObjects?: KubernetesObject[];
  /** The manifest's HPA for the Deployment, if any (else the cluster's is copied). */
  autoscaler?: KubernetesObject;
  /** name@sha256:… */
  image: string;
  /** Which container gets the new image (chosen and checked when the manifest was read). */
  container?: string;
  /** A fixed canary size, or `weight` (default): its share of the primary's replicas, at least 1. */
  canaryReplicas?: number | 'weight';
  /** Wait after the route moved back before scaling the canary down (default 30 s). */
  scaleDownDelayMs?: number;
  readyTimeoutMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

type Track = 'stable' | 'canary';

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Argo Rollouts' `scaleDownDelaySeconds` default: proxies (Envoy via xDS, a gateway's data plane)
 * take seconds to get a new route, and until then they still send the canary's share to its pods.
 */
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30_000;

/**
 * `<svc>-primary` (stable) and `<svc>-canary` as Deployments whose pods carry
 * `glidepath.dev/track`, derived from the user's Deployment. Replica counts are never part of
 * what glidepath applies: they go through `/scale`, so an HPA (or a person) that owns them keeps
 * them across promotions.
 */
export class KubeWorkloads implements Workloads {
  readonly revision: string;
  private previousPrimary: V1Deployment | undefined;
  /** When the canary may be scaled down: the first scale-down attempt plus scaleDownDelay. */
  private scaleDownAt: number | undefined;

  constructor(private readonly options: KubeWorkloadsOptions) {
    this.revision = options.image;
  }

  private get retry() {
    return this.options.sleep ? { sleep: this.options.sleep } : {};
  }

  private get ns(): string {
    return this.options.namespace;
  }

  private async read(name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.options.kube.apps.readNamespacedDeployment({ name, namespace: this.ns });
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async validate(): Promise<PlannedWrite[]> {
    const writes: PlannedWrite[] = [];
    const primary = await this.read(primaryName(this.options.service));
    const canary = await this.read(canaryName(this.options.service));
    const current = await this.read(this.options.service);
    const stable = await this.derive(
      primary ? this.options.manifest : (current ?? this.options.manifest),
      'stable',
      undefined,
      !primary && current !== undefined,
    );
    const next = await this.derive(this.options.manifest, 'canary', this.options.image);
    this.checkSelector(primary, stable.deployment);
    this.checkSelector(canary, next.deployment);
    // Promotion needs the stable track's copies of the manifest's ConfigMaps/Secrets too: check now.
    await this.derive(this.options.manifest, 'stable', this.options.image);
    if (!primary) writes.push(...stable.config.map(apply), apply(stable.deployment));
    const hpa = await this.autoscalerCopy();
    if (hpa) writes.push(apply(hpa));
    writes.push(...next.config.map(apply), apply(next.deployment));
    return writes;
  }

  async ensurePrimary(): Promise<boolean> {
    const name = primaryName(this.options.service);
    const current = await this.read(this.options.service);
    let created = false;
    if (!(await this.read(name))) {
      // First rollout: the primary starts as what runs now, so no traffic moves to an untested version.
      const stable = await this.derive(
        current ?? this.options.manifest,
        'stable',
        undefined,
        current !== undefined,
      );
      for (const object of stable.config) await applyObject(this.options.kube.objects, object);
      await applyObject(this.options.kube.objects, stable.deployment);
      const replicas = current?.spec?.replicas || this.options.manifest.spec?.replicas || 1;
      await scaleDeployment(this.options.kube, this.ns, name, replicas, this.retry);
      created = true;
    }
    // Every step is re-checked on every run: a run that died after creating the primary left the
    // rest undone (the HPA copy, the user's Deployment still serving).
    const hpa = await this.autoscalerCopy();
    if (hpa) await applyObject(this.options.kube.objects, hpa);
    await this.waitReady(name);
    if (current && current.spec?.replicas !== 0)
      await scaleDeployment(this.options.kube, this.ns, this.options.service, 0, this.retry);
    return created;
  }

  async deployCanary(): Promise<void> {
    const name = canaryName(this.options.service);
    const canary = await this.derive(this.options.manifest, 'canary', this.options.image);
    for (const object of canary.config) await applyObject(this.options.kube.objects, object);
    await applyObject(this.options.kube.objects, canary.deployment);
    // A canary left at 0 by the last rollout keeps 0 (replicas are not applied): one pod to start.
    const live = await this.read(name);
    if ((live?.spec?.replicas ?? 0) === 0)
      await scaleDeployment(this.options.kube, this.ns, name, 1, this.retry);
    await this.waitReady(name);
  }

  /** Scales the canary for a step before its weight moves there, and waits until the pods are ready. */
  async sizeCanary(weight: number): Promise<number> {
    const fixed = this.options.canaryReplicas;
    let replicas: number;
    if (typeof fixed === 'number') replicas = fixed;
    else {
      const primary = await this.read(primaryName(this.options.service));
      // Argo Rollouts sizes the canary as ceil(spec.replicas × weight / 100) (rollout/canary.go).
      replicas = Math.max(1, Math.ceil(((primary?.spec?.replicas ?? 1) * weight) / 100));
    }
    const name = canaryName(this.options.service);
    await scaleDeployment(this.options.kube, this.ns, name, replicas, this.retry);
    await this.waitReady(name);
    return replicas;
  }

  async promotePrimary(): Promise<void> {
    const name = primaryName(this.options.service);
    const before = await this.read(name);
    if (before?.spec) this.previousPrimary = before;
    const stable = await this.derive(this.options.manifest, 'stable', this.options.image);
    for (const object of stable.config) await applyObject(this.options.kube.objects, object);
    const deployment = stable.deployment;
    // A primary that an older glidepath created owns `replicas` in its applied configuration; leaving
    // the field out would make the server drop it and default it to 1 while the primary takes 100 %.
    if (before && appliedReplicas(before) && deployment.spec)
      deployment.spec.replicas = before.spec?.replicas;
    await applyObject(this.options.kube.objects, deployment);
    await this.waitReady(name);
  }

  async revertPrimary(): Promise<void> {
    const previous = this.previousPrimary;
    if (!previous) return;
    const name = primaryName(this.options.service);
    const spec = structuredClone(previous.spec) as NonNullable<V1Deployment['spec']>;
    if (!appliedReplicas(previous)) delete spec.replicas;
    // Server-side apply drops fields glidepath owned and leaves out, so the whole spec goes back.
    await applyObject(this.options.kube.objects, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: this.ns,
        labels: previous.metadata?.labels,
        annotations: previous.metadata?.annotations,
      },
      spec,
    } as V1Deployment);
    await this.waitReady(name);
  }

  async scaleDownCanary(budget?: CleanupBudget): Promise<void> {
    const name = canaryName(this.options.service);
    const canary = await this.read(name);
    if (!canary || canary.spec?.replicas === 0) return;
    // The route has moved back (the router waited for the controller's status where it has one);
    // proxies that have not received it yet still send the canary's share until the delay ends.
    // The delay runs once from the first attempt: a retry after a failed write must not wait it again.
    const now = budget?.now ?? this.options.now ?? Date.now;
    this.scaleDownAt ??= now() + (this.options.scaleDownDelayMs ?? DEFAULT_SCALE_DOWN_DELAY_MS);
    const delay = this.scaleDownAt - now();
    if (delay > 0 && budget) {
      // A cancelled job has 7.5 s before SIGKILL (CANCELLED_CLEANUP_BUDGET_MS): scaling down early
      // would cut off the stale proxies' share, overrunning would leave the Lease unrecorded. The
      // canary stays up and the rollout `rolling-back`; the post step or janitor, which come later
      // than the delay, scale it down.
      const left = budget.deadlineAt - budget.now() - CLEANUP_RESERVE_MS;
      if (delay > left) {
        throw new CleanupDeferredError(
          `${name} is left scaled up: the rest of its scaleDownDelay (${Math.ceil(delay / 1000)} s) does not fit the ${Math.max(0, Math.floor(left / 1000))} s of cleanup time left; the post step or \`glidepath janitor\` scales it down later`,
        );
      }
    }
    if (delay > 0) await (this.options.sleep ?? defaultSleep)(delay);
    await scaleDeployment(this.options.kube, this.ns, name, 0, this.retry);
    this.scaleDownAt = undefined;
  }

  private async waitReady(name: string): Promise<void> {
    await waitForDeploymentRollout(this.options.kube.apps, this.ns, name, {
      timeoutMs: this.options.readyTimeoutMs,
      now: this.options.now,
      sleep: this.options.sleep,
      pollMs: this.options.pollMs,
    });
  }

  private async autoscalerCopy(): Promise<KubernetesObject | undefined> {
    const source = await findAutoscaler(
      this.options.kube,
      this.ns,
      this.options.service,
      this.options.autoscaler,
    );
    return source ? primaryAutoscaler(source, this.options.service, this.ns) : undefined;
  }

  /** A Deployment's selector is immutable: a change would be refused (422) in the middle of a rollout. */
  private checkSelector(live: V1Deployment | undefined, wanted: V1Deployment): void {
    if (!live) return;
    const key = (d: V1Deployment) => JSON.stringify(sorted(d.spec?.selector?.matchLabels ?? {}));
    const expressions = (d: V1Deployment) => JSON.stringify(d.spec?.selector?.matchExpressions ?? []);
    if (key(live) === key(wanted) && expressions(live) === expressions(wanted)) return;
    throw new ConfigurationError([
      {
        file: this.options.manifestFile,
        field: 'spec.selector',
        message: `selects ${JSON.stringify(wanted.spec?.selector?.matchLabels ?? {})} with the track label, but the live ${live.metadata?.name} selects ${JSON.stringify(live.spec?.selector?.matchLabels ?? {})}, and a Deployment's selector cannot change (Kubernetes refuses it as immutable). Keep the old selector, or delete ${primaryName(this.options.service)} and ${canaryName(this.options.service)} so glidepath recreates them (the next rollout bootstraps again)`,
      },
    ]);
  }

  /**
   * The track's Deployment (the source's spec with the track label on selector and pods, the image
   * when given, no replicas) and the ConfigMap/Secret copies its pods reference.
   * `live`: the source is the running Deployment, whose references already exist.
   */
  private async derive(
    source: V1Deployment,
    track: Track,
    image: string | undefined,
    live = false,
  ): Promise<{ deployment: V1Deployment; config: KubernetesObject[] }> {
    const name = track === 'stable' ? primaryName(this.options.service) : canaryName(this.options.service);
    const spec = structuredClone(source.spec) as NonNullable<V1Deployment['spec']>;
    delete spec.replicas;
    spec.selector = {
      ...spec.selector,
      matchLabels: { ...spec.selector?.matchLabels, [TRACK_LABEL]: track },
    };
    spec.template.metadata = {
      ...spec.template.metadata,
      labels: { ...spec.template.metadata?.labels, [TRACK_LABEL]: track },
    };
    if (image) {
      const target = (spec.template.spec?.containers ?? []).find(
        (c) => c.name === (this.options.container ?? this.options.service),
      );
      if (target) target.image = image;
    }
    const config = live
      ? []
      : await planTrackConfig({
          kube: this.options.kube,
          namespace: this.ns,
          service: this.options.service,
          pod: spec.template.spec,
          manifestObjects: this.options.configObjects ?? [],
          track,
          file: this.options.manifestFile,
        });
    return {
      deployment: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace: this.ns,
          labels: { ...copiedLabels(source.metadata?.labels), [TRACK_LABEL]: track, ...MANAGED_BY },
          annotations: { 'glidepath.dev/service': this.options.service },
        },
        spec,
      },
      config,
    };
  }
}

function apply(object: KubernetesObject): PlannedWrite {
  return { verb: 'apply', object };
}

function sorted(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

/** Does glidepath's applied configuration (not a `/scale` write) own `spec.replicas`? */
function appliedReplicas(deployment: V1Deployment): boolean {
  return (deployment.metadata?.managedFields ?? []).some(
    (entry) =>
      entry.manager === FIELD_MANAGER &&
      entry.operation === 'Apply' &&
      !entry.subresource &&
      (entry.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'] !==
        undefined,
  );
}
