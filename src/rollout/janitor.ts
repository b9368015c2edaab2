import type { V1Lease } from '@kubernetes/client-node';
import { rolloutSchema } from '../config/rollout.js';
import { describeApiError, isNotFound } from '../kube/api-status.js';
import type { KubeClients } from '../kube/client.js';
import { updateWithRetry } from '../kube/patch.js';
import { ROLLOUT_ANNOTATIONS, readRolloutState, rolloutStateAnnotations } from '../kube/rollout-state.js';
import { scaleDeployment } from '../kube/scale.js';
import { createRouter } from '../mesh/registry.js';
import { canaryName } from '../mesh/router.js';
import { restorePrimarySnapshot, snapshotImages } from './previous-primary.js';
import { cleanupBudget, retryCleanup } from './retry-policy.js';

export interface JanitorFinding {
  namespace: string;
  service: string;
  holder?: string;
  phase?: string;
  action: 'restored' | 'would-restore' | 'repaired' | 'would-repair' | 'left-alone' | 'failed';
  reason: string;
}

const UNFINISHED = new Set(['progressing', 'promoting', 'rolling-back']);

/**
 * Finds rollouts whose Lease expired while unfinished (a runner lost
 * mid-rollout runs no post step) and restores 100 % primary with the canary
 * scaled to zero. A live holder is never touched.
 */
export async function runJanitor(
  kube: KubeClients,
  namespace: string,
  options: { dryRun?: boolean; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<JanitorFinding[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const leases = await kube.coordination.listNamespacedLease({ namespace });
  const findings: JanitorFinding[] = [];
  for (const lease of leases.items) {
    const name = lease.metadata?.name ?? '';
    const annotations = lease.metadata?.annotations ?? {};
    if (!name.startsWith('glidepath-') || !annotations[ROLLOUT_ANNOTATIONS.phase]) continue;
    const service = name.slice('glidepath-'.length);
    const state = readRolloutState(annotations);
    const holder = lease.spec?.holderIdentity;
    const base = { namespace, service, holder: holder ?? state.runId, phase: state.phase };
    if (holder && !expired(lease, now())) {
      findings.push({
        ...base,
        action: 'left-alone',
        reason: `held by ${holder}, renewed recently: a live run`,
      });
      continue;
    }
    if (!state.phase || !UNFINISHED.has(state.phase)) {
      // Finished, but maybe not clean: a canary whose scale-down met a burst of 500s, or a Lease
      // whose release did. Finish that part of the cleanup; the route was reset before.
      let replicas: number;
      try {
        replicas = await canaryReplicas(kube, namespace, canaryName(service));
      } catch (e: unknown) {
        findings.push({ ...base, action: 'failed', reason: describeApiError(e) });
        continue;
      }
      const dirty = [
        ...(replicas > 0 ? [`${canaryName(service)} still has ${replicas} replica(s)`] : []),
        ...(holder ? [`the lease is still held by ${holder}`] : []),
      ];
      if (dirty.length === 0) {
        findings.push({
          ...base,
          action: 'left-alone',
          reason: `phase ${state.phase ?? 'unknown'}: nothing to clean up`,
        });
        continue;
      }
      if (options.dryRun) {
        findings.push({
          ...base,
          action: 'would-repair',
          reason: `phase ${state.phase} but ${dirty.join(' and ')}: would finish the cleanup`,
        });
        continue;
      }
      const budget = cleanupBudget(now, sleep);
      const scaled =
        replicas > 0
          ? await retryCleanup(
              `scaling ${canaryName(service)} to 0`,
              () => scaleToZero(kube, namespace, canaryName(service)),
              budget,
            )
          : undefined;
      const freed = holder
        ? await retryCleanup('freeing the lease', () => clearHolder(kube, namespace, name, {}), budget)
        : undefined;
      const failed = [scaled, freed].find((r) => r && !r.ok);
      findings.push(
        failed && !failed.ok
          ? { ...base, action: 'failed', reason: failed.reason }
          : {
              ...base,
              action: 'repaired',
              reason: `phase ${state.phase} but ${dirty.join(' and ')}: finished the cleanup`,
            },
      );
      continue;
    }
    const router = state.router ? safeRouter(state.router) : undefined;
    if (!router) {
      findings.push({
        ...base,
        action: 'failed',
        reason: 'the Lease does not record the router; reset the route by hand',
      });
      continue;
    }
    if (options.dryRun) {
      findings.push({
        ...base,
        action: 'would-restore',
        reason: `expired lease, phase ${state.phase}: would restore 100 % primary`,
      });
      continue;
    }
    const budget = cleanupBudget(now, sleep);
    const snapshot = state.phase === 'promoting' ? state.previousPrimary : undefined;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ...(snapshot
        ? ([
            [
              `putting ${service}-primary back on its spec from before the promotion`,
              () => restorePrimarySnapshot(kube, namespace, service, snapshot),
            ],
          ] as Array<[string, () => Promise<unknown>]>)
        : []),
      [
        'resetting the route to 100 % primary',
        () => createRouter(router, { target: { service, namespace }, kube, sleep, now }).reset(),
      ],
      [`scaling ${canaryName(service)} to 0`, () => scaleToZero(kube, namespace, canaryName(service))],
      [
        'freeing the lease',
        () =>
          clearHolder(
            kube,
            namespace,
            name,
            rolloutStateAnnotations({ phase: 'failed', weights: { stable: 100, canary: 0 } }),
          ),
      ],
    ];
    let failure: string | undefined;
    for (const [what, step] of steps) {
      const result = await retryCleanup(what, step, budget);
      if (!result.ok) {
        failure = result.reason;
        break;
      }
    }
    if (failure) {
      findings.push({ ...base, action: 'failed', reason: failure });
      continue;
    }
    try {
      findings.push({
        ...base,
        action: 'restored',
        reason: `expired lease of ${base.holder ?? 'a dead run'} in phase ${state.phase}: ${snapshot ? `put ${service}-primary back on ${snapshotImages(snapshot).join(', ')} (the promotion was cut short), ` : ''}restored 100 % primary and scaled ${canaryName(service)} to 0`,
      });
    } catch (e: unknown) {
      findings.push({ ...base, action: 'failed', reason: describeApiError(e) });
    }
  }
  return findings;
}

function expired(lease: V1Lease, now: number): boolean {
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  if (!renewed) return true;
  const duration = (lease.spec?.leaseDurationSeconds ?? 300) * 1000;
  return new Date(renewed).getTime() + duration < now;
}

function safeRouter(json: string) {
  try {
    const parsed = rolloutSchema.shape.router.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function canaryReplicas(kube: KubeClients, namespace: string, name: string): Promise<number> {
  try {
    return (await kube.apps.readNamespacedDeployment({ name, namespace })).spec?.replicas ?? 1;
  } catch (e: unknown) {
    if (isNotFound(e)) return 0;
    throw e;
  }
}

async function clearHolder(
  kube: KubeClients,
  namespace: string,
  name: string,
  annotations: Record<string, string>,
): Promise<void> {
  await updateWithRetry<V1Lease>(
    kube.objects,
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name },
    (current) => ({
      ...current,
      metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, ...annotations } },
      spec: { ...current.spec, holderIdentity: undefined },
    }),
  );
}

/** Through `/scale` (src/kube/scale.ts), never a replace of the Deployment: an HPA or a person may own the rest. */
async function scaleToZero(kube: KubeClients, namespace: string, name: string): Promise<void> {
  try {
    await scaleDeployment(kube, namespace, name, 0);
  } catch (e: unknown) {
    if (!isNotFound(e)) throw e;
  }
}
