import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeClients, makeKubeClients } from '../../src/kube/client.js';
import { RolloutWaitError, rolloutProgress, waitForDeploymentRollout } from '../../src/kube/wait.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { simulatedTime } from './simulated-time.js';

function deployment(name: string, image: string): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

describe('waitForDeploymentRollout', () => {
  let kube: FakeKube;
  let clients: KubeClients;
  beforeAll(async () => {
    kube = await startFakeKube({ readiness: { afterPolls: 3, neverReadyImage: /:broken$/ } });
    clients = makeKubeClients(kube.kubeConfig);
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('returns once the rollout completes, polling in simulated time', async () => {
    await clients.apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('ok', 'registry.example/ok:1'),
    });
    const time = simulatedTime();
    const seen: string[] = [];
    const progress = await waitForDeploymentRollout(clients.apps, 'shop', 'ok', {
      timeoutMs: 60_000,
      pollMs: 1000,
      now: time.nowMs,
      sleep: time.sleep,
      onProgress: (p) => seen.push(p.waitingFor),
    });
    expect(progress).toMatchObject({
      done: true,
      desired: 3,
      ready: 3,
      available: 3,
      updated: 3,
      observedGeneration: 1,
    });
    expect(seen).toEqual([
      'the controller to observe generation 1',
      'the controller to observe generation 1',
      '',
    ]);
    expect(time.sleeps).toEqual([1000, 1000]);
  });

  it('fails at the deadline with the Deployment conditions when it never becomes ready', async () => {
    await clients.apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('stuck', 'registry.example/stuck:broken'),
    });
    const time = simulatedTime();
    const error = await waitForDeploymentRollout(clients.apps, 'shop', 'stuck', {
      timeoutMs: 10_000,
      pollMs: 3000,
      now: time.nowMs,
      sleep: time.sleep,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RolloutWaitError);
    const message = (error as Error).message;
    expect(message).toContain('Deployment shop/stuck did not become ready within 10s');
    expect(message).toContain('0/3 ready');
    expect(message).toContain(
      'Available=False (MinimumReplicasUnavailable: Deployment does not have minimum availability.)',
    );
    expect(time.sleeps).toEqual([3000, 3000, 3000, 1000]);
  });

  it('fails at once when the controller reports ProgressDeadlineExceeded', async () => {
    kube.mutate('apps', 'v1', 'deployments', 'shop', 'stuck', (d) => {
      const status = d.status as {
        conditions: { type: string; status: string; reason: string; message: string }[];
      };
      status.conditions = status.conditions.map((c) =>
        c.type === 'Progressing'
          ? {
              ...c,
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "stuck-1" has timed out progressing.',
            }
          : c,
      );
    });
    const time = simulatedTime();
    await expect(
      waitForDeploymentRollout(clients.apps, 'shop', 'stuck', {
        timeoutMs: 60_000,
        now: time.nowMs,
        sleep: time.sleep,
      }),
    ).rejects.toThrow(/exceeded its progress deadline.*Progressing=False \(ProgressDeadlineExceeded/);
    expect(time.sleeps).toEqual([]);
  });

  it('keeps polling through API errors until the deadline', async () => {
    await clients.apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('flaky', 'registry.example/flaky:1'),
    });
    kube.injectFault({ verb: 'get', plural: 'deployments', name: 'flaky', kind: 'status500', times: 2 });
    kube.injectFault({ verb: 'get', plural: 'deployments', name: 'flaky', kind: 'drop', times: 1 });
    const time = simulatedTime();
    const progress = await waitForDeploymentRollout(clients.apps, 'shop', 'flaky', {
      timeoutMs: 60_000,
      pollMs: 500,
      now: time.nowMs,
      sleep: time.sleep,
    });
    expect(progress.done).toBe(true);

    kube.injectFault({
      verb: 'get',
      plural: 'deployments',
      name: 'flaky',
      kind: 'status500',
      times: Number.POSITIVE_INFINITY,
    });
    await expect(
      waitForDeploymentRollout(clients.apps, 'shop', 'flaky', {
        timeoutMs: 2000,
        pollMs: 500,
        now: time.nowMs,
        sleep: time.sleep,
      }),
    ).rejects.toThrow(
      /could not be read; last read failed: read Deployment shop\/flaky failed: the API server at 127\.0\.0\.1:\d+ answered 500 InternalError/,
    );
    kube.clearFaults();
  });

  it('says when the Deployment does not exist', async () => {
    await expect(
      waitForDeploymentRollout(clients.apps, 'shop', 'ghost', { timeoutMs: 1000 }),
    ).rejects.toThrow('Deployment shop/ghost does not exist');
  });
});

describe('rolloutProgress', () => {
  it('counts a Deployment scaled to zero as rolled out once observed', () => {
    expect(
      rolloutProgress({
        metadata: { generation: 4 },
        spec: { replicas: 0 } as never,
        status: { observedGeneration: 4 },
      }),
    ).toMatchObject({
      done: true,
      desired: 0,
    });
  });

  it('waits for old pods to go', () => {
    const progress = rolloutProgress({
      metadata: { generation: 2 },
      spec: { replicas: 2 } as never,
      status: {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 2,
        readyReplicas: 3,
        availableReplicas: 3,
      },
    });
    expect(progress.waitingFor).toBe('1 old replicas to terminate');
  });
});
