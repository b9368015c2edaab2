import type { V1Deployment, V1Lease } from '@kubernetes/client-node';
import { rolloutSchema } from '../config/rollout.js';
import { isNotFound } from '../kube/api-status.js';
import type { KubeClients } from '../kube/client.js';
import { updateWithRetry } from '../kube/patch.js';
import { ROLLOUT_ANNOTATIONS, readRolloutState, rolloutStateAnnotations } from '../kube/rollout-state.js';
import { createRouter } from '../mesh/registry.js';
import { canaryName } from '../mesh/router.js';

export interface JanitorFinding {
  namespace: string;
  service: string;
  holder?: string;
  phase?: string;
  action: 'restored' | 'would-restore' | 'left-alone' | 'failed';
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
  options: { dryRun?: boolean; now?: () => number } = {},
): Promise<JanitorFinding[]> {
  const now = options.now ?? Date.now;
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
    if (!state.phase || !UNFINISHED.has(state.phase)) {
      findings.push({
        ...base,
        action: 'left-alone',
        reason: `phase ${state.phase ?? 'unknown'}: nothing to clean up`,
      });
      continue;
    }
    if (holder && !expired(lease, now())) {
      findings.push({
        ...base,
        action: 'left-alone',
        reason: `held by ${holder}, renewed recently: a live run`,
      });
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
    try {
      await createRouter(router, { target: { service, namespace }, kube }).reset();
      await scaleToZero(kube, namespace, canaryName(service));
      await updateWithRetry<V1Lease>(
        kube.objects,
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name },
        (current) => ({
          ...current,
          metadata: {
            ...current.metadata,
            annotations: {
              ...current.metadata?.annotations,
              ...rolloutStateAnnotations({ phase: 'failed', weights: { stable: 100, canary: 0 } }),
            },
          },
          spec: { ...current.spec, holderIdentity: undefined },
        }),
      );
      findings.push({
        ...base,
        action: 'restored',
        reason: `expired lease of ${base.holder ?? 'a dead run'} in phase ${state.phase}: restored 100 % primary and scaled ${canaryName(service)} to 0`,
      });
    } catch (e: unknown) {
      findings.push({ ...base, action: 'failed', reason: e instanceof Error ? e.message : String(e) });
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

async function scaleToZero(kube: KubeClients, namespace: string, name: string): Promise<void> {
  try {
    await updateWithRetry<V1Deployment>(
      kube.objects,
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name },
      (current) =>
        current.spec?.replicas === 0
          ? undefined
          : { ...current, spec: { ...current.spec, replicas: 0 } as V1Deployment['spec'] },
    );
  } catch (e: unknown) {
    if (!isNotFound(e)) throw e;
  }
}
