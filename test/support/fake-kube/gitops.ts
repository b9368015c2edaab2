import type { SteppedClock } from '../stepped-clock.js';
import type { FakeKube } from './index.js';
import type { KubeObject } from './types.js';

export interface SelfHealOptions {
  /**
   * Argo CD compares the live state with Git every `timeout.reconciliation` (default 180 s) and,
   * with `syncPolicy.automated.selfHeal`, syncs what drifted back (Argo CD docs, "Automated Sync
   * Policy": Automatic Self-Healing; "Reconciliation Optimization").
   */
  intervalMs?: number;
  /** Argo CD's field manager for its writes (Argo CD docs, "Sync Options": Server-Side Apply). */
  manager?: string;
}

export interface SelfHeal {
  /** Objects synced back so far, as `Kind name`. */
  readonly healed: readonly string[];
  stop(): void;
}

function groupVersion(apiVersion: string): [string, string] {
  const [a, b] = apiVersion.split('/');
  return b === undefined ? ['', a as string] : [a as string, b];
}

/**
 * A GitOps controller on the simulated clock: every interval, each object whose `spec` differs
 * from what Git holds (`objects`, the user's manifests) gets Git's spec back, written under the
 * controller's field manager, as an out-of-sync resource is synced. Objects not in the cluster
 * are left alone (this models self-heal of drift, not pruning or creation).
 */
export function startSelfHeal(
  fake: FakeKube,
  clock: SteppedClock,
  objects: readonly KubeObject[],
  options: SelfHealOptions = {},
): SelfHeal {
  const manager = options.manager ?? 'argocd-controller';
  const healed: string[] = [];
  const stop = clock.every(options.intervalMs ?? 180_000, async () => {
    for (const git of objects) {
      const kind = git.kind ?? '';
      const [group, version] = groupVersion(git.apiVersion ?? '');
      const ns = git.metadata.namespace ?? '';
      const name = git.metadata.name ?? '';
      const live = fake.get(group, version, kind, ns, name);
      if (!live || JSON.stringify(live.spec) === JSON.stringify(git.spec)) continue;
      fake.mutate(
        group,
        version,
        kind,
        ns,
        name,
        (o) => {
          o.spec = structuredClone(git.spec);
        },
        manager,
      );
      healed.push(`${kind} ${name}`);
    }
  });
  return { healed, stop };
}
