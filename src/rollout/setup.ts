import { readFileSync } from 'node:fs';
import { clusterRequirementProblems } from '../config/cluster-requirements.js';
import { parseDuration } from '../config/duration.js';
import { ConfigurationError, problemCollector } from '../config/errors.js';
import { loadRolloutFile, type RolloutSpec } from '../config/load-rollout.js';
import { contextNamespace, type KubeClients, loadKubeConfig, makeKubeClients } from '../kube/client.js';
import { LeaseLock, runHolderIdentity, runIdentityFromEnv } from '../kube/lease.js';
import { createRouter } from '../mesh/registry.js';
import type { TrafficRouter } from '../mesh/router.js';
import { createMetricsSource } from '../metrics/registry.js';
import type { MetricsSource } from '../metrics/source.js';
import { KubeWorkloads } from './kube-workloads.js';
import { LeaseRolloutLock } from './lease-lock.js';
import { checkImageReference, readRolloutManifest } from './manifest.js';
import { readPrimarySnapshot } from './previous-primary.js';

export interface RolloutInputs {
  config: string;
  manifest: string;
  image: string;
  kubeconfig?: string;
  env?: Record<string, string | undefined>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Wait this long for another run's lock before giving up (default: fail at once). */
  lockWaitMs?: number;
  pollMs?: number;
}

export interface PreparedRollout {
  spec: RolloutSpec;
  kube: KubeClients;
  router: TrafficRouter;
  workloads: KubeWorkloads;
  lock: LeaseRolloutLock;
  leaseLock: LeaseLock;
  metrics: MetricsSource;
  holder: string;
}

/**
 * Reads and checks everything a Kubernetes rollout needs (config, manifest,
 * image, kubeconfig, metrics source), reporting every problem at once; it
 * writes nothing.
 */
export function prepareRollout(inputs: RolloutInputs): PreparedRollout {
  const env = inputs.env ?? process.env;
  const { problems, collect } = problemCollector();
  const kubeConfig = collect(() => loadKubeConfig({ kubeconfig: inputs.kubeconfig, env }));
  const spec = collect(() =>
    loadRolloutFile(inputs.config, { namespace: kubeConfig ? contextNamespace(kubeConfig) : undefined }),
  );
  const manifestText = collect(() => {
    try {
      return readFileSync(inputs.manifest, 'utf8');
    } catch {
      throw new ConfigurationError([
        {
          field: 'manifest',
          message: `cannot read "${inputs.manifest}": give the path of the rendered Deployment manifest`,
        },
      ]);
    }
  });
  const manifest =
    spec && manifestText !== undefined
      ? collect(() =>
          readRolloutManifest(
            manifestText,
            inputs.manifest,
            spec.service,
            spec.config.container,
            spec.namespace,
          ),
        )
      : undefined;
  const imageProblem = checkImageReference(inputs.image);
  if (imageProblem) problems.push(imageProblem);
  if (spec) problems.push(...clusterRequirementProblems(spec.config, { file: spec.file }));
  const metrics = spec?.source
    ? collect(() => createMetricsSource(spec.source as NonNullable<RolloutSpec['source']>, { env }))
    : undefined;
  if (problems.length > 0 || !spec || !kubeConfig || !manifest || !metrics) {
    void metrics?.close?.();
    throw new ConfigurationError(problems);
  }
  const kube = makeKubeClients(kubeConfig);
  const identity = runIdentityFromEnv(env);
  const holder = identity ? runHolderIdentity(identity) : `local/${process.pid}/${Date.now()}`;
  const router = createRouter(spec.config.router, {
    target: { service: spec.service, namespace: spec.namespace },
    kube,
    sleep: inputs.sleep,
    now: inputs.now,
  });
  const workloads = new KubeWorkloads({
    kube,
    service: spec.service,
    namespace: spec.namespace,
    manifest: manifest.deployment,
    manifestFile: inputs.manifest,
    configObjects: manifest.configObjects,
    ...(manifest.autoscaler ? { autoscaler: manifest.autoscaler } : {}),
    container: manifest.container,
    ...(spec.config.canaryReplicas !== undefined ? { canaryReplicas: spec.config.canaryReplicas } : {}),
    ...(spec.config.scaleDownDelay !== undefined
      ? { scaleDownDelayMs: parseDuration(spec.config.scaleDownDelay) as number }
      : {}),
    image: inputs.image,
    readyTimeoutMs: spec.readyTimeoutMs,
    now: inputs.now,
    sleep: inputs.sleep,
    pollMs: inputs.pollMs,
  });
  const leaseLock = new LeaseLock(kube.coordination, {
    namespace: spec.namespace,
    service: spec.service,
    holder,
    durationSeconds: spec.leaseDurationMs / 1000,
    now: inputs.now ? () => new Date((inputs.now as () => number)()) : undefined,
    sleep: inputs.sleep,
  });
  return {
    spec,
    kube,
    router,
    workloads,
    lock: new LeaseRolloutLock(leaseLock, holder, inputs.lockWaitMs, spec.config.router, () =>
      readPrimarySnapshot(kube, spec.namespace, spec.service),
    ),
    leaseLock,
    metrics,
    holder,
  };
}
