import { ApisApi, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { isNotFound } from '../kube/api-status.js';
import { applyObject, FIELD_MANAGER } from '../kube/apply.js';
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

export const SMI_GROUP = 'split.smi-spec.io';
export const SMI_VERSIONS = ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'] as const;

export interface SmiRouterOptions {
  /** Default: the service's name. */
  trafficSplit?: string;
  /** Default: the version the API server prefers for split.smi-spec.io. */
  apiVersion?: string;
}

interface Backend {
  service: string;
  weight: number | string;
  [field: string]: unknown;
}
interface TrafficSplit extends KubernetesObject {
  spec?: { service?: string; backends?: Backend[]; [field: string]: unknown };
}

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9 };

/** v1alpha1 weights are resource quantities ("500m", "1"); later versions are plain numbers. */
export function parseSmiWeight(weight: number | string | undefined): number {
  if (typeof weight === 'number') return weight;
  const m = /^\s*([0-9]+(?:\.[0-9]*)?)\s*(m|k|M|G)?\s*$/.exec(weight ?? '');
  if (!m) return Number.NaN;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] as number);
}

export class SmiRouter implements TrafficRouter {
  readonly provider = 'smi';
  private readonly service: string;
  private readonly namespace: string;
  private readonly name: string;
  private readonly apiVersion: string | undefined;
  /** The apiVersion checked against discovery, once known. */
  private resolved: string | undefined;

  constructor(
    private readonly context: RouterContext,
    options: SmiRouterOptions = {},
  ) {
    this.service = context.target.service;
    this.namespace = context.target.namespace;
    this.name = options.trafficSplit ?? context.target.service;
    this.apiVersion = options.apiVersion;
  }

  private get where(): string {
    return `TrafficSplit ${this.namespace}/${this.name}`;
  }

  private get retry() {
    return this.context.sleep ? { sleep: this.context.sleep } : {};
  }

  async validate(): Promise<PlannedWrite[]> {
    const apiVersion = await this.servedVersion();
    const root = await readRootService(this.context.kube, this.context.target);
    const services = trackServices(root, this.context.target);
    const writes = await servicesToApply(this.context.kube, services);
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) writes.push(narrow);
    const split = await this.readSplit();
    if (split === undefined) writes.push({ verb: 'create', object: this.newSplit(apiVersion) });
    else {
      const completed = this.complete(structuredClone(split));
      if (completed) writes.push({ verb: 'update', object: completed });
    }
    return writes;
  }

  async ensure(): Promise<void> {
    const apiVersion = await this.servedVersion();
    const root = await readRootService(this.context.kube, this.context.target);
    const services = trackServices(root, this.context.target);
    for (const write of await servicesToApply(this.context.kube, services)) {
      await applyObject(this.context.kube.objects, write.object);
    }
    // The primary's pods are ready (the engine bootstraps before ensure), so narrowing loses none.
    const narrow = stableOnlyRoot(root, this.context.target);
    if (narrow) await applyObject(this.context.kube.objects, narrow.object);
    const split = await this.readSplit();
    if (split === undefined) {
      await this.context.kube.objects.create(this.newSplit(apiVersion), undefined, undefined, FIELD_MANAGER);
      return;
    }
    await this.updateSplit((current) => this.complete(current));
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertWeights(weights);
    const stored = await this.updateSplit((current) => {
      const backends = this.backends(current);
      if (!backends.primary || !backends.canary) {
        throw new Error(
          `${this.where} does not split traffic between ${primaryName(this.service)} and ${canaryName(this.service)} yet; run ensure() before setWeights()`,
        );
      }
      const want = { primary: this.weightValue(weights.primary), canary: this.weightValue(weights.canary) };
      if (backends.primary.weight === want.primary && backends.canary.weight === want.canary)
        return undefined;
      backends.primary.weight = want.primary;
      backends.canary.weight = want.canary;
      return current;
    });
    const read = this.weightsOf(stored);
    if (!read) throw new Error(`${this.where} lost its primary/canary backends while it was being written`);
    return read;
  }

  async getWeights(): Promise<Weights | undefined> {
    const split = await this.readSplit();
    return split === undefined ? undefined : this.weightsOf(split);
  }

  reset(): Promise<Weights> {
    return resetToPrimary(
      async () => await this.getWeights(),
      (weights) => this.setWeights(weights),
    );
  }

  private weightValue(percent: number): number | string {
    // v1alpha1 declares weight as a Quantity (int-or-string); a whole number string is one.
    return this.resolved === `${SMI_GROUP}/v1alpha1` ? String(percent) : percent;
  }

  private weightsOf(split: TrafficSplit): Weights | undefined {
    const { primary, canary } = this.backends(split);
    if (!primary || !canary) return undefined;
    const p = parseSmiWeight(primary.weight);
    const c = parseSmiWeight(canary.weight);
    if (Number.isNaN(p) || Number.isNaN(c)) {
      throw new Error(`${this.where} has weights glidepath cannot read: ${primary.weight}, ${canary.weight}`);
    }
    return weightsFromRelative(p, c) ?? ALL_PRIMARY;
  }

  /** The split's two backends; throws when it belongs to another service or splits to others. */
  private backends(split: TrafficSplit): { primary?: Backend; canary?: Backend } {
    const spec = split.spec ?? {};
    if (spec.service !== this.service) {
      throw new ConfigurationError([
        {
          field: 'router.trafficSplit',
          message: `expected the ${this.where} to split the Service ${this.service}, found spec.service "${spec.service}"; name another TrafficSplit with router.trafficSplit`,
        },
      ]);
    }
    const backends = spec.backends ?? [];
    const ours = [primaryName(this.service), canaryName(this.service)];
    const others = backends.filter((b) => !ours.includes(b.service));
    if (others.length > 0) {
      throw new ConfigurationError([
        {
          field: 'router.trafficSplit',
          message: `expected the ${this.where} to have only the backends ${ours.join(' and ')}, found also ${others.map((b) => b.service).join(', ')}; remove them (glidepath owns this split) or name another TrafficSplit with router.trafficSplit`,
        },
      ]);
    }
    return {
      ...(backends.find((b) => b.service === ours[0])
        ? { primary: backends.find((b) => b.service === ours[0]) }
        : {}),
      ...(backends.find((b) => b.service === ours[1])
        ? { canary: backends.find((b) => b.service === ours[1]) }
        : {}),
    };
  }

  private complete(split: TrafficSplit): TrafficSplit | undefined {
    const { primary, canary } = this.backends(split);
    if (primary && canary) return undefined;
    // A half-made split is reset to 100 % primary: glidepath cannot know what the missing half carried.
    split.spec = {
      ...split.spec,
      backends: [
        { ...(primary ?? {}), service: primaryName(this.service), weight: this.weightValue(100) },
        { ...(canary ?? {}), service: canaryName(this.service), weight: this.weightValue(0) },
      ],
    };
    return split;
  }

  private newSplit(apiVersion: string): TrafficSplit {
    return {
      apiVersion,
      kind: 'TrafficSplit',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'glidepath' },
      },
      spec: {
        service: this.service,
        backends: [
          { service: primaryName(this.service), weight: this.weightValue(100) },
          { service: canaryName(this.service), weight: this.weightValue(0) },
        ],
      },
    };
  }

  /** The configured apiVersion (checked to be served), else the one the API server prefers (Linkerd's SMI extension serves v1alpha1/2, the SMI CRD v1alpha4). */
  private async servedVersion(): Promise<string> {
    if (this.resolved !== undefined) return this.resolved;
    const groups = await this.context.kube.config.makeApiClient(ApisApi).getAPIVersions();
    const group = groups.groups.find((g) => g.name === SMI_GROUP);
    if (!group) {
      throw new ConfigurationError([
        {
          field: 'router.provider',
          message: `expected the cluster to serve ${SMI_GROUP} (the SMI TrafficSplit CRD), found no such API group; install the mesh's SMI extension (e.g. linkerd-smi) or choose another router.provider`,
        },
      ]);
    }
    if (this.apiVersion !== undefined) {
      if (!group.versions.some((v) => v.groupVersion === this.apiVersion)) {
        throw new ConfigurationError([
          {
            field: 'router.apiVersion',
            message: `expected the cluster to serve ${this.apiVersion}, but it serves ${group.versions.map((v) => v.groupVersion).join(', ')}; set router.apiVersion to one of those or leave it out`,
          },
        ]);
      }
      this.resolved = this.apiVersion;
      return this.resolved;
    }
    const known: readonly string[] = SMI_VERSIONS;
    const preferred = group.preferredVersion?.version;
    const version =
      preferred && known.includes(preferred)
        ? preferred
        : SMI_VERSIONS.find((v) => group.versions.some((gv) => gv.version === v));
    if (!version) {
      throw new ConfigurationError([
        {
          field: 'router.apiVersion',
          message: `expected the cluster to serve one of ${SMI_VERSIONS.map((v) => `${SMI_GROUP}/${v}`).join(', ')}, found ${group.versions.map((v) => v.groupVersion).join(', ')}`,
        },
      ]);
    }
    this.resolved = `${SMI_GROUP}/${version}`;
    return this.resolved;
  }

  private async readSplit(): Promise<TrafficSplit | undefined> {
    const apiVersion = await this.servedVersion();
    try {
      return await this.context.kube.objects.read<TrafficSplit>({
        apiVersion,
        kind: 'TrafficSplit',
        metadata: { name: this.name, namespace: this.namespace },
      });
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async updateSplit(
    change: (split: TrafficSplit) => TrafficSplit | undefined,
  ): Promise<TrafficSplit> {
    const apiVersion = await this.servedVersion();
    // Read-modify-write: `backends` is an atomic list in every TrafficSplit version.
    return updateWithRetry<TrafficSplit>(
      this.context.kube.objects,
      { apiVersion, kind: 'TrafficSplit', namespace: this.namespace, name: this.name },
      change,
      this.retry,
    );
  }
}
