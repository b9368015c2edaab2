import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeClients, makeKubeClients } from '../../src/kube/client.js';
import {
  LeaseHeldError,
  LeaseLock,
  LeaseLostError,
  leaseName,
  runHolderIdentity,
  runIdentityFromEnv,
} from '../../src/kube/lease.js';
import {
  ROLLOUT_ANNOTATIONS,
  readRolloutState,
  rolloutStateAnnotations,
} from '../../src/kube/rollout-state.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { simulatedTime } from './simulated-time.js';

const runA = runHolderIdentity({ repository: 'acme/payments', runId: '100', runAttempt: '1' });
const runB = runHolderIdentity({ repository: 'acme/payments', runId: '101', runAttempt: '1' });

describe('Lease lock per service', () => {
  let kube: FakeKube;
  let clients: KubeClients;
  beforeAll(async () => {
    kube = await startFakeKube();
    clients = makeKubeClients(kube.kubeConfig);
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('names the holder after the workflow run', () => {
    expect(runA).toBe('acme/payments/100/1');
    expect(
      runIdentityFromEnv({ GITHUB_REPOSITORY: 'acme/payments', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' }),
    ).toEqual({
      repository: 'acme/payments',
      runId: '7',
      runAttempt: '2',
    });
    expect(runIdentityFromEnv({})).toBeUndefined();
    expect(leaseName('payments')).toBe('glidepath-payments');
  });

  it('lets one run hold the lease; a second fails clearly, or waits until it is released', async () => {
    const time = simulatedTime();
    const a = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'payments',
      holder: runA,
      durationSeconds: 60,
      now: time.now,
      sleep: time.sleep,
    });
    const acquired = await a.acquire();
    expect(acquired.tookOverFrom).toBeUndefined();
    const stored = kube.get('coordination.k8s.io', 'v1', 'leases', 'shop', 'glidepath-payments');
    expect(stored?.spec).toMatchObject({
      holderIdentity: runA,
      leaseDurationSeconds: 60,
      leaseTransitions: 0,
    });

    const b = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'payments',
      holder: runB,
      durationSeconds: 60,
      now: time.now,
      sleep: time.sleep,
    });
    const refused = await b.acquire().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect((refused as Error).message).toBe(
      'another rollout holds lease shop/glidepath-payments: run acme/payments/100/1, expires in 60s unless renewed. If that run is still going, wait for it or cancel it (a cancelled run restores 100 % primary and releases the lease). If its runner was lost, run the janitor once the lease has expired (`glidepath janitor --namespace shop`, or the janitor workflow): it restores 100 % primary, scales the canary to 0 and frees the lease; a new run also takes over an expired lease and cleans up first',
    );

    // A keeps renewing while B waits; A releases after B's second try.
    const bSleep = async (ms: number) => {
      await time.sleep(ms);
      if (time.sleeps.length === 1) await a.renew();
      if (time.sleeps.length === 2) await a.release();
    };
    const waiting = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'payments',
      holder: runB,
      durationSeconds: 60,
      now: time.now,
      sleep: bSleep,
    });
    const got = await waiting.acquire({ waitMs: 30_000, pollMs: 10_000 });
    expect(got.tookOverFrom).toBeUndefined();
    expect(kube.get('coordination.k8s.io', 'v1', 'leases', 'shop', 'glidepath-payments')?.spec).toMatchObject(
      { holderIdentity: runB, leaseTransitions: 1 },
    );
    await expect(a.renew()).rejects.toBeInstanceOf(LeaseLostError);
    await waiting.release();
    expect(await waiting.inspect()).toBeUndefined();
  });

  it('takes over the expired lease of a dead run and hands back the state it left', async () => {
    const time = simulatedTime();
    const dead = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'cart',
      holder: runA,
      durationSeconds: 120,
      now: time.now,
      sleep: time.sleep,
    });
    await dead.acquire();
    await dead.writeState({
      revision: 'sha256:abc',
      step: 2,
      weights: { stable: 75, canary: 25 },
      runId: runA,
      startedAt: '2026-03-01T12:00:00Z',
      phase: 'progressing',
    });

    const next = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'cart',
      holder: runB,
      durationSeconds: 120,
      now: time.now,
      sleep: time.sleep,
    });
    time.advance(119_000);
    await expect(next.acquire()).rejects.toBeInstanceOf(LeaseHeldError);
    time.advance(2_000);
    const taken = await next.acquire();
    expect(taken.tookOverFrom).toMatchObject({ holder: runA, expired: true });
    expect(taken.tookOverFrom?.state).toEqual({
      revision: 'sha256:abc',
      step: 2,
      weights: { stable: 75, canary: 25 },
      runId: runA,
      startedAt: '2026-03-01T12:00:00Z',
      phase: 'progressing',
    });
    await expect(dead.writeState({ step: 3 })).rejects.toThrow(
      /held by run acme\/payments\/101\/1, not by this run \(acme\/payments\/100\/1\)/,
    );

    const state = await next.writeState({ phase: 'rolled-back', weights: { stable: 100, canary: 0 } });
    expect(state).toMatchObject({ phase: 'rolled-back', weights: { stable: 100, canary: 0 }, step: 2 });
    expect(
      kube.get('coordination.k8s.io', 'v1', 'leases', 'shop', 'glidepath-cart')?.metadata.annotations,
    ).toMatchObject({
      [ROLLOUT_ANNOTATIONS.phase]: 'rolled-back',
      [ROLLOUT_ANNOTATIONS.weights]: 'stable=100,canary=0',
    });
    await next.release();
    expect(await next.readState()).toMatchObject({ phase: 'rolled-back' });
  });

  it('renews through a conflict on the Lease', async () => {
    const time = simulatedTime();
    const lock = new LeaseLock(clients.coordination, {
      namespace: 'shop',
      service: 'orders',
      holder: runA,
      now: time.now,
      sleep: time.sleep,
    });
    await lock.acquire();
    time.advance(5000);
    kube.injectFault({ verb: 'update', plural: 'leases', kind: 'conflict', times: 2 });
    const renewed = await lock.renew();
    // Two conflicts: re-read after 100 ms and 200 ms of (simulated) backoff.
    expect(time.sleeps).toEqual([100, 200]);
    expect(new Date(renewed.spec?.renewTime ?? 0).toISOString()).toBe('2026-03-01T12:00:05.300Z');
  });

  it('reads and writes the state annotations, ignoring hand-edited garbage', () => {
    const annotations = rolloutStateAnnotations({
      revision: 'r1',
      step: 0,
      weights: { stable: 95, canary: 5 },
      phase: 'progressing',
    });
    expect(annotations).toEqual({
      'glidepath.dev/revision': 'r1',
      'glidepath.dev/step': '0',
      'glidepath.dev/weights': 'stable=95,canary=5',
      'glidepath.dev/phase': 'progressing',
    });
    expect(readRolloutState(annotations)).toEqual({
      revision: 'r1',
      step: 0,
      weights: { stable: 95, canary: 5 },
      phase: 'progressing',
    });
    expect(
      readRolloutState({
        'glidepath.dev/step': 'two',
        'glidepath.dev/weights': '90/10',
        'glidepath.dev/phase': 'exploded',
      }),
    ).toEqual({});
  });
});
