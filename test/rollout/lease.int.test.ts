import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookCaller } from '../../src/rollout/hooks.js';
import type { RolloutReport } from '../../src/rollout/report.js';
import { VirtualClock } from '../../src/simulation/memory.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  dieAtStep,
  imageOf,
  kubeRollout,
  NEW_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

const runEnv = (runId: string) => ({
  GITHUB_REPOSITORY: 'shop/payments',
  GITHUB_RUN_ID: runId,
  GITHUB_RUN_ATTEMPT: '1',
});

describe.skipIf(!hasSharedFixtures)('the Lease: one rollout per service, and runs that died', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube({ readiness: { afterPolls: 1 } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  function setup(extra: Record<string, unknown> = {}) {
    n += 1;
    const namespace = `lease-${n}`;
    seedUserObjects(fake, 'istio', namespace);
    return { namespace, config: rolloutConfig('istio', namespace, extra) };
  }

  const lease = (namespace: string) =>
    fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');

  it('a second rollout of the same service while the first runs fails clearly and writes nothing', async () => {
    const { namespace, config } = setup({ hooks: { rollout: 'http://127.0.0.1:9/notify' } });
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
    const first = kubeRollout(fake, namespace, { config, clock, env: runEnv('100') });
    let second: RolloutReport | undefined;
    let writesDuringSecond = -1;
    // The first run is paused at its step-1 hook while the second one starts.
    const hooks: HookCaller = async (phase, hook) => {
      if (!second) {
        const before = fake.writeCount;
        second = await kubeRollout(fake, namespace, { config, clock, env: runEnv('200') }).run();
        writesDuringSecond = fake.writeCount - before;
      }
      return { phase, url: hook.url, status: 200, ok: true, gating: hook.gating, reason: 'answered 200' };
    };
    const report = await first.run({ hooks });

    expect(second?.outcome).toBe('failed');
    expect(second?.reason).toMatch(
      new RegExp(`another rollout holds lease ${namespace}/glidepath-payments: run shop/payments/100/1`),
    );
    expect(second?.steps).toEqual([]);
    expect(writesDuringSecond).toBe(0);
    expect(report.outcome, report.reason).toBe('promoted');
  });

  it('a run after one that died mid-rollout takes over the expired Lease, cleans up, says so, then rolls out', async () => {
    const { namespace, config } = setup();
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
    await dieAtStep(fake, namespace, { config, clock, env: runEnv('300') }, 2);
    expect(lease(namespace)?.metadata.annotations?.['glidepath.dev/phase']).toBe('progressing');
    expect(lease(namespace)?.metadata.annotations?.['glidepath.dev/step']).toBe('1');
    await clock.sleep(10 * 60_000); // the dead run's Lease (300 s) has expired

    const next = kubeRollout(fake, namespace, { config, clock, env: runEnv('400') });
    const report = await next.run();
    const cleanup = report.decisions.find((d) => d.action === 'clean up');
    expect(cleanup?.reason).toMatch(
      /run shop\/payments\/300\/1 left a rollout of .*sha256:2+ unfinished \(phase progressing\); restoring 100 % primary/,
    );
    expect(report.steps.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(report.outcome, report.reason).toBe('promoted');
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
  });

  it('with resume and the same image, a new run resumes from the step the dead run recorded', async () => {
    const { namespace, config } = setup();
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
    await dieAtStep(fake, namespace, { config, clock, env: runEnv('300') }, 2);
    await clock.sleep(10 * 60_000);

    const next = kubeRollout(fake, namespace, { config, clock, env: runEnv('500') });
    const report = await next.run({ resume: true });
    const resume = report.decisions.find((d) => d.action === 'resume');
    expect(resume?.reason).toMatch(
      /run shop\/payments\/300\/1 stopped at step 2 of .*sha256:2+; resuming from there/,
    );
    expect(report.decisions.some((d) => d.action === 'clean up')).toBe(false);
    expect(report.steps.map((s) => s.index)).toEqual([1, 2]);
    expect(report.outcome, report.reason).toBe('promoted');
  });

  it('with resume but another image, it cleans up instead of resuming', async () => {
    const { namespace, config } = setup();
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 12));
    await dieAtStep(fake, namespace, { config, clock, env: runEnv('300') }, 2);
    await clock.sleep(10 * 60_000);

    const other = `registry.example/payments@sha256:${'5'.repeat(64)}`;
    const next = kubeRollout(fake, namespace, { config, clock, env: runEnv('600'), image: other });
    const report = await next.run({ resume: true });
    expect(report.decisions.some((d) => d.action === 'clean up')).toBe(true);
    expect(report.steps.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(report.outcome, report.reason).toBe('promoted');
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(other);
  });
});
