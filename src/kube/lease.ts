import { type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { isNotFound } from './api-status.js';
import { type RetryOptions, retryOnConflict } from './patch.js';
import { scopedSleep } from './request-scope.js';
import { type RolloutState, readRolloutState, rolloutStateAnnotations } from './rollout-state.js';

/** The workflow run that holds a lock: a re-run attempt is a different holder. */
export interface RunIdentity {
  repository: string;
  runId: string;
  runAttempt: string;
}

export function runHolderIdentity(run: RunIdentity): string {
  return `${run.repository}/${run.runId}/${run.runAttempt}`;
}

/** From the runner's GITHUB_REPOSITORY / GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT, or undefined outside Actions. */
export function runIdentityFromEnv(
  env: Record<string, string | undefined> = process.env,
): RunIdentity | undefined {
  const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: runAttempt } = env;
  if (!repository || !runId) return undefined;
  return { repository, runId, runAttempt: runAttempt || '1' };
}

export function leaseName(service: string): string {
  return `glidepath-${service}`;
}

export interface LeaseHolder {
  holder: string;
  renewedAt: Date | undefined;
  expiresAt: Date | undefined;
  /** No renewal within leaseDurationSeconds: its runner is presumed dead (runners that are lost run no post step). */
  expired: boolean;
  /** The rollout state it left in the annotations. */
  state: Partial<RolloutState>;
}

export interface AcquiredLease {
  lease: V1Lease;
  /** The previous holder when this run took over its expired lease: its rollout needs cleaning up. */
  tookOverFrom?: LeaseHolder;
  /** State left by the previous rollout of this service (finished or not). */
  previousState: Partial<RolloutState>;
}

export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(
    readonly lease: string,
    readonly namespace: string,
    readonly current: LeaseHolder,
    now: Date,
  ) {
    const expires = current.expiresAt
      ? `, expires in ${Math.max(0, Math.round((current.expiresAt.getTime() - now.getTime()) / 1000))}s unless renewed`
      : '';
    // A lost runner runs no post step: its Lease only expires, and nobody restores its traffic
    // split unless the janitor (or the next run, which takes over an expired Lease) does.
    super(
      `another rollout holds lease ${namespace}/${lease}: run ${current.holder}${expires}. If that run is still going, wait for it or cancel it (a cancelled run restores 100 % primary and releases the lease). If its runner was lost, run the janitor once the lease has expired (\`glidepath janitor --namespace ${namespace}\`, or the janitor workflow): it restores 100 % primary, scales the canary to 0 and frees the lease; a new run also takes over an expired lease and cleans up first`,
    );
  }
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface LeaseLockOptions {
  namespace: string;
  service: string;
  /** This run, see runHolderIdentity. */
  holder: string;
  /** How long a holder may go without renewing before others may take over (default 300). */
  durationSeconds?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  retry?: RetryOptions;
}

export interface AcquireOptions {
  /** Keep trying while another live run holds the lease, up to this long (default 0: fail at once). */
  waitMs?: number;
  /** Between tries while waiting (default 5 s). */
  pollMs?: number;
}

/** One rollout per service at a time: a coordination.k8s.io/v1 Lease named `glidepath-<service>`. */
export class LeaseLock {
  readonly name: string;
  readonly durationSeconds: number;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly coordination: CoordinationV1Api,
    private readonly options: LeaseLockOptions,
  ) {
    this.name = leaseName(options.service);
    this.durationSeconds = options.durationSeconds ?? 300;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private get retry(): RetryOptions {
    return { sleep: this.sleep, ...this.options.retry };
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({
        name: this.name,
        namespace: this.options.namespace,
      });
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private replace(lease: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({
      name: this.name,
      namespace: this.options.namespace,
      body: lease,
      fieldManager: 'glidepath',
    });
  }

  holderOf(lease: V1Lease): LeaseHolder | undefined {
    const holder = lease.spec?.holderIdentity;
    if (!holder) return undefined;
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    const renewedAt = renewed ? new Date(renewed) : undefined;
    const duration = lease.spec?.leaseDurationSeconds ?? this.durationSeconds;
    const expiresAt = renewedAt ? new Date(renewedAt.getTime() + duration * 1000) : undefined;
    return {
      holder,
      renewedAt,
      expiresAt,
      expired: expiresAt === undefined || expiresAt.getTime() <= this.now().getTime(),
      state: readRolloutState(lease.metadata?.annotations),
    };
  }

  /** Who holds the lease now, or undefined when nobody does. */
  async inspect(): Promise<LeaseHolder | undefined> {
    const lease = await this.read();
    return lease ? this.holderOf(lease) : undefined;
  }

  async acquire(options: AcquireOptions = {}): Promise<AcquiredLease> {
    const giveUpAt = this.now().getTime() + (options.waitMs ?? 0);
    for (;;) {
      const result = await retryOnConflict(
        `Lease ${this.options.namespace}/${this.name}`,
        () => this.tryAcquire(),
        this.retry,
      );
      if (!(result instanceof LeaseHeldError)) return result;
      const left = giveUpAt - this.now().getTime();
      if (left <= 0) throw result;
      // Cut short by the request scope: a job cancelled while it waits for the lock stops at once.
      await scopedSleep(this.sleep, Math.min(options.pollMs ?? 5000, left));
    }
  }

  private async tryAcquire(): Promise<AcquiredLease | LeaseHeldError> {
    const now = new V1MicroTime(this.now().getTime());
    const existing = await this.read();
    if (!existing) {
      // A run that creates it between our read and create makes this a 409: retryOnConflict goes round again.
      const lease = await this.coordination.createNamespacedLease({
        namespace: this.options.namespace,
        fieldManager: 'glidepath',
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.name,
            labels: {
              'app.kubernetes.io/managed-by': 'glidepath',
              'glidepath.dev/service': this.options.service,
            },
          },
          spec: {
            holderIdentity: this.options.holder,
            leaseDurationSeconds: this.durationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
      });
      return { lease, previousState: {} };
    }
    const current = this.holderOf(existing);
    const previousState = readRolloutState(existing.metadata?.annotations);
    if (current && current.holder !== this.options.holder && !current.expired) {
      return new LeaseHeldError(this.name, this.options.namespace, current, this.now());
    }
    const mine = current?.holder === this.options.holder;
    const spec = existing.spec ?? {};
    const lease = await this.replace({
      ...existing,
      spec: {
        ...spec,
        holderIdentity: this.options.holder,
        leaseDurationSeconds: this.durationSeconds,
        acquireTime: mine ? spec.acquireTime : now,
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    });
    return { lease, previousState, ...(current && !mine ? { tookOverFrom: current } : {}) };
  }

  /** Read-modify-write of our own lease; fails with LeaseLostError when another run holds it now. */
  private async update(what: string, change: (lease: V1Lease) => V1Lease): Promise<V1Lease> {
    return retryOnConflict(
      `Lease ${this.options.namespace}/${this.name}`,
      async () => {
        const lease = await this.read();
        const holder = lease?.spec?.holderIdentity;
        if (!lease || holder !== this.options.holder) {
          throw new LeaseLostError(
            `cannot ${what}: lease ${this.options.namespace}/${this.name} is ${lease ? (holder ? `held by run ${holder}` : 'released') : 'gone'}, not by this run (${this.options.holder}); another run took over after this one stopped renewing it`,
          );
        }
        return this.replace(change(lease));
      },
      this.retry,
    );
  }

  /**
   * Before a write: the lease must still name this run and must not have expired by this run's
   * clock (client-go's leader election stops acting once it could not renew within its deadline:
   * another candidate may take over at any moment). An expired lease still naming this run is
   * renewed at once, since nobody took it.
   */
  async assertHeld(): Promise<void> {
    const lease = await this.read();
    const holder = lease?.spec?.holderIdentity;
    if (!lease || holder !== this.options.holder) {
      throw new LeaseLostError(
        `lease ${this.options.namespace}/${this.name} is ${lease ? (holder ? `held by run ${holder}` : 'released') : 'gone'}, not by this run (${this.options.holder}); another run or the janitor took over after this one stopped renewing it`,
      );
    }
    if (this.holderOf(lease)?.expired) await this.renew();
  }

  async renew(): Promise<V1Lease> {
    return this.update('renew', (lease) => ({
      ...lease,
      spec: { ...lease.spec, renewTime: new V1MicroTime(this.now().getTime()) },
    }));
  }

  /** Lets the next run take the lease at once; the state annotations stay for the record. */
  async release(): Promise<void> {
    try {
      await this.update('release', (lease) => {
        const { holderIdentity: _h, ...spec } = lease.spec ?? {};
        return { ...lease, spec: { ...spec, renewTime: new V1MicroTime(this.now().getTime()) } };
      });
    } catch (e: unknown) {
      // Not ours any more (taken over or deleted): nothing of ours to release.
      if (!(e instanceof LeaseLostError)) throw e;
    }
  }

  async readState(): Promise<Partial<RolloutState>> {
    const lease = await this.read();
    return readRolloutState(lease?.metadata?.annotations);
  }

  /** Merges `state` into the annotations (and renews, since we are writing anyway). */
  async writeState(state: Partial<RolloutState>): Promise<Partial<RolloutState>> {
    const lease = await this.update('record the rollout state', (current) => ({
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { ...current.metadata?.annotations, ...rolloutStateAnnotations(state) },
      },
      spec: { ...current.spec, renewTime: new V1MicroTime(this.now().getTime()) },
    }));
    return readRolloutState(lease.metadata?.annotations);
  }
}
