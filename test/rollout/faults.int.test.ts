import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSource } from '../../src/metrics/source.js';
import { type FakeKube, type FaultSpec, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  NEVER_READY_IMAGE,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

/** A webhook receiver on 127.0.0.1 answering every POST with `status`, recording the bodies. */
async function startHookServer(status: (path: string) => number) {
  const received: Array<{ path: string; body: Record<string, unknown> }> = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text || '{}') as Record<string, unknown> });
      const code = status(req.url ?? '');
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code >= 400 ? 'smoke test failed: checkout returns 502' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!hasSharedFixtures)('faults during a rollout against the fake API server', () => {
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
    const namespace = `fault-${n}`;
    seedUserObjects(fake, 'istio', namespace);
    return { namespace, config: rolloutConfig('istio', namespace, extra) };
  }

  /** Injects `faults` the moment the engine announces step `step` (1-based). */
  const atStep = (step: number, faults: FaultSpec[]) => (event: { message: string }) => {
    if (event.message.startsWith(`step ${step}/`)) for (const f of faults) fake.injectFault(f);
  };

  async function expectAllPrimary(rollout: ReturnType<typeof kubeRollout>, namespace: string) {
    expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0).toBe(0);
  }

  it('rides out a conflict storm on the route, the Deployments and the Lease and still promotes', async () => {
    const { namespace, config } = setup();
    const rollout = kubeRollout(fake, namespace, { config });
    const report = await rollout.run({
      onEvent: atStep(2, [
        { kind: 'conflict', plural: 'virtualservices', verb: 'update', times: 3 },
        { kind: 'conflict', plural: 'virtualservices', verb: 'patch', times: 3 },
        { kind: 'conflict', plural: 'deployments', verb: 'update', times: 3 },
        { kind: 'conflict', plural: 'leases', verb: 'update', times: 3 },
      ]),
    });
    fake.clearFaults();
    expect(fake.requests.some((r) => r.code === 409)).toBe(true);
    expect(report.outcome, report.reason).toBe('promoted');
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    await expectAllPrimary(rollout, namespace);
  });

  it('restores 100 % primary when the API answers 500 to a write mid-rollout, and says so', async () => {
    const { namespace, config } = setup();
    const rollout = kubeRollout(fake, namespace, { config });
    const report = await rollout.run({
      onEvent: atStep(2, [
        { kind: 'status500', plural: 'virtualservices', verb: 'update', times: 4 },
        { kind: 'status500', plural: 'virtualservices', verb: 'patch', times: 4 },
      ]),
    });
    fake.clearFaults();
    expect(report.outcome).toBe('failed');
    // One line naming the write, the request and the server, then the API's Status: not
    // client-node's dump of headers and raw body.
    expect(report.reason).toMatch(
      new RegExp(
        `^could not set the canary weight to 50 %: replace VirtualService ${namespace}/payments failed: the API server at 127\\.0\\.0\\.1:\\d+ answered 500 InternalError: Internal error occurred: injected fault$`,
      ),
    );
    expect(report.reason).not.toMatch(/HTTP-Code|Headers|Bearer/);
    expect(
      report.decisions.filter((d) =>
        /resetting traffic to 100 % primary failed \(attempt \d+\), retrying/.test(d.reason),
      ).length,
    ).toBeGreaterThan(0);
    expect(report.decisions.some((d) => d.action === 'roll back')).toBe(true);
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    await expectAllPrimary(rollout, namespace);
  });

  it('restores 100 % primary when the connection drops on a route write mid-rollout', async () => {
    const { namespace, config } = setup();
    const rollout = kubeRollout(fake, namespace, { config });
    const report = await rollout.run({
      onEvent: atStep(2, [{ kind: 'drop', plural: 'virtualservices', verb: 'update', times: 1 }]),
    });
    fake.clearFaults();
    expect(report.outcome).toBe('failed');
    expect(report.reason).toBeTruthy();
    expect(report.steps.map((s) => s.weights.canary)).toEqual([10, 25]);
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    await expectAllPrimary(rollout, namespace);
  });

  it('keeps the old primary and 100 % of traffic on it when promoting the primary fails', async () => {
    const { namespace, config } = setup();
    const rollout = kubeRollout(fake, namespace, { config });
    const report = await rollout.run({
      onEvent: (e) => {
        if (e.message.startsWith('promote:'))
          fake.injectFault({
            kind: 'status500',
            plural: 'deployments',
            name: 'payments-primary',
            verb: 'patch',
            times: 1,
          });
      },
    });
    fake.clearFaults();
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(
      /^could not move payments-primary to .* and wait until it is ready: patch Deployment .*\/payments-primary failed: the API server at .* answered 500 InternalError/,
    );
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    await expectAllPrimary(rollout, namespace);
  });

  it('restores 100 % primary when the metrics source goes away mid-rollout', async () => {
    const { namespace, config } = setup();
    const rollout = kubeRollout(fake, namespace, { config });
    let outage = false;
    const flaky: MetricsSource = {
      description: 'prometheus that dies',
      query: async (expr) => {
        if (outage)
          throw new Error('Prometheus did not answer usefully after 4 attempts: ECONNREFUSED 127.0.0.1:9090');
        return rollout.metrics.query(expr);
      },
      queryRange: async () => [],
    };
    const report = await rollout.run({
      metrics: flaky,
      onEvent: (e) => {
        if (e.message.startsWith('step 2/')) outage = true;
      },
    });
    expect(['failed', 'rolled-back']).toContain(report.outcome);
    expect(report.reason).toMatch(/ECONNREFUSED/);
    expect(report.steps.at(-1)?.index).toBe(1);
    await expectAllPrimary(rollout, namespace);
  });

  it('gives up on a canary that never becomes ready and keeps serving from the primary', async () => {
    const { namespace, config } = setup({ readyTimeout: '2m' });
    const rollout = kubeRollout(fake, namespace, { config, image: NEVER_READY_IMAGE });
    const report = await rollout.run();
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/payments-canary.*(ready|2m)/);
    expect(report.steps).toEqual([]);
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    await expectAllPrimary(rollout, namespace);
  });

  it('rolls back when a gating hook answers 500, naming the hook, and tells the rollback hook', async () => {
    const hooks = await startHookServer((path) => (path === '/check' ? 500 : 200));
    try {
      const { namespace, config } = setup({
        hooks: {
          'pre-rollout': `${hooks.url}/pre`,
          rollout: `${hooks.url}/check`,
          rollback: `${hooks.url}/rollback`,
        },
      });
      const rollout = kubeRollout(fake, namespace, { config });
      const report = await rollout.run();
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(
        /rollout hook http:\/\/127\.0\.0\.1:\d+\/check answered 500: smoke test failed/,
      );
      expect(report.hooks.map((h) => `${h.phase} ${h.status}`)).toEqual([
        'pre-rollout 200',
        'rollout 500',
        'rollback 200',
      ]);
      expect(hooks.received.map((r) => r.path)).toEqual(['/pre', '/check', '/rollback']);
      expect(hooks.received[1]?.body).toMatchObject({ phase: 'rollout', service: 'payments', step: 1 });
      expect(hooks.received[2]?.body).toMatchObject({ phase: 'rollback', outcome: 'rolled-back' });
      await expectAllPrimary(rollout, namespace);
    } finally {
      await hooks.close();
    }
  });

  it('a cancellation cuts short a gating hook that does not answer', async () => {
    let answer: (() => void) | undefined;
    const hanging = createServer((_req, res) => {
      answer = () => res.end('too late');
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/slow`;
    try {
      // No scale-down delay: with the default 30 s the cancel window leaves the canary up
      // (test/rollout/cancel.int.test.ts); this test is about the hook being cut short.
      const { namespace, config } = setup({
        hooks: { rollout: { url, timeout: '10m' } },
        scaleDownDelay: '1ms',
      });
      const rollout = kubeRollout(fake, namespace, { config });
      const cancel = new AbortController();
      const report = await rollout.run({
        signal: cancel.signal,
        onEvent: (e) => {
          // The hook is called right after the step is announced; cancel once it is waiting.
          if (e.message.startsWith('step 1/')) setTimeout(() => cancel.abort(), 200);
        },
      });
      expect(report.reason).toBe('the job was cancelled');
      expect(report.steps[0]?.result).toBe('cancelled');
      await expectAllPrimary(rollout, namespace);
    } finally {
      answer?.();
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});
