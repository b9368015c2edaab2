import type { V1Deployment } from '@kubernetes/client-node';
import { isNotFound } from '../kube/api-status.js';
import { applyObject } from '../kube/apply.js';
import type { KubeClients } from '../kube/client.js';
import { updateWithRetry } from '../kube/patch.js';
import { waitForDeploymentRollout } from '../kube/wait.js';
import { canaryName, type PlannedWrite, primaryName, TRACK_LABEL } from '../mesh/router.js';
import type { Workloads } from './workloads.js';

export interface KubeWorkloadsOptions {
  kube: KubeClients;
  service: string;
  namespace: string;
  /** The user's Deployment as rendered (kustomize/helm output). */
  manifest: V1Deployment;
  /** name@sha256:… */
  image: string;
  /** Which container gets the new image: the one named like the service, else the first. */
  container?: string;
  readyTimeoutMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

/**
 * `<svc>-primary` (stable) and `<svc>-canary` as Deployments whose pods carry
 * `glidepath.dev/track`, derived from the user's Deployment.
 */
export class KubeWorkloads implements Workloads {
  readonly revision: string;
  private previousPrimary: V1Deployment | undefined;

  constructor(private readonly options: KubeWorkloadsOptions) {
    this.revision = options.image;
  }

  private async read(name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.options.kube.apps.readNamespacedDeployment({
        name,
        namespace: this.options.namespace,
      });
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async validate(): Promise<PlannedWrite[]> {
    const writes: PlannedWrite[] = [];
    const primary = await this.read(primaryName(this.options.service));
    if (!primary) {
      const current = await this.read(this.options.service);
      writes.push({
        verb: 'apply',
        object: this.derive(current ?? this.options.manifest, 'stable', undefined),
      });
    }
    writes.push({ verb: 'apply', object: this.derive(this.options.manifest, 'canary', this.options.image) });
    return writes;
  }

  async ensurePrimary(): Promise<boolean> {
    if (await this.read(primaryName(this.options.service))) return false;
    // First rollout: the primary starts as what runs now, so no traffic moves to an untested version.
    const current = await this.read(this.options.service);
    await applyObject(
      this.options.kube.objects,
      this.derive(current ?? this.options.manifest, 'stable', undefined),
    );
    await this.waitReady(primaryName(this.options.service));
    if (current) await this.scale(this.options.service, 0);
    return true;
  }

  async deployCanary(): Promise<void> {
    await applyObject(
      this.options.kube.objects,
      this.derive(this.options.manifest, 'canary', this.options.image),
    );
    await this.waitReady(canaryName(this.options.service));
  }

  async promotePrimary(): Promise<void> {
    const before = await this.read(primaryName(this.options.service));
    if (before?.spec) this.previousPrimary = before;
    await applyObject(
      this.options.kube.objects,
      this.derive(this.options.manifest, 'stable', this.options.image),
    );
    await this.waitReady(primaryName(this.options.service));
  }

  async revertPrimary(): Promise<void> {
    const previous = this.previousPrimary;
    if (!previous) return;
    const name = primaryName(this.options.service);
    // Server-side apply drops fields glidepath owned and leaves out, so the whole object goes back.
    await applyObject(this.options.kube.objects, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: previous.metadata?.labels,
        annotations: previous.metadata?.annotations,
      },
      spec: structuredClone(previous.spec),
    } as V1Deployment);
    await this.waitReady(name);
  }

  async scaleDownCanary(): Promise<void> {
    if (await this.read(canaryName(this.options.service)))
      await this.scale(canaryName(this.options.service), 0);
  }

  private async scale(name: string, replicas: number): Promise<void> {
    await updateWithRetry<V1Deployment>(
      this.options.kube.objects,
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.options.namespace, name },
      (current) =>
        current.spec?.replicas === replicas
          ? undefined
          : { ...current, spec: { ...current.spec, replicas } as V1Deployment['spec'] },
      { sleep: this.options.sleep },
    );
  }

  private async waitReady(name: string): Promise<void> {
    await waitForDeploymentRollout(this.options.kube.apps, this.options.namespace, name, {
      timeoutMs: this.options.readyTimeoutMs,
      now: this.options.now,
      sleep: this.options.sleep,
      pollMs: this.options.pollMs,
    });
  }

  /** The track's Deployment: the source's spec with the track label on selector and pods, and the image when given. */
  private derive(source: V1Deployment, track: 'stable' | 'canary', image: string | undefined): V1Deployment {
    const name = track === 'stable' ? primaryName(this.options.service) : canaryName(this.options.service);
    const spec = structuredClone(source.spec) as NonNullable<V1Deployment['spec']>;
    spec.selector = {
      ...spec.selector,
      matchLabels: { ...spec.selector?.matchLabels, [TRACK_LABEL]: track },
    };
    spec.template.metadata = {
      ...spec.template.metadata,
      labels: { ...spec.template.metadata?.labels, [TRACK_LABEL]: track },
    };
    if (image) {
      const containers = spec.template.spec?.containers ?? [];
      const target =
        containers.find((c) => c.name === (this.options.container ?? this.options.service)) ?? containers[0];
      if (target) target.image = image;
    }
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: {
          ...source.metadata?.labels,
          [TRACK_LABEL]: track,
          'app.kubernetes.io/managed-by': 'glidepath',
        },
        annotations: { 'glidepath.dev/service': this.options.service },
      },
      spec,
    };
  }
}
