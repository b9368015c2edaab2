import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients } from '../../src/kube/client.js';
import { withRequestScope } from '../../src/kube/request-scope.js';
import { runJanitor } from '../../src/rollout/janitor.js';
import type { FakeKube, FaultSpec, GatewayApiOptions } from '../support/fake-kube/index.js';
import { startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import { deployment, kubeRollout, rolloutConfig, seedUserObjects } from './kube-fixture.js';

const runEnv = { GITHUB_REPOSITORY: 'shop/payments', GITHUB_RUN_ID: '21', GITHUB_RUN_ATTEMPT: '1' };

function leaseOf(fake: FakeKube, namespace: string) {
  return fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments') as
    | { metadata: { annotations?: Record<string, string> }; spec?: { holderIdentity?: string } }
    | undefined;
}

/** Injects the faults the first time the rollout announces a rollback. */
function onRollback(fake: FakeKube, faults: FaultSpec[]) {
  let done = false;
  return (event: { message: string }) => {
    if (done || !event.message.startsWith('roll back:')) return;
    done = true;
    for (const fault of faults) fake.injectFault(fault);
  };
}

describe.skipIf(!hasSharedFixtures)('cleanup under faults (one retry policy for every cleanup write)', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  function setup(extra: Record<string, unknown> = {}, canaryErrorRate = 0.3) {
    const namespace = `cleanup-${++n}`;
    seedUserObjects(fake, 'istio', namespace);
    return kubeRollout(fake, namespace, {
      config: rolloutConfig('istio', namespace, extra),
      canaryErrorRate,
      env: runEnv,
    });
  }

  it('a burst of 500s on the canary scale-down and on the Lease: the canary still ends at 0 and the Lease is freed', async () => {
    const rollout = setup();
    const namespace = rollout.prepared.spec.namespace;
    const report = await rollout.run({
      onEvent: onRollback(fake, [
        { kind: 'status500', plural: 'deployments', verb: 'update', times: 8 },
        { kind: 'status500', plural: 'leases', verb: 'update', times: 6 },
      ]),
    });
    fake.clearFaults();
    expect(report.outcome).toBe('rolled-back');
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(report.serving).toBe('previous');
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
    const lease = leaseOf(fake, namespace);
    expect(lease?.spec?.holderIdentity).toBeUndefined();
    expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe('rolled-back');
    expect(
      report.decisions.some((d) => /scaling the canary to 0 failed \(attempt 3\), retrying/.test(d.reason)),
    ).toBe(true);
  });

  it('a scale-down that keeps failing leaves the rollout marked unfinished, and the janitor finishes it', async () => {
    const rollout = setup();
    const namespace = rollout.prepared.spec.namespace;
    const report = await rollout.run({
      onEvent: onRollback(fake, [
        {
          kind: 'status500',
          plural: 'deployments',
          verb: 'update',
          name: 'payments-canary',
          times: Infinity,
        },
      ]),
    });
    fake.clearFaults();
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(report.reason).toMatch(
      /payments-canary could not be scaled to 0 \(the next post step, janitor or run finishes it\)/,
    );
    // Still at its size for the step that failed (canaryReplicas: weight, 10 % of 3 -> 1).
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(1);
    expect(leaseOf(fake, namespace)?.metadata.annotations?.['glidepath.dev/phase']).toBe('rolling-back');

    const findings = await runJanitor(makeKubeClients(fake.kubeConfig), namespace, {
      now: () => rollout.clock.now(),
      sleep: async () => {},
    });
    expect(findings.map((f) => f.action)).toEqual(['restored']);
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
    expect(leaseOf(fake, namespace)?.metadata.annotations?.['glidepath.dev/phase']).toBe('failed');
  });

  it('a route write the server holds for a long time fails at the request timeout, and the rollout rolls back', async () => {
    const rollout = setup({}, 0.005);
    const started = Date.now();
    let injected = false;
    const report = await withRequestScope({ requestTimeoutMs: 1_000 }, () =>
      rollout.run({
        onEvent: (e) => {
          if (injected || !e.message.startsWith('step 2/')) return;
          injected = true;
          // Step 3's route write is held 20 s (then refused as stale: the rollback changed the route).
          fake.injectFault({ kind: 'slow', delayMs: 20_000, plural: 'virtualservices', verb: 'update' });
        },
      }),
    );
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(
      /^could not set the canary weight to 50 %: replace VirtualService cleanup-\d+\/payments failed: the API server at 127\.0\.0\.1:\d+ did not answer in time/,
    );
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe.skipIf(!hasSharedFixtures)('a Gateway API controller that stops answering during a rollback', () => {
  let fake: FakeKube;
  // The fake reads this object on every reconcile: setting `reconcile` stops the controller.
  const gatewayApi: GatewayApiOptions = { reconcile: 'accept' };
  beforeAll(async () => {
    fake = await startFakeKube({ gatewayApi });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('bounds the rollback and reports what the gateway last confirmed, not the route spec', async () => {
    const namespace = 'gateway-stopped';
    seedUserObjects(fake, 'gateway-api', namespace);
    const rollout = kubeRollout(fake, namespace, {
      config: rolloutConfig('gateway-api', namespace, { steps: [10, 25, 50] }),
      env: runEnv,
    });
    let rollbackAt: number | undefined;
    const report = await rollout.run({
      onEvent: (e) => {
        if (e.message.startsWith('step 2/')) gatewayApi.reconcile = 'never';
        if (rollbackAt === undefined && e.message.startsWith('roll back:')) rollbackAt = rollout.clock.now();
      },
    });
    gatewayApi.reconcile = 'accept';
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/not reconciled/);
    // The gateway accepted 75/25 at step 2 and nothing since.
    expect(report.finalWeights).toEqual({ primary: 75, canary: 25 });
    expect(report.serving).toBe('split');
    expect(report.reason).toMatch(/traffic was last confirmed at 75 % primary \/ 25 % canary/);
    // One cleanup budget (60 s), not minutes of retries.
    const rollbackMs = Date.parse(report.endedAt ?? '') - (rollbackAt ?? 0);
    expect(rollbackMs).toBeLessThanOrEqual(65_000);
    // While the gateway may still send it 25 %, the canary keeps its pods (sized for step 3's
    // 50 % of 3 before that weight was written).
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(2);
  });
});
